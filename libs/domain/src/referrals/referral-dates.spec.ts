import { describe, expect, it } from '@jest/globals';
import { defaultRespondBy, unansweredReminders } from './referral-dates.js';

describe('a referral’s respond-by date and its reminders', () => {
  it('sent on the Friday before Golden Week 2027: respond by Wednesday 12 May, reminded the next morning', () => {
    const respondBy = defaultRespondBy('2027-04-30');
    expect(respondBy).toBe('2027-05-12');
    expect(unansweredReminders('org', 'referral', respondBy)).toEqual([
      // 09:00 in Japan is 00:00 UTC.
      { orgId: 'org', kind: 'REFERRAL_UNANSWERED', subjectId: 'referral', dueAt: new Date('2027-05-13T00:00:00Z') },
      {
        orgId: 'org',
        kind: 'REFERRAL_UNANSWERED_SENDER',
        subjectId: 'referral',
        dueAt: new Date('2027-05-15T00:00:00Z'),
      },
    ]);
  });

  it('sent on the Friday before Golden Week 2026, whose 振替休日 is Wednesday 6 May: respond by 13 May', () => {
    expect(defaultRespondBy('2026-05-01')).toBe('2026-05-13');
    expect(unansweredReminders('org', 'referral', '2026-05-13')[0]!.dueAt).toEqual(new Date('2026-05-14T00:00:00Z'));
  });
});
