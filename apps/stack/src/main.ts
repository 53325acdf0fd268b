import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger, loadConfigOrExit, persistentSecret, prepareInfrastructure } from '@tasuki/platform';

/**
 * `npm start`: one command that runs the API and the worker on the embedded defaults. It settles PostgreSQL and
 * Redis once (configured, local, or started here), migrates, then runs both services as child processes with the
 * settled URLs, and stops everything on Ctrl-C / SIGTERM. Outside production, with no OPERATOR_* configured, it
 * creates a development operator whose password is kept in DATA_DIR and printed once.
 */
const here = dirname(fileURLToPath(import.meta.url));
const entry = (app: string) => join(here, '..', '..', app, 'src', 'main.js');

let config = loadConfigOrExit('Tasuki');
const logger = createLogger(config, 'stack');

let devOperator: { email: string; password: string } | undefined;
if (!config.operator && config.env !== 'production') {
  const fresh = !existsSync(join(config.dataDir, 'operator-password'));
  devOperator = {
    email: 'operator@tasuki.localhost',
    password: persistentSecret(config.dataDir, 'operator-password', 18),
  };
  config = { ...config, operator: devOperator };
  if (fresh)
    logger.info(`development operator: ${devOperator.email} (password in ${config.dataDir}/operator-password)`);
}

const infra = await prepareInfrastructure(config, logger);
const settled = infra.config;
const childEnv: NodeJS.ProcessEnv = {
  ...process.env,
  NODE_ENV: settled.env,
  DATABASE_URL: settled.database.ownerUrl,
  REDIS_URL: settled.redis.url,
  JWT_SECRET: settled.jwt.secret,
  MIGRATIONS_RUN: 'false', // done above, once
  ...(settled.database.appPassword ? { DATABASE_APP_PASSWORD: settled.database.appPassword } : {}),
  ...(devOperator ? { OPERATOR_EMAIL: devOperator.email, OPERATOR_PASSWORD: devOperator.password } : {}),
};

const children = new Map<string, ChildProcess>();
let stopping = false;

function startChild(name: 'api' | 'worker'): void {
  const child = spawn(process.execPath, [entry(name)], { env: childEnv, stdio: 'inherit' });
  children.set(name, child);
  child.on('exit', (code, signal) => {
    children.delete(name);
    if (stopping) return;
    logger.error({ code, signal }, `${name} exited; stopping Tasuki`);
    void stop(1);
  });
}

async function stop(exitCode: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  const exits = [...children.values()].map(
    (c) =>
      new Promise<void>((done) =>
        c.exitCode !== null || c.signalCode !== null ? done() : c.once('exit', () => done()),
      ),
  );
  for (const c of children.values()) c.kill('SIGTERM');
  await Promise.race([Promise.all(exits), new Promise((r) => setTimeout(r, 30_000))]);
  await infra.stop();
  process.exit(exitCode);
}

process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
logger.info(`PostgreSQL: ${infra.postgres}; Redis: ${infra.redis}; starting API and worker`);
startChild('api');
startChild('worker');
logger.info(`GraphQL: http://${settled.host === '0.0.0.0' ? 'localhost' : settled.host}:${settled.port}/graphql`);
