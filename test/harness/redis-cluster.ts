import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freeLoopbackPort, redisAnswers, sleep } from '@tasuki/platform';

export interface RedisCluster {
  /** The nodes as REDIS_CLUSTER_NODES lists them. */
  nodes: string[];
  stop(): Promise<void>;
}

/** Whether a `redis-server` is on PATH (the cluster tests skip, saying so, when it is not). */
export function redisServerOnPath(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

const SLOTS = 16384;

/**
 * A Redis Cluster of `masters` nodes without replicas, each a `redis-server` child on free loopback ports (its client
 * port and its cluster-bus port, Redis 7's `cluster-port`), data in a temporary folder. It is formed by hand — slots
 * split evenly with CLUSTER ADDSLOTSRANGE, nodes joined with CLUSTER MEET — so it needs no redis-cli; it resolves
 * when every node reports `cluster_state:ok`.
 */
export async function startRedisCluster(masters = 3): Promise<RedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'tasuki-cluster-'));
  const children: ChildProcess[] = [];
  const clients: Redis[] = [];
  const stop = async () => {
    for (const c of clients) c.disconnect();
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGKILL');
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const ports: number[] = [];
    const busPorts: number[] = [];
    for (let i = 0; i < masters; i++) {
      const port = await freeLoopbackPort();
      const busPort = await freeLoopbackPort();
      const nodeDir = join(dir, String(port));
      mkdirSync(nodeDir);
      // Redis 7 takes the last value of a repeated setting; these are all given once.
      const args = [
        ...['--bind', '127.0.0.1', '--port', String(port), '--cluster-port', String(busPort)],
        ...['--cluster-enabled', 'yes', '--cluster-config-file', join(nodeDir, 'nodes.conf')],
        ...['--cluster-node-timeout', '5000', '--dir', nodeDir, '--save', '', '--appendonly', 'no'],
        ...['--maxmemory-policy', 'noeviction'],
      ];
      children.push(spawn('redis-server', args, { stdio: 'ignore' }));
      ports.push(port);
      busPorts.push(busPort);
    }
    for (const port of ports) {
      for (let i = 0; !(await redisAnswers(`redis://127.0.0.1:${port}`)); i++) {
        if (i > 100) throw new Error(`redis-server on ${port} did not answer within 10 s`);
        await sleep(100);
      }
      const client = new Redis({ host: '127.0.0.1', port, lazyConnect: false, maxRetriesPerRequest: 1 });
      client.on('error', () => undefined);
      clients.push(client);
    }
    const per = Math.ceil(SLOTS / masters);
    for (const [i, client] of clients.entries()) {
      await client.call('CLUSTER', 'ADDSLOTSRANGE', String(i * per), String(Math.min(SLOTS, (i + 1) * per) - 1));
    }
    // MEET names the bus port too: it is not the default (port + 10000) here.
    for (let i = 1; i < masters; i++) {
      await clients[0]!.call('CLUSTER', 'MEET', '127.0.0.1', String(ports[i]), String(busPorts[i]));
    }
    for (let i = 0; ; i++) {
      const states = await Promise.all(clients.map((c) => c.call('CLUSTER', 'INFO') as Promise<string>));
      if (states.every((s) => s.includes('cluster_state:ok'))) break;
      if (i > 150) throw new Error(`the cluster did not reach cluster_state:ok within 15 s:\n${states.join('\n')}`);
      await sleep(100);
    }
    for (const c of clients.splice(0)) c.disconnect();
    return { nodes: ports.map((p) => `redis://127.0.0.1:${p}`), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
