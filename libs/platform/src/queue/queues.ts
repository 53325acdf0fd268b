import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import type { RedisTarget } from '../config/config.js';
import { createRedisClient, type RedisClient } from '../redis/redis-client.js';

/**
 * The BullMQ queues. `effects`: one job per outbox row or batch of due reminders (see jobId), whose work is
 * idempotent by a unique key in its transaction. `system`: the job schedulers (the reminder sweep every minute,
 * the daily scans). `reports`: the anonymized exports (`report-export-<export id>`), one at a time per worker, as
 * each holds its cohort's encoding in memory. Every queue shares the configured prefix, which carries a hash tag
 * (`{tasuki}`), so on Redis
 * Cluster all of a deployment's keys live in one slot, as BullMQ's multi-key scripts need.
 */
export const QUEUE_NAMES = { effects: 'effects', system: 'system', reports: 'reports' } as const;
export type QueueName = (typeof QUEUE_NAMES)[keyof typeof QUEUE_NAMES];

/** Retries with exponential backoff; failed jobs are kept for inspection, completed ones for a day (dedupe window). */
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 24 * 3600, count: 100_000 },
  removeOnFail: false,
};

/**
 * A connection for BullMQ, to one server or a cluster: commands wait for a reconnect instead of failing (BullMQ
 * requires it for workers). BullMQ duplicates it for each worker's blocking connection.
 */
export function bullConnection(target: RedisTarget): RedisClient {
  const client = createRedisClient(target, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    disconnectTimeout: 200,
  });
  client.on('error', () => undefined); // reconnects on its own; readiness reports the state
  return client;
}

export function createQueue(name: QueueName, connection: ConnectionOptions, prefix: string): Queue {
  return new Queue(name, { connection, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
}

/**
 * Job ids name what the job does (BullMQ refuses colons in custom ids): `outbox-<id>`, `reminder-<id>`,
 * `reminders-<digest of the ids>` for a batch of one organization's reminders, and `report-export-<export id>`.
 */
export const jobId = (kind: 'outbox' | 'reminder' | 'reminders' | 'report-export', id: string | number) =>
  `${kind}-${id}`;
