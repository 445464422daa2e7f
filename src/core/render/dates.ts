// The Date: header as mail in the wild writes it. RFC 5322 3.3 wants "Tue, 1 Jul 2025 10:00:00
// +0200"; senders write zone names (CEST, PST, "GMT+2"), leave out seconds or the zone, use
// two-digit years, dots, ISO 8601, or the asctime() form of old scripts. Parsed by a tokenizer
// (linear, no backtracking), with the obsolete zones of RFC 5322 4.3 and the abbreviations
// lenient clients (Thunderbird, Python's email.utils) know.

// Offsets in minutes. Ambiguous names take their RFC 822 / North American meaning (CST is US
// Central, not China; IST is India, as Python and most mailers read it).
const ZONES: Record<string, number> = {
  UT: 0, UTC: 0, GMT: 0, Z: 0, WET: 0, WEST: 60, BST: 60, IST: 330,
  CET: 60, MET: 60, MEZ: 60, CEST: 120, MEST: 120, MESZ: 120, EET: 120, EEST: 180,
  MSK: 180, MSD: 240, SAMT: 240, YEKT: 300, NOVT: 420, KRAT: 420, IRKT: 480, VLAT: 600,
  EST: -300, EDT: -240, CST: -360, CDT: -300, MST: -420, MDT: -360, PST: -480, PDT: -420,
  AKST: -540, AKDT: -480, HST: -600, HDT: -540, AST: -240, ADT: -180, NST: -210, NDT: -150,
  JST: 540, KST: 540, HKT: 480, SGT: 480, PHT: 480, WIB: 420, ICT: 420, PKT: 300,
  AWST: 480, ACST: 570, ACDT: 630, AEST: 600, AEDT: 660, NZST: 720, NZDT: 780,
  BRT: -180, BRST: -120, ART: -180, CLT: -240, CLST: -180, SAST: 120, CAT: 120, EAT: 180, WAT: 60,
  IDT: 180, TRT: 180, GST: 240,
};

const MONTHS: Record<string, number> = {
  jan: 0, feb: 1, mar: 2, apr: 3, may: 4, jun: 5, jul: 6, aug: 7, sep: 8, oct: 9, nov: 10, dec: 11,
  // German, French and Spanish abbreviations seen from localised scripts
  mär: 2, mrz: 2, mai: 4, okt: 9, dez: 11, janv: 0, févr: 1, fevr: 1, avr: 3, juin: 5, juil: 6, août: 7, aout: 7, déc: 11, ene: 0, abr: 3, ago: 7, dic: 11,
};

interface Parts {
  year?: number;
  month?: number;
  day?: number;
  hour?: number;
  minute?: number;
  second?: number;
  offset?: number;
}

function twoDigitYear(y: number): number {
  // RFC 5322 4.3: 00-49 is 2000-2049, 50-99 is 1950-1999
  return y < 50 ? 2000 + y : y < 100 ? 1900 + y : y;
}

function tokens(value: string): string[] {
  // split on whitespace and commas; keep signs and colons inside tokens; drop comments "(CEST)"
  const out: string[] = [];
  let depth = 0;
  let current = '';
  const push = () => {
    if (current) {
      out.push(current);
      current = '';
    }
  };
  for (const ch of value) {
    if (ch === '(') {
      push();
      depth++;
    } else if (ch === ')') {
      depth = Math.max(0, depth - 1);
    } else if (depth > 0) {
      continue;
    } else if (ch === ' ' || ch === '\t' || ch === ',' || ch === '\r' || ch === '\n') {
      push();
    } else {
      current += ch;
    }
  }
  push();
  return out;
}

function parseOffset(token: string): number | undefined {
  const m = /^([+-])(\d{1,2}):?(\d{2})?$/.exec(token);
  if (!m) {
    return undefined;
  }
  let hours = Number(m[2]);
  let minutes = m[3] ? Number(m[3]) : 0;
  if (!m[3] && m[2].length === 4) {
    hours = Number(m[2].slice(0, 2));
    minutes = Number(m[2].slice(2));
  }
  if (hours > 14 || minutes > 59) {
    return undefined;
  }
  return (m[1] === '-' ? -1 : 1) * (hours * 60 + minutes);
}

function zoneOf(token: string): number | undefined {
  const upper = token.toUpperCase();
  if (upper in ZONES) {
    return ZONES[upper];
  }
  // "GMT+0200", "UTC-5", "+0200"
  const prefixed = /^(?:GMT|UTC|UT)([+-].*)$/.exec(upper);
  const direct = parseOffset(prefixed ? prefixed[1] : token);
  if (direct !== undefined) {
    return direct;
  }
  if (prefixed) {
    const m = /^([+-])(\d{1,2})$/.exec(prefixed[1]);
    if (m) {
      return (m[1] === '-' ? -1 : 1) * Number(m[2]) * 60;
    }
  }
  return undefined;
}

