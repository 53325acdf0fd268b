import { hostname } from 'node:os';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Worker, type Job, type Queue } from 'bullmq';
import type { Logger } from 'pino';
import {
  isJobOutboxKind,
  OutboxService,
  reminderBatches,
  RemindersService,
  ReportExportJob,
  type OutboxRow,
} from '@tasuki/domain';
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
  withTimeout,
  type AppConfig,
  type RedisClient,
} from '@tasuki/platform';
import { WORKER_LOGGER } from '../worker.tokens.js';

/** How many reminders one sweep transaction claims; a sweep repeats until fewer are due. */
const SWEEP_BATCH = 1000;
/**
 * How long an add to BullMQ may take before the relay or sweep gives up and rolls back: a paused or unreachable
 * Redis would otherwise hold their PostgreSQL transaction (and its row locks) open for the whole outage.
 */
const ENQUEUE_TIMEOUT_MS = 5000;
/** While Redis is unreachable every connection reports each failed attempt: one log line per this period. */
const REDIS_ERROR_LOG_MS = 10_000;
/** An export pending this long without a change has its job added again (a no-op while the job still exists). */
const EXPORT_STALE_MS = 10 * 60_000;

export interface ReminderJob {
  reminderId: string;
  orgId: string;
}

/** A batch of one organization's reminders (reminderBatches). */
export interface RemindersJob {
  orgId: string;
  reminderIds: string[];
}

export interface ReportExportJobData {
  exportId: string;
  orgId: string;
}

/**
 * The worker's queues: the relay moves committed outbox rows to the `effects` queue, and export requests to the
 * `reports` queue (one export at a time per worker, `report-export-<id>`); the `system` queue's job
 * schedulers sweep due reminders (every REMINDER_SWEEP_SECONDS) and create the daily scans (00:05 in Japan); the
 * `effects` workers run each keyed job (`outbox-<id>`, an outbox row `webhook.deliver` being one webhook delivery,
 * one attempt per run, with its own retries; `reminders-<digest>`, a batch of one organization's due reminders;
 * `reminder-<id>`, one of a failed batch). Jobs carry ids and organizations only.
 * `close()` stops taking jobs and waits for the running ones (SIGTERM), then closes the connections.
 */
@Injectable()
export class JobRuntime implements OnApplicationShutdown {
  private readonly connection: RedisClient;
  readonly effects: Queue;
  readonly system: Queue;
  readonly reports: Queue;
  private workers: Worker[] = [];
  private relayTimer: NodeJS.Timeout | undefined;
  private relaying: Promise<void> | undefined;
  private stopped = false;
  private recovering = false;
  private redisErrors = 0;
  private redisErrorLoggedAt = 0;

