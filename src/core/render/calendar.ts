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

function mailAddress(value: unknown): string {
  const text = typeof value === 'string' ? value : '';
  return text.replace(/^mailto:/i, '').trim();
}

/**
 * Reads an invitation. Returns undefined when the text is not iCalendar or has no VEVENT.
 * Pure and bounded: at most MAX_CALENDAR_BYTES characters are parsed.
 */
export function readCalendar(text: string): CalendarCard | undefined {
  if (text.length > MAX_CALENDAR_BYTES) {
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
  const zones = new Map<string, IcalTimezone>();
  for (const vtimezone of root.getAllSubcomponents('vtimezone')) {
    try {
      const zone = new ICAL.Timezone(vtimezone);
      if (zone.tzid) {
        zones.set(zone.tzid, zone);
      }
    } catch {
      // a broken VTIMEZONE: times in it are read as floating
    }
  }
  const events = root.getAllSubcomponents('vevent');
  const vevent = events.find((e) => !e.hasProperty('recurrence-id')) ?? events[0];
  if (!vevent) {
    return undefined;
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
