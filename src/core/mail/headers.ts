// Header pages: the newest `pageSize` messages of a folder, then the next older page, and so on.
// The cursor is a UID (never re-show or skip a message when others arrive or vanish); the
// sequence number of the oldest loaded message only sizes the UID window of the next page, so a
// page is one FETCH and the folder's UID list is never materialised. "Newest" here means the
// highest UIDs; the rows show the loaded set by arrival (INTERNALDATE), see window.ts.
import { type FetchMessageObject, type ImapFlow, type MailboxObject, type MessageStructureObject } from 'imapflow';
import { parseMailDate } from '../render/dates';
import { readHeaderFields, SUMMARY_HEADER_FIELDS } from '../render/headerFields';
import { declaredCharset, hasAttachments } from '../render/mime';
import { type Address } from '../text';

export interface MessageSummary {
  uid: number;
  seq: number;
  flags: string[];
  subject: string;
  from: Address[];
  to: Address[];
  cc: Address[];
  replyTo: Address[];
  /** The Date header (what the sender claims). */
  date?: Date;
  /**
   * INTERNALDATE: when the message arrived in its mailbox (RFC 3501 2.3.3). MOVE and COPY keep it
   * (RFC 6851 3.3, RFC 3501 6.4.7), so it orders a folder by arrival even after a message moved back.
   */
  internalDate?: Date;
  size: number;
  hasAttachment: boolean;
  messageId?: string;
  inReplyTo?: string;
  structure?: MessageStructureObject;
}

export interface PageCursor {
  /** Only messages with a UID below this one (the oldest already shown). */
  beforeUid: number;
  /** Sequence number that message had when it was fetched. */
  seqHint: number;
}

export interface HeaderPage {
  messages: MessageSummary[];
  /** HIGHESTMODSEQ when the page was fetched (CONDSTORE), the starting point of a later resync. */
  highestModseq?: bigint;
  /** Where the next page starts, or undefined when the oldest message is loaded. */
  next?: PageCursor;
  uidValidity: string;
  total: number;
}

/**
 * What a header page fetches per message. The header fields are fetched raw
 * (BODY.PEEK[HEADER.FIELDS (...)]) instead of the ENVELOPE: an ENVELOPE carries raw 8-bit header
 * bytes as a string imapflow reads as UTF-8, so a Latin-1 or KOI8-R subject would be lost; raw
 * fields go through the same decoding as the message view (render/headerFields.ts).
 */
export const HEADER_QUERY = { uid: true, flags: true, headers: [...SUMMARY_HEADER_FIELDS], bodyStructure: true, size: true, internalDate: true };

/** Compresses UIDs into an IMAP sequence set ("3:7,9,12:13"), for one command on many messages. */
export function uidSet(uids: Iterable<number>): string {
  const sorted = [...new Set(uids)].filter((u) => Number.isInteger(u) && u > 0).sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const start = sorted[i];
    while (i + 1 < sorted.length && sorted[i + 1] === sorted[i] + 1) {
      i++;
    }
    parts.push(start === sorted[i] ? String(start) : `${start}:${sorted[i]}`);
  }
  return parts.join(',');
}

/**
 * A message's flags as the client keeps them: without \Recent, which belongs to one session
 * (RFC 3501 2.3.2) and would make every new connection look like a change of flags.
 */
export function messageFlags(flags: Iterable<string> | undefined): string[] {
  return [...(flags ?? [])].filter((f) => f.toLowerCase() !== '\\recent');
}

/**
 * A fetched message as a row: header fields from the raw header block when fetched (decoded as
 * the message view decodes them), else from the ENVELOPE; the date from the Date: header read
 * leniently (zone names...), else INTERNALDATE (RFC 3501 2.3.3).
 */
export function toSummary(message: FetchMessageObject): MessageSummary {
  const internal = message.internalDate ? new Date(message.internalDate) : undefined;
  const internalDate = internal && !Number.isNaN(internal.getTime()) ? internal : undefined;
  let fields: Pick<MessageSummary, 'subject' | 'from' | 'to' | 'cc' | 'replyTo' | 'date' | 'messageId' | 'inReplyTo'>;
  if (message.headers) {
    const header = readHeaderFields(message.headers, declaredCharset(message.bodyStructure));
    fields = { subject: header.subject, from: header.from, to: header.to, cc: header.cc, replyTo: header.replyTo, date: header.date, messageId: header.messageId, inReplyTo: header.inReplyTo };
  } else {
    const envelope = message.envelope ?? {};
    const date = envelope.date instanceof Date ? envelope.date : typeof envelope.date === 'string' ? parseMailDate(envelope.date) : undefined;
    fields = { subject: envelope.subject ?? '', from: envelope.from ?? [], to: envelope.to ?? [], cc: envelope.cc ?? [], replyTo: envelope.replyTo ?? [], date: date && !Number.isNaN(date.getTime()) ? date : undefined, messageId: envelope.messageId, inReplyTo: envelope.inReplyTo };
  }
  return {
    uid: message.uid,
    seq: message.seq,
    flags: messageFlags(message.flags),
    ...fields,
    date: fields.date ?? internalDate,
    ...(internalDate ? { internalDate } : {}),
    size: message.size ?? 0,
    hasAttachment: hasAttachments(message.bodyStructure),
    structure: message.bodyStructure,
  };
}

