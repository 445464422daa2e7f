// Invitations (iMIP, RFC 6047: text/calendar or application/ics with METHOD REQUEST, CANCEL...)
// read with ical.js (RFC 5545) into what the message view's card shows: what, when (in the
// user's time zone), where, who organizes, how many are invited. Replying (iMIP REPLY) is not
// done here.
import ICAL from 'ical.js';
import { plainLabel } from '../text';

export interface CalendarCard {
  /** iTIP method (RFC 5546): REQUEST, CANCEL, PUBLISH, REPLY..., upper-case; '' when absent. */
  method: string;
  summary: string;
  /** Start and end as ISO 8601 (UTC); absent when the event has none we can read. */
  start?: string;
  end?: string;
  allDay: boolean;
  organizer?: { name: string; address: string };
  location?: string;
  attendees: number;
  /** The event's STATUS (CANCELLED, TENTATIVE, CONFIRMED), upper-case; '' when absent. */
  status: string;
  /** More than one event (a series with exceptions): the card shows the first. */
  events: number;
}

/** Largest invitation we parse (real ones are a few KB; Outlook's with time zones under 20 KB). */
export const MAX_CALENDAR_BYTES = 512 * 1024;

/**
 * Most parameters one content line may have (real properties have under a dozen: CN, ROLE,
 * PARTSTAT, RSVP...). ical.js looks for the end of the parameters again from each parameter, so
 * its cost grows with parameters x line length; bounding the count keeps the parse linear.
 */
const MAX_PARAMETERS_PER_LINE = 64;
/**
 * Most recurrence steps one time zone may cost. ical.js expands a VTIMEZONE's rules from their
 * DTSTART up to the year asked for (five years past the event or today), one step per occurrence:
 * a yearly rule since 1601 costs about 430, a rule of FREQ=SECONDLY never ends.
 */
const MAX_ZONE_STEPS = 10_000;
/** STANDARD and DAYLIGHT parts of one VTIMEZONE (real ones: 2; a long RDATE history: a few dozen). */
const MAX_ZONE_RULES = 64;
/** The rule parts time zones use (RFC 5545 3.6.5; Outlook, Apple, Google, tzurl.org). */
const ZONE_RULE_PARTS = new Set(['BYMONTH', 'BYDAY', 'BYMONTHDAY']);

type IcalTime = InstanceType<typeof ICAL.Time>;
type IcalProperty = InstanceType<typeof ICAL.Property>;
type IcalTimezone = InstanceType<typeof ICAL.Timezone>;

/** The UTC instant of a wall-clock time in an IANA zone (a TZID with no VTIMEZONE, as some senders write). */
function fromIanaZone(time: IcalTime, zone: string): Date | undefined {
  try {
    const guess = Date.UTC(time.year, time.month - 1, time.day, time.hour, time.minute, time.second);
    const parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' }).formatToParts(new Date(guess));
    const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
    const shown = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
    return new Date(guess - (shown - guess));
  } catch {
    return undefined;
  }
}

function instant(prop: IcalProperty | null, zones: Map<string, IcalTimezone>): { date: Date; allDay: boolean } | undefined {
  const value = prop?.getFirstValue();
  if (!prop || !(value instanceof ICAL.Time)) {
    return undefined;
  }
  if (value.isDate) {
    // an all-day event is a calendar date, not an instant: midnight where the user is
    return { date: new Date(value.year, value.month - 1, value.day), allDay: true };
  }
  const tzid = prop.getParameter('tzid');
  const tz = typeof tzid === 'string' ? tzid : undefined;
  if (tz && zones.has(tz)) {
    const zoned = ICAL.Time.fromData({ year: value.year, month: value.month, day: value.day, hour: value.hour, minute: value.minute, second: value.second, isDate: false }, zones.get(tz));
    return { date: zoned.toJSDate(), allDay: false };
  }
  if (tz && value.zone !== ICAL.Timezone.utcTimezone) {
    const date = fromIanaZone(value, tz);
    if (date) {
      return { date, allDay: false };
    }
  }
  return { date: value.toJSDate(), allDay: false };
}

type IcalComponent = InstanceType<typeof ICAL.Component>;

/**
 * Whether some content line has more than MAX_PARAMETERS_PER_LINE parameters: counts the ';'
 * before the first ':' outside double quotes (RFC 5545 3.1), following folded lines. One pass.
 */
function tooManyParameters(text: string): boolean {
  let parameters = 0;
  let inName = true;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a) {
      const next = text.charCodeAt(i + 1);
      if (next !== 0x20 && next !== 0x09) {
        // a new content line (a space or tab after the line break folds it, RFC 5545 3.1)
        inName = true;
        quoted = false;
        parameters = 0;
      }
    } else if (!inName) {
      continue;
    } else if (c === 0x22) {
      quoted = !quoted;
    } else if (!quoted && c === 0x3a) {
      inName = false;
    } else if (!quoted && c === 0x3b && ++parameters > MAX_PARAMETERS_PER_LINE) {
      return true;
    }
  }
  return false;
}

/**
 * What expanding a VTIMEZONE up to `untilYear` costs in recurrence steps, counted before ical.js
 * expands anything; Infinity for rules no time zone has (not yearly, or by hour, minute, second,
 * week or day of the year), which a sender can make step through every second since 1601.
 * Occurrences a year are over-estimated (BYDAY without an ordinal: 5 a month, 53 a year).
 */
