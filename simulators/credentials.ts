// Where terminal credentials come from: a CSV file (serial,secret) or the operator's API,
// where a contractor provisions each serial and receives its secret once.
import { readFile, writeFile } from 'node:fs/promises';

export type TerminalCredential = { serial: string; secret: string };

/** Parses "serial,secret" lines; a header line, blank lines and # comments are skipped. */
export function parseCredentialsCsv(text: string): TerminalCredential[] {
  const out: TerminalCredential[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const [serial, secret, ...rest] = line.split(',').map((s) => s.trim());
    if (i === 0 && serial?.toLowerCase() === 'serial') return;
    if (!serial || !secret || rest.length > 0) {
      throw new Error(`credentials CSV line ${i + 1}: expected "serial,secret", got "${line}"`);
    }
    out.push({ serial, secret });
  });
  return out;
}

export async function readCredentialsCsv(path: string): Promise<TerminalCredential[]> {
  return parseCredentialsCsv(await readFile(path, 'utf8'));
}

export async function writeCredentialsCsv(path: string, creds: TerminalCredential[]): Promise<void> {
  const lines = ['serial,secret', ...creds.map((c) => `${c.serial},${c.secret}`)];
  await writeFile(path, `${lines.join('\n')}\n`, { mode: 0o600 });
}

export type ProvisionOptions = {
  /** Base URL of the API, e.g. http://127.0.0.1:3000 */
  apiUrl: string;
  email: string;
  password: string;
  serials: string[];
  /** Extra JSON body for the provisioning call (e.g. contractId), if the API wants one. */
  body?: Record<string, unknown>;
  fetchImpl?: typeof fetch;
};

/**
 * Logs in (normally as a contractor) and calls POST /api/v1/devices/{serial}/provision
 * for each serial, which answers {serial, secret}. The Idempotency-Key is stable per
 * serial, so re-running after a partial failure does not issue a second secret.
 */
export async function provisionViaApi(o: ProvisionOptions): Promise<TerminalCredential[]> {
  const f = o.fetchImpl ?? fetch;
  const base = o.apiUrl.replace(/\/+$/, '');
  const login = await f(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: o.email, password: o.password }),
  });
  if (!login.ok) throw new Error(`login as ${o.email} failed: HTTP ${login.status} ${await login.text()}`);
  const { token } = (await login.json()) as { token: string };
  const creds: TerminalCredential[] = [];
  for (const serial of o.serials) {
    const res = await f(`${base}/api/v1/devices/${encodeURIComponent(serial)}/provision`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${token}`,
        'idempotency-key': `sim-provision-${serial}`,
      },
      body: JSON.stringify(o.body ?? {}),
    });
    if (!res.ok) throw new Error(`provisioning ${serial} failed: HTTP ${res.status} ${await res.text()}`);
    const data = (await res.json()) as { serial?: string; secret?: string };
    if (typeof data.secret !== 'string') throw new Error(`provisioning ${serial}: response has no secret`);
    creds.push({ serial: data.serial ?? serial, secret: data.secret });
  }
  return creds;
}

/** Serials like NXV-00000001 for a category prefix, for quick local runs. */
export function makeSerials(prefix: 'NXV' | 'NXE' | 'NXL', count: number, start = 1): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${String(start + i).padStart(8, '0')}`);
}
