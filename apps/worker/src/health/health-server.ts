import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Probe = () => Promise<void>;

interface Indicator {
  status: 'up' | 'down';
  message?: string;
}

/** The body of the API's /health/* (@nestjs/terminus), so that one probe configuration reads both services. */
export interface HealthReport {
  status: 'ok' | 'error';
  info: Record<string, Indicator>;
  error: Record<string, Indicator>;
  details: Record<string, Indicator>;
}

/** Runs every probe at once; 200 when all answer, else 503 with the failing ones under `error`. */
export async function checkHealth(probes: Record<string, Probe>): Promise<{ code: 200 | 503; report: HealthReport }> {
  const results = await Promise.all(
    Object.entries(probes).map(async ([key, probe]): Promise<[string, Indicator]> => {
      try {
        await probe();
        return [key, { status: 'up' }];
      } catch (err) {
        return [key, { status: 'down', message: err instanceof Error ? err.message : 'unavailable' }];
      }
    }),
  );
  const details = Object.fromEntries(results);
  const info = Object.fromEntries(results.filter(([, r]) => r.status === 'up'));
  const error = Object.fromEntries(results.filter(([, r]) => r.status === 'down'));
  const ok = Object.keys(error).length === 0;
  return { code: ok ? 200 : 503, report: { status: ok ? 'ok' : 'error', info, error, details } };
}

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

/**
 * The worker's health endpoints on a small node:http server (the worker has no HTTP framework):
 * GET /health/live (the process answers) and GET /health/ready (every probe answers; 503 naming the ones that do not).
 */
export async function startHealthServer(
  host: string,
  port: number,
  ready: Record<string, Probe>,
): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : JSON.stringify(body));
    };
    if (path !== '/health/live' && path !== '/health/ready') return send(404, { message: 'not found' });
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return send(405, { message: 'method not allowed' });
    }
    checkHealth(path === '/health/live' ? {} : ready).then(
      ({ code, report }) => send(code, report),
      () => send(500, { status: 'error' }),
    );
  });
  // Probes answer fast or fail; a client that holds a connection open must not hold the worker's shutdown.
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
