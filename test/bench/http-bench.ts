import autocannon from 'autocannon';
import type { TestApi } from '../harness/test-api.js';

export interface BenchOptions {
  seconds: number;
  rounds: number;
  connections: number;
}

export const benchOptions = (): BenchOptions => ({
  seconds: Number(process.env.BENCH_SECONDS ?? 10),
  rounds: Number(process.env.BENCH_ROUNDS ?? 3),
  connections: Number(process.env.BENCH_CONNECTIONS ?? 10),
});

export interface HttpTarget {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
}

export interface TargetFigures {
  rps: number;
  p50: number;
  p99: number;
}

/**
 * Loads each target with autocannon in turn, alternating them over several rounds (so drift hits all alike), and
 * returns each one's median requests/s and latency percentiles. Any non-2xx answer or error fails the run.
 */
export async function benchTargets(
  targets: Record<string, HttpTarget>,
  opts: BenchOptions,
): Promise<Record<string, TargetFigures>> {
  const results: Record<string, { rps: number[]; p50: number[]; p99: number[] }> = {};
  for (let round = 0; round < opts.rounds; round++) {
    for (const [name, t] of Object.entries(targets)) {
      const r = await autocannon({
        url: t.url,
        method: t.method ?? 'POST',
        connections: opts.connections,
        duration: opts.seconds,
        headers: { 'content-type': 'application/json', ...t.headers },
        body: t.body,
      });
      if (r.non2xx || r.errors) throw new Error(`${name}: ${r.non2xx} non-2xx, ${r.errors} errors`);
      const acc = (results[name] ??= { rps: [], p50: [], p99: [] });
      acc.rps.push(r.requests.average);
      acc.p50.push(r.latency.p50);
      acc.p99.push(r.latency.p99);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return Object.fromEntries(
    Object.entries(results).map(([name, r]) => [name, { rps: median(r.rps), p50: median(r.p50), p99: median(r.p99) }]),
  );
}

/** The table of benchTargets' figures. */
export function printFigures(figures: Record<string, TargetFigures>, label: string, opts: BenchOptions): void {
  console.log(
    `\n${label}: ${opts.connections} connections, ${opts.seconds} s x ${opts.rounds} alternating rounds, node ${process.version}`,
  );
  console.log(`${'operation'.padEnd(34)} req/s (median)   p50 ms   p99 ms`);
  for (const [name, r] of Object.entries(figures)) {
    console.log(
      `${name.padEnd(34)} ${r.rps.toFixed(0).padStart(14)} ${String(r.p50).padStart(8)} ${String(r.p99).padStart(8)}`,
    );
  }
}

/**
 * Runs each GraphQL operation under autocannon, alternating them over several rounds (so drift hits all alike), and
 * prints the median requests/s and latency percentiles, with the command that repeats the run.
 */
export async function benchOperations(
  api: TestApi,
  headers: Record<string, string>,
  operations: Record<string, string>,
  opts: BenchOptions,
  label: string,
  script: string,
): Promise<void> {
  const targets = Object.fromEntries(
    Object.entries(operations).map(([name, query]) => [
      name,
      { url: `${api.url}/graphql`, headers, body: JSON.stringify({ query }) },
    ]),
  );
  printFigures(await benchTargets(targets, opts), label, opts);
  console.log(
    `\nrepeat: BENCH_SECONDS=${opts.seconds} BENCH_ROUNDS=${opts.rounds} BENCH_CONNECTIONS=${opts.connections} npm run ${script}`,
  );
}
