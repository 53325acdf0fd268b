/**
 * Large runs of the hostile-input fuzzer (test/e2e/input-fuzz.e2e-spec.ts runs it at CI size): every mutation of the
 * served schema, `--runs` generated inputs each from `--seed`, through a real API on a database of its own.
 *
 *   npm run fuzz -- --seed 8 --runs 200 [--only signIn,registerClient] [--shrink] [--verbose]
 *
 * Exits 1 when a mutation answered a 500, an untyped error, changed a table while refusing, or stored what
 * validation should refuse; prints each such case with its variables.
 */
import { parseArgs } from 'node:util';
import globalSetup from '../harness/global-setup.js';
import { fuzzMutations, prepareFuzzTarget } from '../harness/input-fuzz.js';
import { startTestApi } from '../harness/test-api.js';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: String(Date.now() % 1_000_000) },
    runs: { type: 'string', default: '100' },
    only: { type: 'string' },
    shrink: { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
  },
});
const seed = Number(values.seed);
const runs = Number(values.runs);

await globalSetup();
const api = await startTestApi({ HTTP_BODY_LIMIT: '8mb', RATE_LIMIT_ENABLED: 'false' });
try {
  const target = await prepareFuzzTarget(api);
  const started = Date.now();
  const reports = await fuzzMutations(api, target, {
    seed,
    runs,
    shrink: values.shrink,
    verbose: values.verbose,
    only: values.only?.split(','),
    log: (line) => console.log(line),
  });
  const total = reports.reduce((n, r) => n + r.runs, 0);
  const failed = reports.filter((r) => r.failure);
  console.log(
    `\n${reports.length} mutations, ${total} runs (seed ${seed}, ${runs} per mutation) in ` +
      `${((Date.now() - started) / 1000).toFixed(1)} s: ${failed.length ? `${failed.length} FAILED` : 'no failure'}`,
  );
  process.exitCode = failed.length ? 1 : 0;
} finally {
  await api.close();
}
