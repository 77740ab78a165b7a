import type { RouteOptions } from 'fastify';

/**
 * Every API operation in /openapi.json gets a tag and a summary: routes should state their own
 * (they read better), and this fills the gap from the method and path when one forgets, e.g.
 * `GET /api/v1/devices/:serial/commands` -> tag "devices", "List commands of a device".
 */
export function documentRoute(route: RouteOptions): void {
  if (!route.url.startsWith('/api/')) return;
  route.schema ??= {};
  const schema = route.schema as { hide?: boolean; tags?: string[]; summary?: string };
  if (schema.hide) return;
  const parts = route.url
    .replace(/^\/api\/v\d+\//, '')
    .split('/')
    .filter(Boolean);
  schema.tags ??= [parts[0] ?? 'api'];
  if (schema.summary) return;
  const method = (Array.isArray(route.method) ? route.method[0] : route.method) ?? 'GET';
  schema.summary = summarise(method.toUpperCase(), parts);
}

const singular = (word: string) =>
  word
    .replace(/-/g, ' ')
    .replace(/ies$/, 'y')
    .replace(/([^su])s$/, '$1');
const plain = (word: string) => word.replace(/-/g, ' ');
const a = (phrase: string) => `${/^[aeiou]/i.test(phrase) ? 'an' : 'a'} ${phrase}`;

function summarise(method: string, parts: string[]): string {
  // Split the path into resource/:param pairs: devices/:serial/commands/:id.
  const last = parts[parts.length - 1] ?? '';
  const onItem = last.startsWith(':');
  const nouns = parts.filter((p) => !p.startsWith(':'));
  const noun = nouns[nouns.length - 1] ?? 'resource';
  const owner = nouns.length > 1 ? ` of ${a(singular(nouns[nouns.length - 2]!))}` : '';
  if (method === 'GET') return onItem ? `Get ${a(singular(noun))}${owner}` : `List ${plain(noun)}${owner}`;
  if (method === 'PATCH' || method === 'PUT') return `Update ${a(singular(noun))}${owner}`;
  if (method === 'DELETE') return `Delete ${a(singular(noun))}${owner}`;
  if (method === 'POST') {
    // POST /devices/:serial/provision is an action on the item before it.
    const parentIsItem = parts.length >= 2 && parts[parts.length - 2]!.startsWith(':');
    if (!onItem && parentIsItem && !/s$/.test(noun)) {
      return `${noun.charAt(0).toUpperCase()}${plain(noun).slice(1)} ${a(singular(nouns[nouns.length - 2]!))}`;
    }
    return `Create ${a(singular(noun))}${owner}`;
  }
  return `${method} ${plain(noun)}`;
}
