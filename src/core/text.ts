// Turning server and sender text into safe plain text for VS Code's own UI (tree labels,
// tooltips, notifications): no bidi overrides or control characters, no encoded words left over,
// bounded length. The result is never interpreted as markdown by the callers.
import libmime from 'libmime';

// Bidi embedding/override/isolate controls and marks (a subject with U+202E can show "gpj.exe" as
// "exe.jpg"), zero-width characters, BOM and C0/C1 controls.
const INVISIBLE = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C\u200B-\u200D\u2060\uFEFF\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g;
const ENCODED_WORD = /=\?[^?\s]+\?[BbQq]\?[^?\s]*\?=/;

export function decodeWords(text: string): string {
  if (!ENCODED_WORD.test(text)) {
    return text;
  }
  try {
    return libmime.decodeWords(text);
  } catch {
    return text;
  }
}

/** Plain, single-line, bounded text for a label or a notification. */
export function plainLabel(text: string | undefined, max = 200): string {
  if (!text) {
    return '';
  }
  let out = decodeWords(text).replace(INVISIBLE, '').replace(/[\r\n\t]+/g, ' ').replace(/\s{2,}/g, ' ').trim();
  if (out.length > max) {
    out = `${out.slice(0, max - 1)}…`;
  }
  return out;
}

/** Like plainLabel, but keeps line breaks (tooltips). */
export function plainMultiline(text: string, max = 2000): string {
  return text
    .split('\n')
    .map((line) => plainLabel(line, max))
    .join('\n')
    .slice(0, max);
}

export interface Address {
  name?: string;
  address?: string;
}

export function formatAddress(a: Address): string {
  const name = plainLabel(a.name, 120);
  const address = plainLabel(a.address, 200);
  if (name && address && name.toLowerCase() !== address.toLowerCase()) {
    return `${name} <${address}>`;
  }
  return name || address || '(unknown)';
}

export function formatAddresses(list: Address[] | undefined): string {
  return (list ?? []).map(formatAddress).join(', ');
}

export function senderName(list: Address[] | undefined): string {
  const first = list?.[0];
  if (!first) {
    return '(no sender)';
  }
  return plainLabel(first.name, 80) || plainLabel(first.address, 80) || '(no sender)';
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

const pad = (n: number) => String(n).padStart(2, '0');

/** "just now", "12 min ago", "14:05" (today), "Yesterday 09:12", "Mon 10:00" (this week), "3 Nov", "3 Nov 2024". */
export function relativeDate(date: Date | undefined, now: Date = new Date()): string {
  if (!date || Number.isNaN(date.getTime())) {
    return '';
  }
  const diff = now.getTime() - date.getTime();
  if (diff >= 0 && diff < 60_000) {
    return 'just now';
  }
  if (diff >= 0 && diff < 60 * 60_000) {
    return `${Math.floor(diff / 60_000)} min ago`;
  }
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}`;
  const startOfToday = new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime();
  const day = 24 * 60 * 60_000;
  const t = date.getTime();
  if (t >= startOfToday && t < startOfToday + day) {
    return time;
  }
  if (t >= startOfToday - day && t < startOfToday) {
    return `Yesterday ${time}`;
  }
  if (t >= startOfToday - 6 * day && t < startOfToday) {
    return `${DAYS[date.getDay()]} ${time}`;
  }
  if (date.getFullYear() === now.getFullYear()) {
    return `${date.getDate()} ${MONTHS[date.getMonth()]}`;
  }
  return `${date.getDate()} ${MONTHS[date.getMonth()]} ${date.getFullYear()}`;
}

export function fullDate(date: Date | undefined): string {
  if (!date || Number.isNaN(date.getTime())) {
    return '';
  }
  return `${DAYS[date.getDay()]}, ${date.getDate()} ${MONTHS[date.getMonth()]} ${date.getFullYear()} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export function formatSize(bytes: number | undefined): string {
  if (bytes === undefined || !Number.isFinite(bytes)) {
    return '';
  }
  if (bytes < 1024) {
    return `${bytes} B`;
  }
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 10 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

/** A file name safe to create on any OS, from a hostile attachment name. */
export function safeFileName(name: string | undefined, fallback = 'attachment'): string {
  const cleaned = plainLabel(name ?? '', 150)
    .replace(/[/\\:*?"<>|]/g, '_')
    .replace(/^\.+/, '')
    .trim();
  const reserved = /^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$/i;
  if (!cleaned || reserved.test(cleaned)) {
    return fallback;
  }
  return cleaned;
}

/**
 * A date for a narrow row, at most 11 characters: "14:05" today, "Mon" this week, "3 Nov" this year,
 * "3 Nov 2024" before (the months and days as relativeDate and fullDate write them).
 */
export function shortDate(date: Date | undefined, now: Date = new Date()): string {
  if (!date || Number.isNaN(date.getTime())) {
    return '';
  }
  const startOfToday = new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime();
  const day = 24 * 60 * 60_000;
  const t = date.getTime();
  if (t >= startOfToday && t < startOfToday + day) {
    return `${pad(date.getHours())}:${pad(date.getMinutes())}`;
  }
  if (t >= startOfToday - 6 * day && t < startOfToday) {
    return DAYS[date.getDay()];
  }
  if (date.getFullYear() === now.getFullYear()) {
    return `${date.getDate()} ${MONTHS[date.getMonth()]}`;
  }
  return `${date.getDate()} ${MONTHS[date.getMonth()]} ${date.getFullYear()}`;
}