  constructor(
    @Inject(CONFIG) private readonly config: AppConfig,
    @Inject(WORKER_LOGGER) private readonly logger: Logger,
    private readonly outbox: OutboxService,
    private readonly reminders: RemindersService,
    private readonly exports: ReportExportJob,
  ) {
    this.connection = bullConnection(config.redis);
    this.effects = createQueue(QUEUE_NAMES.effects, this.connection, config.redis.keyPrefix);
    this.system = createQueue(QUEUE_NAMES.system, this.connection, config.redis.keyPrefix);
    this.reports = createQueue(QUEUE_NAMES.reports, this.connection, config.redis.keyPrefix);
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
      // Stored on each job it runs (BullMQ's `processedBy`): the dashboard and the scale-out test see which worker.
      name: `${hostname()}:${process.pid}`,
      lockDuration: lockMs,
      stalledInterval: Math.max(1000, Math.floor(lockMs / 2)),
      maxStalledCount: 10,
      // After a connection error BullMQ waits this long before fetching again (15 s by default): jobs resume about
      // a second after Redis is back.
      runRetryDelay: 1000,
    };
    // One export at a time per worker: each holds its cohort's encoding (13 bytes a client) and the search.
    const reports = new Worker(QUEUE_NAMES.reports, (job) => this.runReport(job), { ...options, concurrency: 1 });
    // An export is rare and long: say when one ends, and how long it took.
    reports.on('completed', (job, result) =>
      this.logger.info(
        { job: job.name, jobId: job.id, ms: (job.finishedOn ?? Date.now()) - (job.processedOn ?? Date.now()), result },
        'report export job completed',
      ),
    );
    this.workers = [
      new Worker(QUEUE_NAMES.effects, (job) => this.runEffect(job), { ...options, concurrency }),
      new Worker(QUEUE_NAMES.system, (job) => this.runSystem(job), { ...options, concurrency: 1 }),
      reports,
    ];
    for (const w of this.workers) {
      w.on('failed', (job, err) =>
        this.logger.warn({ err, job: job?.name, jobId: job?.id, attempts: job?.attemptsMade }, 'job failed'),
      );
      w.on('error', (err) => this.redisError(err));
    }
    for (const q of [this.effects, this.system, this.reports]) q.on('error', (err) => this.redisError(err));
    await this.upsertSchedulers();
    // Redis back after an outage: it may have restarted without its data, losing the schedulers and queued jobs.
    this.connection.on('ready', () => void this.afterReconnect());
    this.scheduleRelay(0);
  }

  /** The job schedulers (idempotent: every worker upserts them at start, and again when Redis comes back). */
  private async upsertSchedulers(): Promise<void> {
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
  }

  /**
   * After a reconnect: the schedulers again, and every reminder and outbox row handed to BullMQ but not yet handled
   * is added again at once (same job ids: a job that survived makes the add a no-op), instead of after
   * REENQUEUE_AFTER_MS.
   */
  private async afterReconnect(): Promise<void> {
    if (this.stopped || this.recovering) return;
    this.recovering = true;
    try {
      await this.upsertSchedulers();
      const reminders = await this.reminders.sweepEnqueued((due) => this.enqueueReminders(due));
      const events = await this.outbox.relayUnprocessed((rows) => this.enqueueRelayed(rows));
      this.logger.info({ reminders, events }, 'Redis is back: schedulers restored, unfinished jobs added again');
    } catch (err) {
      this.logger.warn({ err }, 'recovery after the Redis reconnect failed; the sweeps will catch up');
    } finally {
      this.recovering = false;
    }
  }

  private redisError(err: Error): void {
    const now = Date.now();
    this.redisErrors++;
    if (now - this.redisErrorLoggedAt < REDIS_ERROR_LOG_MS) return;
    this.logger.warn(
      { err, errors: this.redisErrors },
      'Redis unavailable; the relay and the jobs resume when it is back',
    );
    this.redisErrorLoggedAt = now;
    this.redisErrors = 0;
  }

  private async runEffect(job: Job): Promise<string | null> {
    if (job.name === 'reminders') return this.runReminders(job.data as RemindersJob);
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

  private async runReport(job: Job): Promise<string> {
    if (job.name !== 'report-export') throw new Error(`unknown reports job ${job.name}`);
    const { exportId, orgId } = job.data as ReportExportJobData;
    const finalAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    return this.exports.run(exportId, orgId, { finalAttempt });
  }

  private async runSystem(job: Job): Promise<number> {
    if (job.name === 'sweep-reminders') return (await this.sweepAll()) + (await this.requeueStaleExports());
    if (job.name === 'daily-scan') return this.reminders.scheduleDaily(japanDate());
    throw new Error(`unknown system job ${job.name}`);
  }

  /** Enqueues every due reminder, a batch per transaction, until fewer than a batch are due. */
  async sweepAll(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.reminders.sweep((due) => this.enqueueReminders(due), { limit: SWEEP_BATCH });
      total += n;
      if (n < SWEEP_BATCH || this.stopped) return total;
    }
  }

  /** A batch's reminders in one transaction; if one effect fails, each reminder becomes a job of its own. */
  private async runReminders({ orgId, reminderIds }: RemindersJob): Promise<string> {
    try {
      return `${(await this.reminders.processBatch(orgId, reminderIds)).size} handled`;
    } catch (err) {
      this.logger.warn({ err, orgId, reminders: reminderIds.length }, 'reminder batch failed; retrying one by one');
      await this.enqueue(
        reminderIds.map((id) => ({
          name: 'reminder',
          data: { reminderId: id, orgId } satisfies ReminderJob,
          opts: { jobId: jobId('reminder', id) },
        })),
      );
      return 'split';
    }
  }

  private enqueueReminders(due: { id: string; orgId: string }[]): Promise<void> {
    return this.enqueue(
      reminderBatches(due).map((b) => ({
        name: 'reminders',
        data: { orgId: b.orgId, reminderIds: b.ids } satisfies RemindersJob,
        opts: { jobId: jobId('reminders', b.key) },
      })),
    );
  }

  /** Relayed rows: export requests become `report-export` jobs (ids only); every other event an `outbox` effect. */
  private async enqueueRelayed(rows: OutboxRow[]): Promise<void> {
    await withTimeout(
      this.addExportJobs(
        rows
          .filter((r) => r.kind === 'report.export')
          .map((r) => ({ exportId: String(r.payload.exportId), orgId: r.org_id })),
      ),
      ENQUEUE_TIMEOUT_MS,
      'Redis did not take the jobs in time',
    );
    const effects = rows.filter((r) => !isJobOutboxKind(r.kind));
    if (effects.length === 0) return;
    await this.enqueue(
      effects.map((r) => ({ name: 'outbox', data: r, opts: { jobId: jobId('outbox', r.id), ...this.retriesOf(r) } })),
    );
  }

  /** addBulk, given up after ENQUEUE_TIMEOUT_MS (the caller's transaction then rolls back; nothing is lost). */
  private async enqueue(jobs: Parameters<Queue['addBulk']>[0]): Promise<void> {
    await withTimeout(this.effects.addBulk(jobs), ENQUEUE_TIMEOUT_MS, 'Redis did not take the jobs in time');
  }

  /** Adds the jobs of exports pending for a while again; BullMQ ignores the ones whose job still exists. */
  async requeueStaleExports(): Promise<number> {
    const stale = await this.exports.findStale(EXPORT_STALE_MS);
    await this.addExportJobs(stale.map((e) => ({ exportId: e.id, orgId: e.orgId })));
    return stale.length;
  }

  private addExportJobs(jobs: readonly ReportExportJobData[]) {
    if (jobs.length === 0) return Promise.resolve([]);
    return this.reports.addBulk(
      jobs.map((data) => ({ name: 'report-export', data, opts: { jobId: jobId('report-export', data.exportId) } })),
    );
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

  /** Export requests become `report-export` jobs (ids only); every other event an `outbox` effect. */
  relayOnce(): Promise<number> {
    return this.outbox.relay((rows) => this.enqueueRelayed(rows));
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
    await Promise.all([this.effects.close(), this.system.close(), this.reports.close()]);
    await closeRedis(this.connection);
  }

  onApplicationShutdown(): Promise<void> {
    return this.close();
  }
}
