import { SetMetadata } from '@nestjs/common';
import type { Action, SubjectName } from './ability.js';

export const POLICY_KEY = 'tasuki:policy';

/**
 * Every root Query and Mutation (and every HTTP route) declares one of these; a test walks the schema and fails on
 * a root field without one, and the guard refuses a handler without one.
 * - public: no token needed (signIn, health).
 * - signedIn: a valid token, no acting organization needed (me).
 * - can: a valid token and an ability that allows `action` on `subject` (conditions are checked in the service).
 */
export type PolicySpec =
  { kind: 'public' } | { kind: 'signedIn' } | { kind: 'can'; action: Action; subject: Exclude<SubjectName, 'all'> };

export const Public = () => SetMetadata(POLICY_KEY, { kind: 'public' } satisfies PolicySpec);
export const SignedIn = () => SetMetadata(POLICY_KEY, { kind: 'signedIn' } satisfies PolicySpec);
export const Can = (action: Action, subject: Exclude<SubjectName, 'all'>) =>
  SetMetadata(POLICY_KEY, { kind: 'can', action, subject } satisfies PolicySpec);
