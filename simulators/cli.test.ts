// The CLI as a user runs it: --help documents every option, a short fleet run and a short
// load run against a throwaway broker print a JSON summary on stdout.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { promisify } from 'node:util';
import { Aedes } from 'aedes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const cli = (args: string[]) => run(process.execPath, ['--import', 'tsx', 'simulators/cli.ts', ...args], { timeout: 30_000 });

let broker: Aedes;
let server: Server;
let url: string;
beforeAll(async () => {
  broker = await Aedes.createBroker();
  server = createServer(broker.handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => broker.close(() => r()));
  await new Promise<void>((r) => server.close(() => r()));
});

describe('sim CLI', () => {
  it('--help documents every option', async () => {
    const { stdout } = await cli(['--help']);
    const source = await readFile('simulators/cli.ts', 'utf8');
    const block = source.slice(source.indexOf('const options = {'), source.indexOf('} as const;'));
    const names = [...block.matchAll(/^\s+'?([a-z-]+)'?: \{ type/gm)].map((m) => m[1]!);
    expect(names.length).toBeGreaterThan(20);
    for (const n of names) expect(stdout).toContain(`--${n}`);
  });

  it('runs a small fleet with scenario options and prints a JSON summary', async () => {
    const { stdout, stderr } = await cli([
      '--url',
      url,
      '--vehicles',
      '2',
      '--elevators',
      '1',
      '--streetlights',
      '1',
      '--accelerate',
      '60',
      '--min-interval-ms',
      '200',
      '--duration',
      '2',
      '--fault-rate',
      '0.1',
      '--bad-frames',
      '0.1',
      '--silence',
      '1',
      '--silence-at',
      '1',
      '--storm-at',
      '1.5',
    ]);
    const summary = JSON.parse(stdout) as {
      terminals: number;
      failed: unknown[];
      silenced: string[];
      connects: number;
      published: Record<string, number>;
    };
    expect(summary).toMatchObject({ terminals: 4, failed: [] });
    expect(summary.silenced).toHaveLength(1);
    expect(summary.published.telemetry).toBeGreaterThan(4);
    expect(stderr).toContain('disconnect storm');
  });

  it('load mode prints throughput and latency', async () => {
    const { stdout, stderr } = await cli([
      'load',
      '--url',
      url,
      '--terminals',
      '3',
      '--duration',
      '1',
      '--inflight',
      '2',
      '--payload-bytes',
      '11',
    ]);
    const r = JSON.parse(stdout) as { acked: number; errors: number; p99Ms: number; payloadBytes: number };
    expect(r.errors).toBe(0);
    expect(r.acked).toBeGreaterThan(50);
    expect(r.payloadBytes).toBe(11);
    expect(stderr).toMatch(/msg\/s \| p50 [\d.]+ ms p99/);
  });

  it('explains a bad option', async () => {
    await expect(cli(['--fault-rate', '2', '--vehicles', '1'])).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--fault-rate must be a number >= 0 and <= 1, got "2"'),
    });
  });
});
