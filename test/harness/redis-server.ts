import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeLoopbackPort, redisAnswers, sleep } from '@tasuki/platform';

/**
 * A redis-server of the test's own on a free loopback port, for tests that stop, pause or restart Redis (never the
 * machine's shared one). Restarted on the same port, so clients reconnect to the same URL; `fresh` restarts it
 * without its data, as after a loss of the server.
 */
export class OwnRedis {
  private child: ChildProcess | undefined;
  private dir = mkdtempSync(join(tmpdir(), 'tasuki-redis-'));

  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<OwnRedis> {
    const redis = new OwnRedis(await freeLoopbackPort());
    await redis.restart();
    return redis;
  }

  /** Starts the server (again) on its port; `fresh`: with an empty data directory. */
  async restart(o: { fresh?: boolean } = {}): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
      throw new Error('redis-server is still running');
    }
    if (o.fresh) {
      rmSync(this.dir, { recursive: true, force: true });
      this.dir = mkdtempSync(join(tmpdir(), 'tasuki-redis-'));
    }
    const child = spawn(
      'redis-server',
      // appendfsync always: a restart with the data keeps every acknowledged write.
      [
        ...['--bind', '127.0.0.1', '--port', String(this.port), '--dir', this.dir, '--save', ''],
        ...['--appendonly', 'yes', '--appendfsync', 'always', '--maxmemory-policy', 'noeviction'],
      ],
      { stdio: 'ignore' },
    );
    this.child = child;
    for (let i = 0; i < 100; i++) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
      if (await redisAnswers(this.url)) return;
      await sleep(100);
    }
    throw new Error('redis-server did not answer within 10 s');
  }

  /** SIGSTOP: connections stay open and nothing answers (a hung server, a network partition). */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  /** SIGKILL: connections are refused until restart(). */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
