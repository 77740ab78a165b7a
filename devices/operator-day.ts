const formatters = new Map<string, Intl.DateTimeFormat>();
let last: { minute: number; timeZone: string; day: string } | null = null;

/** The calendar day (YYYY-MM-DD) of an instant in the operator's time zone: usage is counted per such day. */
export function operatorDay(at: Date, timeZone: string): string {
  // Ingest asks for every message; the day only changes on a minute boundary in any zone.
  const minute = Math.floor(at.getTime() / 60_000);
  if (last && last.minute === minute && last.timeZone === timeZone) return last.day;
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(timeZone, f);
  }
  const day = f.format(at);
  last = { minute, timeZone, day };
  return day;
}
