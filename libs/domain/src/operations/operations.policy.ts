import type { PolicyRules } from '@tasuki/platform';

/**
 * The job queues (the dashboard at /admin/queues): the platform operator only. `read` looks at queues and jobs, whose
 * data are ids and organizations, never personal data; `update` retries, promotes, pauses and resumes.
 */
export const operationsPolicy: PolicyRules = (actor, { can }) => {
  if (actor.isOperator) can(['read', 'update'], 'JobQueue');
};
