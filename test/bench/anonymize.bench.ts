/**
 * The anonymized export's core at scale L (200,000 clients): synthetic records streamed into the encoder (no raw
 * cohort is ever held, as a database cursor would feed it), the lattice search, then the published rows streamed out
 * as CSV lines to nowhere. No database: this measures the in-memory part the export job will run.
 *
 *   npm run bench:anonymize                      (defaults: 200,000 records, k = 5)
 *   BENCH_RECORDS=50000 BENCH_K=10 npm run bench:anonymize
 *
 * Prints the seconds of each phase and the process's RSS after loading (the worker's baseline) and at its peak.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  DISEASE_GROUP_ORDER,
  DiseaseGroupTable,
  planAnonymization,
  publishRows,
  readDesignatedDiseaseList,
  RecordEncoder,
  subjectSchema,
} from '@tasuki/domain';
import { DATES, SNAPSHOT_DATE, syntheticPopulation, TYPICAL_SHAPE } from '../harness/synthetic-population.js';

const records = Number(process.env.BENCH_RECORDS ?? 200_000);
const k = Number(process.env.BENCH_K ?? 5);
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const peak = () => mb(process.resourceUsage().maxRSS * 1024);
const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(2)} s`;

const reference = join(process.cwd(), '..', 'shared', 'reference');
const list = existsSync(reference)
  ? await readDesignatedDiseaseList(reference)
  : Array.from({ length: 348 }, (_, i) => ({ number: i + 1, groups: [DISEASE_GROUP_ORDER[i % 14]!] }));
const schema = subjectSchema({
  snapshotDate: SNAPSHOT_DATE,
  diseaseGroups: new DiseaseGroupTable(list),
  dates: DATES,
});
globalThis.gc?.();
const baseline = process.memoryUsage().rss;
console.log(`\nanonymize bench: ${records.toLocaleString('en')} records, k = ${k}, node ${process.version}`);
console.log(`RSS after loading (the worker's baseline): ${mb(baseline)}`);

let t = performance.now();
const encoder = new RecordEncoder(schema);
for (const subject of syntheticPopulation(
  { ...TYPICAL_SHAPE, size: records, seed: 2026 },
  list.map((d) => d.number),
)) {
  encoder.add(subject);
}
const enc = encoder.finish();
console.log(`encode (generate + encode, streamed):      ${seconds(t)}   peak RSS ${peak()}`);

t = performance.now();
const plan = planAnonymization(enc, { k });
const m = plan.metadata;
console.log(`lattice search:                            ${seconds(t)}   peak RSS ${peak()}`);

t = performance.now();
let bytes = 0;
for (const row of publishRows(enc, plan)) bytes += Object.values(row).join(',').length + 1;
console.log(`publish (shuffle, tokens, CSV lines):      ${seconds(t)}   peak RSS ${peak()}`);

console.log(
  `\nnode ${m.node.map((n) => `${n.column}=${n.levelName}`).join(' ')}; ` +
    `${m.lattice.nodesEvaluated} of ${m.lattice.nodes} nodes evaluated; ${m.classCount} classes; ` +
    `suppressed ${m.suppressedCount} (k ${m.suppressedForK}, ℓ ${m.suppressedForL}) of ${m.cohortCount}, ` +
    `bound ${m.maxSuppressed} ${m.suppressionBoundHeld ? 'held' : 'NOT held'}; ${mb(bytes)} of CSV`,
);
console.log(`peak RSS ${peak()} (baseline ${mb(baseline)})`);
console.log(`\nrepeat: BENCH_RECORDS=${records} BENCH_K=${k} npm run bench:anonymize`);
