// The floors of ARCHITECTURE.md as checks: the import rules of .dependency-cruiser.cjs, and no
// cycle between folders (a cycle of single modules is caught by the rules; one between folders
// needs the folder graph, which dependency-cruiser does not check by itself).

import { cruise, type ICruiseResult } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import { describe, expect, it } from 'vitest';

const ROOTS = ['src', 'gateway', 'devices', 'billing', 'prisma', 'simulators', 'test'];

/** The folder a module belongs to, at the grain of ARCHITECTURE.md's module table. */
function folderOf(path: string): string {
  const nested = /^(src\/[^/]+|devices\/health|gateway\/codecs|prisma\/[^/]+)\//.exec(path);
  if (nested?.[1]) return nested[1];
  if (/^src\/[^/]+\.ts$/.test(path)) return path;
  return path.split('/')[0] ?? path;
}

/** Strongly connected components of size > 1 (Tarjan). */
function folderCycles(edges: Map<string, Set<string>>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v) ?? 0, idx.get(w) ?? 0));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string | undefined;
      do {
        w = stack.pop();
        if (w === undefined) break;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of edges.keys()) if (!idx.has(v)) visit(v);
  return out;
}

describe('architecture', () => {
  let result: ICruiseResult;
  const load = async () => {
    if (result) return result;
    const options = await extractDepcruiseOptions('./.dependency-cruiser.cjs');
    const tsConfig = extractTSConfig('tsconfig.json');
    const out = await cruise(ROOTS, { ...options, validate: true }, undefined, { tsConfig });
    result = out.output as ICruiseResult;
    return result;
  };

  it('keeps every import rule: ground, roof, domain surfaces, no module cycles', async () => {
    const { summary } = await load();
    const broken = summary.violations.map(
      (v) => `${v.rule.name}: ${v.from} -> ${v.to}${v.cycle ? ` (${v.cycle.map((c) => c.name).join(' -> ')})` : ''}`,
    );
    expect(broken).toEqual([]);
    expect(summary.totalCruised).toBeGreaterThan(200);
  }, 60_000);

  it('has no import cycle between folders', async () => {
    const { modules } = await load();
    const edges = new Map<string, Set<string>>();
    for (const m of modules) {
      const from = folderOf(m.source);
      if (from === 'test' || m.source.includes('node_modules')) continue;
      for (const d of m.dependencies) {
        if (d.coreModule || d.resolved.includes('node_modules')) continue;
        const to = folderOf(d.resolved);
        if (to === from) continue;
        edges.set(from, (edges.get(from) ?? new Set()).add(to));
      }
    }
    expect(edges.size).toBeGreaterThan(10);
    expect(folderCycles(edges)).toEqual([]);
  }, 60_000);

  it('finds a cycle when there is one', () => {
    const edges = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a'])],
      ['d', new Set(['a'])],
    ]);
    expect(folderCycles(edges)).toEqual([['a', 'b', 'c']]);
  });
});
