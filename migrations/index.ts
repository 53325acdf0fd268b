import { Foundation1763700000000 } from './1763700000000-foundation.js';
import { Cases1763800000000 } from './1763800000000-cases.js';
import { Placements1763900000000 } from './1763900000000-placements.js';
import { Handovers1764000000000 } from './1764000000000-handovers.js';
import { Worker1764100000000 } from './1764100000000-worker.js';
import { OutboxProcessed1764150000000 } from './1764150000000-outbox-processed.js';
import { RemindersSweepIndexes1764160000000 } from './1764160000000-reminders-sweep-indexes.js';
import { Webhooks1764200000000 } from './1764200000000-webhooks.js';
import { Reporting1764500000000 } from './1764500000000-reporting.js';
import { MunicipalityReporting1764600000000 } from './1764600000000-municipality-reporting.js';
import { ClientProfilesOwner1764700000000 } from './1764700000000-client-profiles-owner.js';

/** Every migration, in order. Migrations are never edited after they land: add a new one. */
export const migrations = [
  Foundation1763700000000,
  Cases1763800000000,
  Placements1763900000000,
  Handovers1764000000000,
  Worker1764100000000,
  OutboxProcessed1764150000000,
  RemindersSweepIndexes1764160000000,
  Webhooks1764200000000,
  Reporting1764500000000,
  MunicipalityReporting1764600000000,
  ClientProfilesOwner1764700000000,
];
