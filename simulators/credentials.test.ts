import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeSerials, parseCredentialsCsv, readCredentialsCsv, writeCredentialsCsv } from './credentials.js';

describe('credentials CSV', () => {
  it('reads serial,secret lines, skipping the header, blanks and comments (CRLF too)', () => {
    const text = 'serial,secret\r\n# fleet A\r\nNXV-00000001, abc_DEF-123 \r\n\r\nNXE-00000002,zzz\r\n';
    expect(parseCredentialsCsv(text)).toEqual([
      { serial: 'NXV-00000001', secret: 'abc_DEF-123' },
      { serial: 'NXE-00000002', secret: 'zzz' },
    ]);
  });

  it('names the line of a malformed entry', () => {
    expect(() => parseCredentialsCsv('serial,secret\nNXV-1\n')).toThrow('credentials CSV line 2: expected "serial,secret", got "NXV-1"');
    expect(() => parseCredentialsCsv('NXV-1,a,b')).toThrow(/line 1/);
  });

  it('round-trips through a file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nx-creds-'));
    try {
      const creds = makeSerials('NXL', 3).map((serial, i) => ({ serial, secret: `s${i}` }));
      expect(creds[0]!.serial).toBe('NXL-00000001');
      await writeCredentialsCsv(join(dir, 'c.csv'), creds);
      expect(await readCredentialsCsv(join(dir, 'c.csv'))).toEqual(creds);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
