// Requests over a real socket to a started system: what a client on the network sends,
// byte for byte (inject would not exercise the server's URL and body handling the same way).

export interface HttpAnswer {
  status: number;
  contentType: string;
  headers: Headers;
  // Parsed JSON body, or undefined when the body is not JSON; tests read fields off it.
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary fields
  json: any;
  text: string;
}

export async function http(
  baseUrl: string,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<HttpAnswer> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined = opts.rawBody;
  if (opts.body !== undefined) body = JSON.stringify(opts.body);
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  const res = await fetch(baseUrl + path, { method, headers, body });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', headers: res.headers, json, text };
}
