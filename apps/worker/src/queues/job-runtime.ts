import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Worker, type Job, type Queue } from 'bullmq';
import type { Logger } from 'pino';
import { OutboxService, RemindersService, type OutboxRow } from '@tasuki/domain';
import {
  assertNoEviction,
  bullConnection,
  closeRedis,
  CONFIG,
  createQueue,
  japanDate,
  jobId,
  pingRedis,
  QUEUE_NAMES,
  type AppConfig,
  type RedisClient,
} from '@tasuki/platform';
import { WORKER_LOGGER } from '../worker.tokens.js';

/** How many reminders one sweep transaction claims; a sweep repeats until fewer are due. */
const SWEEP_BATCH = 1000;

export interface ReminderJob {
  reminderId: string;
  orgId: string;
}

/**
 * The worker's queues: the relay moves committed outbox rows to the `effects` queue; the `system` queue's job
 * schedulers sweep due reminders (every REMINDER_SWEEP_SECONDS) and create the daily scans (00:05 in Japan); the
 * `effects` workers run each keyed job (`outbox-<id>`, `reminder-<id>`; an outbox row `webhook.deliver` is one
 * webhook delivery, one attempt per run, with its own retries). Jobs carry ids and organizations only.
 * `close()` stops taking jobs and waits for the running ones (SIGTERM), then closes the connections.
 */
@Injectable()
export class JobRuntime implements OnApplicationShutdown {
  private readonly connection: RedisClient;
  readonly effects: Queue;
  readonly system: Queue;
  private workers: Worker[] = [];
  private relayTimer: NodeJS.Timeout | undefined;
  private relaying: Promise<void> | undefined;
  private stopped = false;

  constructor(
    @Inject(CONFIG) private readonly config: AppConfig,
    @Inject(WORKER_LOGGER) private readonly logger: Logger,
    private readonly outbox: OutboxService,
    private readonly reminders: RemindersService,
  ) {
    this.connection = bullConnection(config.redis);
    this.effects = createQueue(QUEUE_NAMES.effects, this.connection, config.redis.keyPrefix);
    this.system = createQueue(QUEUE_NAMES.system, this.connection, config.redis.keyPrefix);
  }

  /** PING on the queues' own connection (on a cluster, also its state): the worker's readiness. */
  ping(timeoutMs: number): Promise<void> {
    return pingRedis(this.connection, timeoutMs);
  }

  /** Refuses a Redis that may evict the queues' keys (RedisEvictionPolicyError); see assertNoEviction. */
  assertRedisKeepsJobs(): Promise<void> {
    return assertNoEviction(this.connection, (msg) => this.logger.warn(msg));
  }

  async start(): Promise<void> {
    const { prefix, lockMs, concurrency } = {
      prefix: this.config.redis.keyPrefix,
      lockMs: this.config.worker.lockMs,
      concurrency: this.config.worker.concurrency,
    };
    const options = {
      connection: this.connection,
      prefix,
      lockDuration: lockMs,
      stalledInterval: Math.max(1000, Math.floor(lockMs / 2)),
      maxStalledCount: 10,
    };
    this.workers = [
      new Worker(QUEUE_NAMES.effects, (job) => this.runEffect(job), { ...options, concurrency }),
      new Worker(QUEUE_NAMES.system, (job) => this.runSystem(job), { ...options, concurrency: 1 }),
    ];
    for (const w of this.workers) {
      w.on('failed', (job, err) =>
        this.logger.warn({ err, job: job?.name, jobId: job?.id, attempts: job?.attemptsMade }, 'job failed'),
      );
      w.on('error', (err) => this.logger.warn({ err }, 'worker error'));
    }
    await this.system.upsertJobScheduler(
      'sweep-reminders',
      { every: this.config.worker.sweepSeconds * 1000 },
      { name: 'sweep-reminders', opts: { removeOnComplete: { count: 100 }, removeOnFail: { count: 1000 } } },
    );
    await this.system.upsertJobScheduler(
      'daily-scan',
      { pattern: '5 0 * * *', tz: 'Asia/Tokyo' },
      { name: 'daily-scan', opts: { removeOnComplete: { count: 30 }, removeOnFail: { count: 100 } } },
    );
    this.scheduleRelay(0);
  }

  private async runEffect(job: Job): Promise<string | null> {
    if (job.name === 'reminder') {
      const { reminderId, orgId } = job.data as ReminderJob;
      return this.reminders.process(reminderId, orgId);
    }
    if (job.name === 'outbox') {
      // BullMQ counts attemptsMade after each failure: this run is the last when no attempt is left after it.
      return this.outbox.process(job.data as OutboxRow, { final: job.attemptsMade + 1 >= (job.opts.attempts ?? 1) });
    }
    throw new Error(`unknown effects job ${job.name}`);
  }

  private async runSystem(job: Job): Promise<number> {
    if (job.name === 'sweep-reminders') return this.sweepAll();
    if (job.name === 'daily-scan') return this.reminders.scheduleDaily(japanDate());
    throw new Error(`unknown system job ${job.name}`);
  }

  /** Enqueues every due reminder, a batch per transaction, until fewer than a batch are due. */
  async sweepAll(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.reminders.sweep(
        async (due) => {
          await this.effects.addBulk(
            due.map((d) => ({
              name: 'reminder',
              data: { reminderId: d.id, orgId: d.orgId } satisfies ReminderJob,
              opts: { jobId: jobId('reminder', d.id) },
            })),
          );
        },
        { limit: SWEEP_BATCH },
      );
      total += n;
      if (n < SWEEP_BATCH || this.stopped) return total;
    }
  }

  /** One relay pass: committed outbox rows become jobs; when none were found, wait OUTBOX_POLL_MS. */
  private scheduleRelay(delay: number) {
    if (this.stopped) return;
    this.relayTimer = setTimeout(() => {
      this.relaying = this.relayOnce()
        .then((n) => this.scheduleRelay(n > 0 ? 0 : this.config.worker.outboxPollMs))
        .catch((err: unknown) => {
          this.logger.warn({ err }, 'outbox relay failed; retrying');
          this.scheduleRelay(Math.max(2000, this.config.worker.outboxPollMs));
        });
    }, delay);
  }

  relayOnce(): Promise<number> {
    return this.outbox.relay(async (rows) => {
      await this.effects.addBulk(
        rows.map((r) => ({ name: 'outbox', data: r, opts: { jobId: jobId('outbox', r.id), ...this.retriesOf(r) } })),
      );
    });
  }

  /**
   * A webhook delivery's job retries on its own schedule (WEBHOOK_ATTEMPTS from WEBHOOK_BACKOFF_MS, doubling): a
   * receiver may be down for hours, which the queue's default (8 attempts from 1 s) would not wait out.
   */
  private retriesOf(row: OutboxRow) {
    if (row.kind !== 'webhook.deliver') return {};
    const { attempts, backoffMs } = this.config.webhook;
    return { attempts, backoff: { type: 'exponential', delay: backoffMs } };
  }

  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.relayTimer);
    await this.relaying?.catch(() => undefined);
    // Worker.close() stops taking jobs and waits for the running ones to finish.
    await Promise.all(this.workers.map((w) => w.close()));
    await Promise.all([this.effects.close(), this.system.close()]);
    await closeRedis(this.connection);
  }

  onApplicationShutdown(): Promise<void> {
    return this.close();
  }
}
