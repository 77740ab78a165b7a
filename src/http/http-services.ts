/**
 * The services the HTTP adapter is handed. Filled in by the roof: src/app/container.ts merges
 * its container type into this interface (as fastify's own decorators are typed), so the
 * adapter is typed against the real container without importing the floor that builds it.
 */
// biome-ignore lint/suspicious/noEmptyInterface: completed by declaration merging in src/app/container.ts
export interface HttpServices {}
