// Turning server and sender text into safe plain text for VS Code's own UI (tree labels,
// tooltips, notifications): no bidi overrides or control characters, no encoded words left over,
// bounded length. The result is never interpreted as markdown by the callers.
import libmime from 'libmime';

// Bidi embedding/override/isolate controls and marks (a subject with U+202E can show "gpj.exe" as
// "exe.jpg"), zero-width characters, BOM and C0/C1 controls.
const INVISIBLE = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C\u200B-\u200D\u2060\uFEFF\u0000-\u0008\v\f\u000E-\u001F\u007F-\u009F]/g;
const ENCODED_WORD = /=\?[^?\s]+\?[BQ]\?[^?\s]*\?=/i;

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

/**
 * A date as written into outgoing mail (the reply attribution, a forwarded header block):
 * "Mon, 30 Nov 2026 10:42", in English like the rest of those lines. Never for the UI: the UI
 * formats dates in VS Code's display language with DisplayFormat (core/dates.ts).
 */
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

// Characters that draw nothing: default-ignorable code points (joiners, fillers such as U+3164,
// variation selectors, tags) and blanks that are not Unicode whitespace (U+2800 BRAILLE BLANK).
const BLANK = /[\p{Default_Ignorable_Code_Point}\u2800]/gu;
// Windows device names: reserved with any extension and whatever trailing dots or spaces
// (learn.microsoft.com "Naming Files, Paths, and Namespaces"); superscript digits count too.
const WINDOWS_RESERVED = /^(?:con|prn|aux|nul|conin\$|conout\$|clock\$|com[0-9¹²³]|lpt[0-9¹²³])$/i;
const MAX_NAME_BYTES = 255;

/** Cuts `text` to at most `max` UTF-8 bytes without splitting a character. */
export function cutToBytes(text: string, max: number): string {
  if (Buffer.byteLength(text, 'utf8') <= max) {
    return text;
  }
  let out = '';
  let bytes = 0;
  for (const ch of text) {
    const size = Buffer.byteLength(ch, 'utf8');
    if (bytes + size > max) {
      break;
    }
    out += ch;
    bytes += size;
  }
  return out;
}

/**
 * A file name safe to create on any OS, from a hostile attachment name: one line of plain text;
 * no path separators or characters Windows forbids; nothing invisible, so blank padding cannot
 * push a real extension out of sight ("invoice.pdf⠀⠀⠀⠀.exe" becomes "invoice.pdf .exe"); no
 * leading dots, no trailing dots or spaces; Windows device names (CON, COM1, CONIN$...) prefixed
 * with "_"; at most 255 UTF-8 bytes with the extension kept. `fallback` when nothing is left.
 */
export function safeFileName(name: string | undefined, fallback = 'attachment'): string {
  let cleaned = plainLabel((name ?? '').replace(BLANK, ''), 4096)
    .replace(/[/\\:*?"<>|]/g, '_')
    .replace(/\s+/gu, ' ')
    .replace(/^[.\s]+/u, '');
  cleaned = trimChars(cleaned, '. ', 'end');
  if (!cleaned) {
    return fallback;
  }
  const dot = cleaned.indexOf('.');
  const stem = trimChars(dot < 0 ? cleaned : cleaned.slice(0, dot), '. ', 'end');
  if (WINDOWS_RESERVED.test(stem)) {
    cleaned = `_${cleaned}`;
  }
  if (Buffer.byteLength(cleaned, 'utf8') > MAX_NAME_BYTES) {
    const lastDot = cleaned.lastIndexOf('.');
    const ext = lastDot > 0 && cleaned.length - lastDot <= 16 ? cleaned.slice(lastDot) : '';
    cleaned = `${trimChars(cutToBytes(cleaned.slice(0, cleaned.length - ext.length), MAX_NAME_BYTES - Buffer.byteLength(ext, 'utf8')), '. ', 'end')}${ext}`;
  }
  return cleaned || fallback;
}

/**
 * `text` without the characters of `chars` at its start and end, in linear time: the regex
 * form (`/^-+|-+$/`) rescans a long run of them from every position that does not end it.
 */
export function trimChars(text: string, chars: string, where: 'both' | 'start' | 'end' = 'both'): string {
  let start = 0;
  let end = text.length;
  if (where !== 'end') {
    while (start < end && chars.includes(text[start])) {
      start++;
    }
  }
  if (where !== 'start') {
    while (end > start && chars.includes(text[end - 1])) {
      end--;
    }
  }
  return text.slice(start, end);
}