async function fetchUidRange(client: ImapFlow, lo: number, hi: number | '*'): Promise<MessageSummary[]> {
  const out: MessageSummary[] = [];
  for await (const message of client.fetch(`${lo}:${hi}`, HEADER_QUERY, { uid: true })) {
    out.push(toSummary(message));
  }
  return out;
}

const MAX_ROUNDS = 16;

/**
 * Fetches one page, newest first. The caller holds the mailbox lock of `mailbox`.
 *
 * Always UID FETCH: RFC 3501 7.4.1 forbids EXPUNGE responses during a sequence-number FETCH, so a
 * FETCH by sequence would return messages another client already deleted; a UID FETCH lets the
 * server report them first. The window below the cursor is sized from the cursor's sequence
 * number (how dense the UIDs are), so a page is one round trip unless UIDs are very sparse, in
 * which case the window doubles until the page is full or UID 1 is reached.
 */
export async function fetchHeaderPage(client: ImapFlow, mailbox: MailboxObject, pageSize: number, cursor?: PageCursor): Promise<HeaderPage> {
  const uidValidity = String(mailbox.uidValidity);
  // Servers may send FETCH data for messages and only then the EXPUNGE of some of them in the
  // same response (Dovecot: "OK [EXPUNGEISSUED]"). Whenever the page fetch saw an expunge, it is
  // fetched again on the now synchronised state, so no deleted message is ever shown.
  let expunged = false;
  const onExpunge = () => void (expunged = true);
  client.on('expunge', onExpunge);
  try {
    for (let attempt = 0; ; attempt++) {
      expunged = false;
      if ((client.mailbox || mailbox).exists === 0) {
        return { messages: [], uidValidity, total: 0 };
      }
      const byUid = await collectPage(client, client.mailbox || mailbox, pageSize, cursor);
      if (expunged && attempt < 3) {
        continue;
      }
      const page = finishPage(byUid, pageSize, uidValidity, (client.mailbox || mailbox).exists);
      const modseq = (client.mailbox || mailbox).highestModseq;
      return modseq !== undefined ? { ...page, highestModseq: modseq } : page;
    }
  } finally {
    client.off('expunge', onExpunge);
  }
}

async function collectPage(client: ImapFlow, mailbox: MailboxObject, pageSize: number, cursor?: PageCursor): Promise<Map<number, MessageSummary>> {
  const byUid = new Map<number, MessageSummary>();
  let hi: number | '*';
  let lo: number;
  if (cursor) {
    hi = cursor.beforeUid - 1;
    const density = Math.max(1, cursor.beforeUid / Math.max(1, cursor.seqHint));
    lo = Math.max(1, Math.floor(cursor.beforeUid - pageSize * density * 1.05));
  } else {
    hi = '*';
    lo = Math.max(1, mailbox.uidNext - pageSize);
  }
  for (let round = 0; round < MAX_ROUNDS && (hi === '*' || hi >= 1); round++) {
    for (const m of await fetchUidRange(client, lo, hi)) {
      if (!cursor || m.uid < cursor.beforeUid) {
        byUid.set(m.uid, m);
      }
    }
    if (byUid.size >= pageSize || lo <= 1) {
      break;
    }
    const width = (hi === '*' ? mailbox.uidNext : hi) - lo + 1;
    hi = lo - 1;
    lo = Math.max(1, hi - Math.max(width * 2, (pageSize - byUid.size) * 2) + 1);
  }
  return byUid;
}

function finishPage(byUid: Map<number, MessageSummary>, pageSize: number, uidValidity: string, total: number): HeaderPage {
  const messages = [...byUid.values()].sort((a, b) => b.uid - a.uid).slice(0, pageSize);
  const oldest = messages[messages.length - 1];
  const next = oldest && oldest.seq > 1 ? { beforeUid: oldest.uid, seqHint: oldest.seq } : undefined;
  return { messages, next, uidValidity, total };
}
