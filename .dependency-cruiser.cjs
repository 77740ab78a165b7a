// Import rules that keep the floors of ARCHITECTURE.md: the ground (src/platform) knows no
// domain, domains meet only through each other's index.ts, and only the roof (src/app,
// src/main.ts) knows the HTTP adapter. `npm run lint:imports` checks them; a folder-level
// cycle check over the same graph runs in test/architecture/imports.test.ts.
const DOMAIN =
  '(?:src/(?:auth|audit|crm|events|service-desk|webhooks|reports|notifications)|devices/health|devices|billing|gateway/codecs|gateway)';

module.exports = {
  forbidden: [
    {
      name: 'ground-knows-no-domain',
      comment: 'src/platform is the ground floor: database, redis, queues, logger, errors, pagination, metrics.',
      severity: 'error',
      from: { path: '^src/platform/' },
      to: { path: `^(?:${DOMAIN}|src/app|src/http|src/console|src/main\\.ts)(?:/|$)` },
    },
    {
      name: 'only-the-roof-knows-http',
      comment: 'src/http holds fastify only; nothing but src/app and src/main.ts imports it.',
      severity: 'error',
      from: { path: '^(?!src/http/|src/app/|src/main\\.ts|test/)' },
      to: { path: '^src/http/' },
    },
    {
      name: 'only-main-knows-the-app',
      comment: 'src/app is the container: the only place that knows every module (src/http and the demo seed are handed it).',
      severity: 'error',
      from: { path: '^(?!src/app/|src/http/|src/main\\.ts|prisma/seed/|test/)' },
      to: { path: '^src/app/' },
    },
    {
      name: 'domains-meet-through-index',
      comment: "A domain imports another domain only through that domain's index.ts.",
      severity: 'error',
      from: { path: `^(${DOMAIN})/` },
      to: { path: `^${DOMAIN}/`, pathNot: ['^$1/[^/]+$', '/index\\.ts$'] },
    },
    {
      name: 'roof-uses-domain-surface',
      comment: "Adapters call a domain's public surface, never its insides.",
      severity: 'error',
      from: { path: '^(?:src/app|src/http)/' },
      to: { path: `^${DOMAIN}/`, pathNot: ['/index\\.ts$'] },
    },
    {
      name: 'no-circular',
      comment: 'A cycle between modules makes start-up order and ownership unclear.',
      severity: 'error',
      from: { path: '^(?!test/)' },
      to: { circular: true },
    },
    {
      name: 'tests-only-dev-dependencies',
      comment: 'devDependencies (aedes, vitest, playwright...) are for tests, benches and tooling.',
      severity: 'error',
      from: { path: '^(?:src|gateway|devices|billing|prisma/seed|simulators)/', pathNot: ['\\.test\\.ts$', '^src/console/'] },
      to: { dependencyTypes: ['npm-dev'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/|^prisma/generated/|^src/console/web/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
      extensions: ['.ts', '.js', '.mjs'],
    },
  },
};
