import holidayJp from '@holiday-jp/holiday_jp';

/** Japan has one time zone without daylight saving: UTC+9. */
const JST_OFFSET_MS = 9 * 3600_000;

/** Today in Japan as "YYYY-MM-DD". */
export function japanDate(now: Date = new Date()): string {
  return new Date(now.getTime() + JST_OFFSET_MS).toISOString().slice(0, 10);
}

/**
 * A Japanese business day: not Saturday or Sunday, not a national holiday (祝日・振替休日, from the maintained
 * @holiday-jp/holiday_jp list), and not the year-end and New Year closure of public offices (12/29–1/3).
 */
export function isBusinessDay(date: string): boolean {
  const d = new Date(`${date}T00:00:00Z`);
  const day = d.getUTCDay();
  if (day === 0 || day === 6) return false;
  const md = date.slice(5);
  if (md >= '12-29' || md <= '01-03') return false;
  // holiday_jp compares by the local calendar date of the Date it is given; noon UTC is the same date in Japan.
  return !holidayJp.isHoliday(new Date(`${date}T12:00:00Z`));
}

/** The date `n` business days after `from` (a "YYYY-MM-DD"), not counting `from` itself. */
export function addBusinessDays(from: string, n: number): string {
  const d = new Date(`${from}T00:00:00Z`);
  let left = n;
  while (left > 0) {
    d.setUTCDate(d.getUTCDate() + 1);
    if (isBusinessDay(d.toISOString().slice(0, 10))) left--;
  }
  return d.toISOString().slice(0, 10);
}
