// Thin fetch wrapper: bearer token, JSON, problem+json errors. A 401 signs the user out.
import { loadSession, saveSession } from './session';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly problem: { type?: string; title?: string; detail?: string; errors?: { path: string; message: string }[] } = {},
  ) {
    super(message);
  }
  /** The route itself does not exist on this server (not just a missing record). */
  get routeMissing(): boolean {
    return this.status === 404 && /No route/i.test(this.problem.detail ?? '');
  }
}

let onUnauthorized: () => void = () => {};
export function setUnauthorizedHandler(fn: () => void): void {
  onUnauthorized = fn;
}

export async function api<T>(
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string>; text?: { body: string; contentType: string } } = {},
): Promise<T> {
  const session = loadSession();
  const headers: Record<string, string> = { accept: 'application/json', ...init.headers };
  if (session) headers.authorization = `Bearer ${session.token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  // A file posted as it is (a CSV statement), not wrapped in JSON.
  if (init.text) headers['content-type'] = init.text.contentType;
  const res = await fetch(`/api/v1${path}`, {
    method: init.method ?? 'GET',
    headers,
    body: init.text ? init.text.body : init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  const body = text ? (JSON.parse(text) as unknown) : undefined;
  if (!res.ok) {
    const problem = (body ?? {}) as ApiError['problem'];
    if (res.status === 401 && session) {
      saveSession(null);
      onUnauthorized();
    }
    const fields = problem.errors?.map((e) => `${e.path}: ${e.message}`).join('; ');
    throw new ApiError(res.status, [problem.detail ?? problem.title ?? `HTTP ${res.status}`, fields].filter(Boolean).join(' — '), problem);
  }
  return body as T;
}

export interface Page<T> {
  items: T[];
  nextCursor?: string | null;
}

export function qs(params: Record<string, string | number | boolean | null | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** Downloads a binary resource (invoice PDF) with the bearer header, which a plain link cannot send. */
export async function download(path: string, filename: string): Promise<void> {
  const session = loadSession();
  const res = await fetch(`/api/v1${path}`, { headers: session ? { authorization: `Bearer ${session.token}` } : {} });
  if (!res.ok) throw new ApiError(res.status, `Download failed (HTTP ${res.status})`);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