function applyTime(parts: Parts, token: string): boolean {
  const m = /^(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?(?:\.\d+)?$/.exec(token);
  if (!m) {
    return false;
  }
  parts.hour = Number(m[1]);
  parts.minute = Number(m[2]);
  parts.second = m[3] ? Number(m[3]) : 0;
  return true;
}

function iso(value: string): Date | undefined {
  // 2025-07-01T10:00:00+02:00, 2025-07-01 10:00:00Z, 2025-07-01
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*(Z|[+-]\d{2}:?\d{2})?)?$/i.exec(value.trim());
  if (!m) {
    return undefined;
  }
  const offset = m[7] ? (m[7].toUpperCase() === 'Z' ? 0 : parseOffset(m[7])) : 0;
  return build({ year: Number(m[1]), month: Number(m[2]) - 1, day: Number(m[3]), hour: Number(m[4] ?? 0), minute: Number(m[5] ?? 0), second: Number(m[6] ?? 0), offset });
}

function build(p: Parts): Date | undefined {
  if (p.year === undefined || p.month === undefined || p.day === undefined) {
    return undefined;
  }
  if (p.day < 1 || p.day > 31 || (p.hour ?? 0) > 23 || (p.minute ?? 0) > 59 || (p.second ?? 0) > 60 || p.year < 1970 || p.year > 9999) {
    return undefined;
  }
  const utc = Date.UTC(p.year, p.month, p.day, p.hour ?? 0, p.minute ?? 0, Math.min(p.second ?? 0, 59)) - (p.offset ?? 0) * 60_000;
  const date = new Date(utc);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** Longest Date: value we look at; real ones are under 60 characters. */
const MAX_DATE_LENGTH = 200;

/**
 * Parses a Date: header value (RFC 5322 3.3, with the obsolete syntax of 4.3 and the forms real
 * senders use). A missing zone is read as UTC ("-0000": the local time of the sender is unknown).
 * Returns undefined when it cannot be read; the caller then falls back to INTERNALDATE (IMAP) or
 * shows the date as unknown (a file), never "now".
 */
export function parseMailDate(value: string | undefined): Date | undefined {
  if (!value) {
    return undefined;
  }
  const text = value.trim().slice(0, MAX_DATE_LENGTH);
  const isoDate = iso(text);
  if (isoDate) {
    return isoDate;
  }
  const parts: Parts = {};
  const numbers: number[] = [];
  for (const raw of tokens(text)) {
    const token = raw.replace(/\.$/, '');
    const lower = token.toLowerCase();
    if (parts.hour === undefined && applyTime(parts, token)) {
      continue;
    }
    const month = /^\p{L}+$/u.test(token) ? MONTHS[lower.slice(0, 4)] ?? MONTHS[lower.slice(0, 3)] : undefined;
    if (parts.month === undefined && month !== undefined) {
      parts.month = month;
      continue;
    }
    if (/^\d{1,4}$/.test(token)) {
      numbers.push(Number(token));
      continue;
    }
    // "1-Jul-2025" (old Unix mailers) and "01/07/2025"
    const dashed = /^(\d{1,2})-(\p{L}{3,})-(\d{2,4})$/u.exec(token);
    if (dashed && MONTHS[dashed[2].toLowerCase().slice(0, 3)] !== undefined) {
      parts.day = Number(dashed[1]);
      parts.month = MONTHS[dashed[2].toLowerCase().slice(0, 3)];
      parts.year = twoDigitYear(Number(dashed[3]));
      continue;
    }
    if (parts.offset === undefined && parts.hour !== undefined) {
      const zone = zoneOf(token);
      if (zone !== undefined) {
        parts.offset = zone;
        continue;
      }
    }
    // day names and anything else are ignored
  }
  if (parts.day === undefined || parts.year === undefined) {
    // "1 Jul 2025" or asctime "Jul 1 10:00:00 2025": the day is the small number, the year the large or last one
    const day = numbers.find((n) => n >= 1 && n <= 31);
    const year = [...numbers].reverse().find((n) => n !== day || numbers.filter((x) => x === n).length > 1);
    if (parts.day === undefined && day !== undefined) {
      parts.day = day;
    }
    if (parts.year === undefined && year !== undefined) {
      parts.year = twoDigitYear(year);
    }
  }
  return build(parts);
}
