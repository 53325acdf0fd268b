import { addBusinessDays } from '@tasuki/platform';
import { addDays, jstAt, type NewReminder } from '../reminders/reminder.model.js';

/** Default answer time: five Japanese business days after sending (PRODUCT.md §3). */
export const DEFAULT_RESPONSE_BUSINESS_DAYS = 5;

/** The respond-by date of a referral sent on `sentOn` (a date in Japan) without one of its own. */
export function defaultRespondBy(sentOn: string): string {
  return addBusinessDays(sentOn, DEFAULT_RESPONSE_BUSINESS_DAYS);
}

/**
 * Not answered by its respond-by date: the recipient's coordinators are reminded at 09:00 in Japan the next day,
 * the sender two days after that.
 */
export function unansweredReminders(orgId: string, referralId: string, respondBy: string): NewReminder[] {
  return [
    { orgId, kind: 'REFERRAL_UNANSWERED', subjectId: referralId, dueAt: jstAt(addDays(respondBy, 1), 9) },
    { orgId, kind: 'REFERRAL_UNANSWERED_SENDER', subjectId: referralId, dueAt: jstAt(addDays(respondBy, 3), 9) },
  ];
}
