// The header fields a row and the message view show (Subject, From, To, Cc, Reply-To, Date,
// Message-ID, In-Reply-To), read from raw header bytes. The same function reads the
// BODY[HEADER.FIELDS (...)] of a header page and the header block of an .eml file, so both
// paths show the same values: raw 8-bit bytes are decoded by the rules of charset.ts (RFC 6532
// UTF-8, else the message's own charset, else detection), encoded words by RFC 2047 (UTF-7 too),
// addresses by nodemailer's addressparser, the date by dates.ts.
import addressparser from 'nodemailer/lib/addressparser';
import { HeaderDecoder } from './charset';
import { parseMailDate } from './dates';
import { type Address } from '../text';

export interface HeaderFields {
  subject: string;
  from: Address[];
  sender: Address[];
  to: Address[];
  cc: Address[];
  replyTo: Address[];
  /** The parsed Date: header, or undefined when missing or unreadable. */
  date?: Date;
  /** The Date: header as written, when present. */
  dateText?: string;
  messageId?: string;
  inReplyTo?: string;
}

/** The header fields a header page asks for (RFC 3501 BODY.PEEK[HEADER.FIELDS (...)]). */
export const SUMMARY_HEADER_FIELDS = ['date', 'subject', 'from', 'sender', 'reply-to', 'to', 'cc', 'message-id', 'in-reply-to'] as const;

/** Longest header block read (a header page asks for a few fields; an .eml's whole block). */
const MAX_HEADER_BYTES = 256 * 1024;

/**
 * Splits a header block into unfolded fields (RFC 5322 2.2.3), keys lower-case, values as bytes.
 * Stops at the first empty line. Lines without a colon (mbox "From " lines, garbage) are skipped.
 */
export function splitHeaderBlock(raw: Buffer): Array<{ key: string; value: Buffer }> {
  const block = raw.subarray(0, MAX_HEADER_BYTES);
  const fields: Array<{ key: string; value: Buffer[] }> = [];
  let start = 0;
  while (start < block.length) {
    let end = block.indexOf(0x0a, start);
    if (end < 0) {
      end = block.length;
    }
    let line = block.subarray(start, end);
    if (line.length && line[line.length - 1] === 0x0d) {
      line = line.subarray(0, line.length - 1);
    }
    start = end + 1;
    if (line.length === 0) {
      break;
    }
    if ((line[0] === 0x20 || line[0] === 0x09) && fields.length) {
      fields[fields.length - 1].value.push(line);
      continue;
    }
    const colon = line.indexOf(0x3a);
    if (colon <= 0) {
      continue;
    }
    const key = line.subarray(0, colon).toString('latin1').trim().toLowerCase();
    if (!/^[\x21-\x39\x3b-\x7e]+$/.test(key)) {
      continue;
    }
    fields.push({ key, value: [line.subarray(colon + 1)] });
  }
  return fields.map((f) => ({ key: f.key, value: Buffer.concat(f.value.flatMap((part, i) => (i ? [Buffer.from(' '), trimStart(part)] : [part]))) }));
}

function trimStart(buf: Buffer): Buffer {
  let i = 0;
  while (i < buf.length && (buf[i] === 0x20 || buf[i] === 0x09)) {
    i++;
  }
  return buf.subarray(i);
}

// The most of one field that is read, in raw bytes, before any decoding: what a row or the view
// can show (a subject of 998 characters, 200 addresses) with room for encoded words; the rest of
// a field that long is sender padding.
const MAX_SUBJECT_BYTES = 16 * 1024;
const MAX_ADDRESS_BYTES = 64 * 1024;
const MAX_DATE_BYTES = 1024;
const MAX_ID_BYTES = 4096;

/** An unstructured field (Subject) as text: raw bytes by charset rules, then encoded words. */
export function unstructuredText(value: Buffer, decoder: HeaderDecoder = new HeaderDecoder()): string {
  return decoder.words(decoder.bytes(value.subarray(0, MAX_SUBJECT_BYTES)).trim());
}

/** An address list field (From, To...) as addresses, groups flattened (RFC 5322 3.4). */
export function addressListOf(value: Buffer | undefined, decoder: HeaderDecoder = new HeaderDecoder()): Address[] {
  if (!value) {
    return [];
  }
  const text = decoder.bytes(value.subarray(0, MAX_ADDRESS_BYTES));
  const parsed = addressparser(text, { flatten: true });
  if (value.length > MAX_ADDRESS_BYTES) {
    // the cut fell inside the last entry: "user1303@exa" is not an address anyone was sent to
    parsed.pop();
  }
  return parsed
    .map((a) => ({ name: decoder.words(a.name ?? '').trim(), address: decoder.words(a.address ?? '').trim() }))
    .filter((a) => a.name || a.address);
}

/**
 * What the detector judges for a block: its longest field with 8-bit bytes (usually the Subject;
 * a name of six bytes next to an ASCII address is too little to tell a language by).
 */
function eightBitSample(values: Iterable<Buffer>): Buffer {
  let best: Buffer = Buffer.alloc(0);
  for (const value of values) {
    if (value.length > best.length && !isAsciiBytes(value)) {
      best = value;
    }
  }
  return best;
}

function isAsciiBytes(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] >= 0x80) {
      return false;
    }
  }
  return true;
}

function msgId(value: Buffer | undefined): string | undefined {
  const text = value?.subarray(0, MAX_ID_BYTES).toString('latin1').trim();
  if (!text) {
    return undefined;
  }
  const open = text.indexOf('<');
  const close = text.indexOf('>', open);
  return open >= 0 && close > open ? text.slice(open, close + 1) : text.split(/\s+/)[0];
}

/**
 * Reads the fields a row and a message view show from a raw header block.
 * `hint` is the charset the message declares for its text (from BODYSTRUCTURE or Content-Type),
 * used for raw 8-bit header bytes that are not UTF-8; the fields share one HeaderDecoder, so
 * charset detection runs at most once for the block. Each field is cut to what can be shown
 * before it is decoded.
 */
export function readHeaderFields(raw: Buffer, hint?: string, shared?: HeaderDecoder): HeaderFields {
  const first = new Map<string, Buffer>();
  for (const field of splitHeaderBlock(raw)) {
    if (!first.has(field.key)) {
      first.set(field.key, field.value);
    }
  }
  const decoder = shared ?? new HeaderDecoder(hint, () => eightBitSample(first.values()));
  const dateText = first.get('date') ? decoder.bytes(first.get('date')!.subarray(0, MAX_DATE_BYTES)).trim() : undefined;
  const sender = addressListOf(first.get('sender'), decoder);
  const from = addressListOf(first.get('from'), decoder);
  const fields: HeaderFields = {
    subject: first.has('subject') ? unstructuredText(first.get('subject')!, decoder) : '',
    // RFC 5322 3.6.2: From is required; without it the Sender is who sent it
    from: from.length ? from : sender,
    sender,
    to: addressListOf(first.get('to'), decoder),
    cc: addressListOf(first.get('cc'), decoder),
    replyTo: addressListOf(first.get('reply-to'), decoder),
  };
  const date = parseMailDate(dateText);
  if (date) {
    fields.date = date;
  }
  if (dateText) {
    fields.dateText = dateText;
  }
  const messageId = msgId(first.get('message-id'));
  if (messageId) {
    fields.messageId = messageId;
  }
  const inReplyTo = msgId(first.get('in-reply-to'));
  if (inReplyTo) {
    fields.inReplyTo = inReplyTo;
  }
  return fields;
}
