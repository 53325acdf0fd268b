import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Worker, type Job, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { isJobOutboxKind, OutboxService, RemindersService, ReportExportJob, type OutboxRow } from '@tasuki/domain';
import { bullConnection, CONFIG, createQueue, japanDate, jobId, QUEUE_NAMES, type AppConfig } from '@tasuki/platform';
import { WORKER_LOGGER } from '../worker.tokens.js';

/** How many reminders one sweep transaction claims; a sweep repeats until fewer are due. */
const SWEEP_BATCH = 1000;
/** An export pending this long without a change has its job added again (a no-op while the job still exists). */
const EXPORT_STALE_MS = 10 * 60_000;

export interface ReminderJob {
  reminderId: string;
  orgId: string;
}

export interface ReportExportJobData {
  exportId: string;
  orgId: string;
}

/**
 * The worker's queues: the relay moves committed outbox rows to the `effects` queue, and export requests to the
 * `reports` queue; the `system` queue's job schedulers sweep due reminders (every REMINDER_SWEEP_SECONDS, with the
 * exports whose job may have been lost) and create the daily scans (00:05 in Japan); the `effects` workers run each
 * keyed job (`outbox-<id>`, `reminder-<id>`), the `reports` worker one export at a time (`report-export-<id>`).
 * Jobs carry ids and organizations only. `close()` stops taking jobs and waits for the running ones (SIGTERM), then
 * closes the connections.
 */
@Injectable()
export class JobRuntime implements OnApplicationShutdown {
  private readonly connection: Redis;
  readonly effects: Queue;
  readonly system: Queue;
  readonly reports: Queue;
  private workers: Worker[] = [];
  private relayTimer: NodeJS.Timeout | undefined;
  private relaying: Promise<void> | undefined;
  private stopped = false;

  constructor(
    @Inject(CONFIG) private readonly config: AppConfig,
    @Inject(WORKER_LOGGER) private readonly logger: Logger,
    private readonly outbox: OutboxService,
    private readonly reminders: RemindersService,
    private readonly exports: ReportExportJob,
  ) {
    this.connection = bullConnection(config.redis.url!);
    this.effects = createQueue(QUEUE_NAMES.effects, this.connection, config.redis.keyPrefix);
    this.system = createQueue(QUEUE_NAMES.system, this.connection, config.redis.keyPrefix);
    this.reports = createQueue(QUEUE_NAMES.reports, this.connection, config.redis.keyPrefix);
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
      await this.outbox.process(job.data as OutboxRow);
      return 'done';
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
    return this.outbox.relay(async (rows) => {
      const effects = rows.filter((r) => !isJobOutboxKind(r.kind));
      await this.addExportJobs(
        rows
          .filter((r) => r.kind === 'report.export')
          .map((r) => ({ exportId: String(r.payload.exportId), orgId: r.org_id })),
      );
      if (effects.length > 0) {
        await this.effects.addBulk(
          effects.map((r) => ({ name: 'outbox', data: r, opts: { jobId: jobId('outbox', r.id) } })),
        );
      }
    });
  }

  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.relayTimer);
    await this.relaying?.catch(() => undefined);
    // Worker.close() stops taking jobs and waits for the running ones to finish.
    await Promise.all(this.workers.map((w) => w.close()));
    await Promise.all([this.effects.close(), this.system.close(), this.reports.close()]);
    await this.connection.quit().catch(() => this.connection.disconnect());
  }

  onApplicationShutdown(): Promise<void> {
    return this.close();
  }
}
