import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { seededDatabase } from '../bench/seeded-database.js';

/**
 * Every benchmark script under test/bench, run as `npm run bench:*` runs it (the built script in dist/, a process of
 * its own) at a tiny size — scale S, one round of a second — so that none of them can rot: each must exit 0 and
 * print its figures and the command that repeats it. The figures themselves are not judged here (no timed tests).
 */
const TINY = { BENCH_SCALE: 'S', BENCH_SEED: '1', BENCH_SECONDS: '1', BENCH_ROUNDS: '1', BENCH_CONNECTIONS: '2' };

const BENCHES: [script: string, args: string[], env: Record<string, string>, prints: RegExp[]][] = [
  ['open-cases', [], { BENCH_REQUESTS: '40' }, [/server-side ms .* p95 .* SQL statements/, /^all +40 /m]],
  ['peers', [], {}, [/Tasuki \/ PostGraphile: +(\d|n\/a)/, /Tasuki \/ bare SQL: +(\d|n\/a)/]],
  ['export', ['--scale', 'S'], {}, [/job: SUCCEEDED in [\d.]+ s/, /worker RSS: .* peak \d+ MB/]],
  ['export', ['--clients', '300'], {}, [/job: SUCCEEDED in [\d.]+ s/, /worker RSS: .* peak \d+ MB/]],
  ['reminders', ['--count', '200'], {}, [/all delivered \(DONE\): +[\d.]+ s/, /duplicates found: +0$/m]],
  ['case-list', [], { BENCH_CASES: '100' }, [/SQL statements per request[^:\n]*: \d+/, /requests\/s \d+/]],
  ['foundation', [], {}, [/req\/s \(median\)/]],
  ['anonymize', [], { BENCH_RECORDS: '2000' }, [/lattice search: +[\d.]+ s/, /peak RSS \d+ MB/]],
  ['load', ['--seconds', '2', '--connections', '2'], {}, [/^errors +0 /m, /^lost writes +0$/m, /^foreign rows +0$/m]],
  ['scale-out', [], {}, [/two \/ one: [\d.]+/]],
];

function run(script: string, args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; out: string }>((done) => {
    execFile(
      process.execPath,
      [resolve(process.cwd(), `dist/test/bench/${script}.bench.js`), ...args],
      { env: { ...process.env, ...TINY, ...env }, maxBuffer: 16 * 2 ** 20, timeout: 240_000 },
      (err, stdout, stderr) => done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    );
  });
}

// Two scripts at a time: each is mostly waiting on its own boot and on PostgreSQL, and more at once would crowd the
// shared server's connections.
let running = 0;
const waiting: (() => void)[] = [];
async function inSlot<T>(work: () => Promise<T>): Promise<T> {
  if (running >= 2) await new Promise<void>((r) => waiting.push(r));
  running++;
  try {
    return await work();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

// The seeded scale-S database the scripts share: made once (here, before any of them runs), reused by later runs.
let seeded: Promise<unknown> | undefined;
const prepare = () => (seeded ??= seededDatabase('S', 1, () => undefined));

describe('the benchmark scripts, at a tiny size', () => {
  it.concurrent.each(BENCHES)(
    'bench:%s %j prints its figures and how to repeat them',
    async (script, args, env, prints) => {
      await prepare();
      const { code, out } = await inSlot(() => run(script, args, env));
      if (code !== 0) throw new Error(`bench:${script} exited ${code}:\n${out.slice(-3000)}`);
      for (const p of prints) expect(out).toMatch(p);
      expect(out).toMatch(/repeat: .*npm run bench:/);
    },
    600_000,
  );
});
