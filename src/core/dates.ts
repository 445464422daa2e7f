// The one way dates, times and counts are shown to a user: in VS Code's display language
// (`vscode.env.language`, handed in by the host; the webviews get it from their <html lang>),
// with the platform's Intl (ECMA-402) doing the formatting, in the local time zone. The tree, its
// tooltips, the message view's headers, the connection report and dialogs all use it.

export type DateInput = Date | string | number | undefined;

function toDate(value: DateInput): Date | undefined {
  if (value === undefined || value === '') {
    return undefined;
  }
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** A BCP 47 tag Intl accepts, else 'en'. VS Code gives e.g. "en", "de", "zh-cn", "pt-br". */
export function displayLocale(language: string | undefined): string {
  const tag = (language ?? '').trim();
  if (!tag || tag.length > 35 || !/^[A-Z0-9-]+$/i.test(tag)) {
    return 'en';
  }
  try {
    return Intl.DateTimeFormat.supportedLocalesOf([tag]).length ? tag : 'en';
  } catch {
    return 'en';
  }
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/**
 * Formats dates, times and counts for one display language. `timeZone` is for tests (an IANA
 * name); by default the local zone. Every method returns '' for a missing or invalid date.
 */
export class DisplayFormat {
  readonly locale: string;
  private readonly cache = new Map<string, Intl.DateTimeFormat>();
  private readonly relativeFormat: Intl.RelativeTimeFormat;
  private readonly numberFormat: Intl.NumberFormat;

  constructor(
    language: string | undefined,
    private readonly timeZone?: string,
  ) {
    this.locale = displayLocale(language);
    this.relativeFormat = new Intl.RelativeTimeFormat(this.locale, { numeric: 'auto', style: 'short' });
    this.numberFormat = new Intl.NumberFormat(this.locale);
  }

  private format(key: string, options: Intl.DateTimeFormatOptions, date: Date): string {
    let formatter = this.cache.get(key);
    if (!formatter) {
      formatter = new Intl.DateTimeFormat(this.locale, { ...options, ...(this.timeZone ? { timeZone: this.timeZone } : {}) });
      this.cache.set(key, formatter);
    }
    return formatter.format(date);
  }

  /** Weekday, date and time to the minute: "Mon, Nov 30, 2026, 10:42 AM" (en), "Mo., 30. Nov. 2026, 10:42" (de). */
  full(value: DateInput): string {
    const date = toDate(value);
    return date ? this.format('full', { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' }, date) : '';
  }

  /** Like full(), with seconds: for reports and logs a user reads ("when did this run"). */
  fullWithSeconds(value: DateInput): string {
    const date = toDate(value);
    return date ? this.format('fullSeconds', { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', second: '2-digit' }, date) : '';
  }

  /** The date alone: "Nov 30, 2026" (en), "30 Nov 2026" (en-GB). For certificate validity. */
  day(value: DateInput): string {
    const date = toDate(value);
    return date ? this.format('day', { year: 'numeric', month: 'short', day: 'numeric' }, date) : '';
  }

  /** The time alone: "10:42 AM" (en), "10:42" (de). */
  time(value: DateInput): string {
    const date = toDate(value);
    return date ? this.format('time', { hour: 'numeric', minute: '2-digit' }, date) : '';
  }

  /**
   * When an event is (an invitation's DTSTART/DTEND, ISO strings): one day shown once, the zone's
   * short name after the times, all-day events without times (`end` exclusive, RFC 5545 3.6.1):
   * "Mon, Mar 10, 2025, 10:00 AM – 11:00 AM (GMT+1)", "Fri, Apr 18, 2025 (all day)". '' without a start.
   */
  span(startIso: DateInput, endIso: DateInput, allDay: boolean): string {
    const start = toDate(startIso);
    if (!start) {
      return '';
    }
    const end = toDate(endIso);
    const weekdayDay = (d: Date) => this.format('weekdayDay', { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric' }, d);
    if (allDay) {
      const last = end ? new Date(end.getTime() - 1) : undefined;
      return last && this.dayNumber(last) !== this.dayNumber(start) ? `${weekdayDay(start)} – ${weekdayDay(last)} (all day)` : `${weekdayDay(start)} (all day)`;
    }
    const zone = new Intl.DateTimeFormat(this.locale, { timeZoneName: 'short', ...(this.timeZone ? { timeZone: this.timeZone } : {}) })
      .formatToParts(start).find((p) => p.type === 'timeZoneName')?.value ?? '';
    const suffix = zone ? ` (${zone})` : '';
    if (!end) {
      return `${this.full(start)}${suffix}`;
    }
    return `${this.full(start)} – ${this.dayNumber(end) === this.dayNumber(start) ? this.time(end) : this.full(end)}${suffix}`;
  }

  /** Calendar day of `date` in the display time zone, as a number comparable between dates. */
  private dayNumber(date: Date): number {
    let formatter = this.cache.get('ymd');
    if (!formatter) {
      formatter = new Intl.DateTimeFormat('en-US', { year: 'numeric', month: 'numeric', day: 'numeric', ...(this.timeZone ? { timeZone: this.timeZone } : {}) });
      this.cache.set('ymd', formatter);
    }
    const parts = formatter.formatToParts(date);
    const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
    return Date.UTC(get('year'), get('month') - 1, get('day')) / DAY;
  }

  /**
   * Short and relative for rows: "now", "12 min. ago", "10:42 AM" (today), "yesterday 10:42 AM",
   * "Sat 10:00 AM" (this week), "Nov 3" (this year), "Nov 3, 2024".
   */
  relative(value: DateInput, now: Date = new Date()): string {
    const date = toDate(value);
    if (!date) {
      return '';
    }
    const diff = now.getTime() - date.getTime();
    if (diff >= 0 && diff < MINUTE) {
      return this.relativeFormat.format(0, 'second');
    }
    if (diff >= 0 && diff < 60 * MINUTE) {
      return this.relativeFormat.format(-Math.floor(diff / MINUTE), 'minute');
    }
    const days = this.dayNumber(now) - this.dayNumber(date);
    if (days === 0) {
      return this.time(date);
    }
    if (days === 1) {
      return `${this.relativeFormat.format(-1, 'day')} ${this.time(date)}`;
    }
    if (days > 1 && days < 7) {
      return this.format('weekdayTime', { weekday: 'short', hour: 'numeric', minute: '2-digit' }, date);
    }
    if (this.format('year', { year: 'numeric' }, date) === this.format('year', { year: 'numeric' }, now)) {
      return this.format('monthDay', { month: 'short', day: 'numeric' }, date);
    }
    return this.day(date);
  }

  /**
   * The shortest date for a narrow tree row, so it stays on screen at the default sidebar width:
   * the time today ("10:42 AM", "10:42"), the weekday in the six days before ("Tue"), month and day
   * this year ("Nov 3", "3 Nov"), with the year before ("Nov 3, 2024"). A date after today (a
   * sender's wrong clock) is never "today".
   */
  short(value: DateInput, now: Date = new Date()): string {
    const date = toDate(value);
    if (!date) {
      return '';
    }
    const days = this.dayNumber(now) - this.dayNumber(date);
    if (days === 0) {
      return this.time(date);
    }
    if (days > 0 && days < 7) {
      return this.format('weekday', { weekday: 'short' }, date);
    }
    if (this.format('year', { year: 'numeric' }, date) === this.format('year', { year: 'numeric' }, now)) {
      return this.format('monthDay', { month: 'short', day: 'numeric' }, date);
    }
    return this.day(date);
  }

  /** A count with the language's digit grouping: "1,000" (en), "1.000" (de). */
  count(n: number): string {
    return this.numberFormat.format(n);
  }
}