function zoneCost(vtimezone: IcalComponent, untilYear: number): number {
  const rules = vtimezone.getAllSubcomponents();
  if (rules.length > MAX_ZONE_RULES) {
    return Infinity;
  }
  let steps = 0;
  for (const rule of rules) {
    steps += rule.getAllProperties('rdate').length;
    // ical.js expands only the first RRULE of a rule
    const recur = rule.getFirstPropertyValue('rrule');
    const start = rule.getFirstPropertyValue('dtstart');
    if (!recur || !(start instanceof ICAL.Time)) {
      continue;
    }
    if (!(recur instanceof ICAL.Recur) || recur.freq !== 'YEARLY') {
      return Infinity;
    }
    const parts = (recur.parts ?? {}) as Record<string, unknown>;
    let perYear = 1;
    for (const [part, values] of Object.entries(parts)) {
      if (!ZONE_RULE_PARTS.has(part) || !Array.isArray(values)) {
        return Infinity;
      }
      if (part === 'BYDAY') {
        const unordered = values.filter((v) => /^[A-Z]{2}$/.test(String(v))).length;
        perYear *= values.length - unordered + unordered * (parts.BYMONTH ? 5 : 53);
      } else {
        perYear *= values.length;
      }
    }
    steps += Math.max(0, untilYear - start.year + 1) * perYear;
  }
  return steps;
}

/** The latest year ical.js will expand zones to for this event (its Timezone.EXTRA_COVERAGE is 5). */
function coverageYear(vevent: IcalComponent): number {
  let year = new Date().getUTCFullYear();
  for (const name of ['dtstart', 'dtend']) {
    const value = vevent.getFirstPropertyValue(name);
    if (value instanceof ICAL.Time) {
      year = Math.max(year, value.year);
    }
  }
  return year + 5;
}

function mailAddress(value: unknown): string {
  const text = typeof value === 'string' ? value : '';
  return text.replace(/^mailto:/i, '').trim();
}

/**
 * Reads an invitation. Returns undefined when the text is not iCalendar or has no VEVENT.
 * Pure and bounded: at most MAX_CALENDAR_BYTES characters are parsed.
 */
export function readCalendar(text: string): CalendarCard | undefined {
  if (text.length > MAX_CALENDAR_BYTES || tooManyParameters(text)) {
    return undefined;
  }
  let root: InstanceType<typeof ICAL.Component>;
  try {
    const parsed: unknown = ICAL.parse(text);
    const jcal = Array.isArray(parsed) && typeof parsed[0] === 'string' ? parsed : Array.isArray(parsed) ? parsed[0] : undefined;
    if (!jcal) {
      return undefined;
    }
    root = new ICAL.Component(jcal as unknown[]);
  } catch {
    return undefined;
  }
  const events = root.getAllSubcomponents('vevent');
  const vevent = events.find((e) => !e.hasProperty('recurrence-id')) ?? events[0];
  if (!vevent) {
    return undefined;
  }
  const zones = new Map<string, IcalTimezone>();
  let untilYear: number;
  try {
    untilYear = coverageYear(vevent);
  } catch {
    return undefined;
  }
  for (const vtimezone of root.getAllSubcomponents('vtimezone')) {
    try {
      // a zone too costly to expand is left out: its times are read by their IANA name, else floating
      if (zoneCost(vtimezone, untilYear) > MAX_ZONE_STEPS) {
        continue;
      }
      const zone = new ICAL.Timezone(vtimezone);
      if (zone.tzid) {
        zones.set(zone.tzid, zone);
      }
    } catch {
      // a broken VTIMEZONE: times in it are read as floating
    }
  }
  try {
    const start = instant(vevent.getFirstProperty('dtstart'), zones);
    let end = instant(vevent.getFirstProperty('dtend'), zones);
    if (!end && start && vevent.hasProperty('duration')) {
      const duration = vevent.getFirstPropertyValue('duration');
      if (duration instanceof ICAL.Duration) {
        end = { date: new Date(start.date.getTime() + duration.toSeconds() * 1000), allDay: start.allDay };
      }
    }
    const organizerProp = vevent.getFirstProperty('organizer');
    const organizerAddress = mailAddress(organizerProp?.getFirstValue());
    const cn = organizerProp?.getParameter('cn');
    const card: CalendarCard = {
      method: plainLabel(String(root.getFirstPropertyValue('method') ?? ''), 20).toUpperCase(),
      summary: plainLabel(String(vevent.getFirstPropertyValue('summary') ?? ''), 300),
      allDay: start?.allDay ?? false,
      attendees: vevent.getAllProperties('attendee').length,
      status: plainLabel(String(vevent.getFirstPropertyValue('status') ?? ''), 20).toUpperCase(),
      events: events.length,
    };
    if (start) {
      card.start = start.date.toISOString();
    }
    if (end) {
      card.end = end.date.toISOString();
    }
    if (organizerAddress || cn) {
      card.organizer = { name: plainLabel(typeof cn === 'string' ? cn : '', 120), address: plainLabel(organizerAddress, 200) };
    }
    const location = vevent.getFirstPropertyValue('location');
    if (location) {
      card.location = plainLabel(String(location), 300);
    }
    return card;
  } catch {
    return undefined;
  }
}
