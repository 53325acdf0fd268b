import { Foundation1763700000000 } from './1763700000000-foundation.js';

/** Every migration, in order. Migrations are never edited after they land: add a new one. */
export const migrations = [Foundation1763700000000];
