// Header pages: the newest `pageSize` messages of a folder, then the next older page, and so on.
// The cursor is a UID (never re-show or skip a message when others arrive or vanish); the
// sequence number of the oldest loaded message is only a hint to ask for the next page in one
// FETCH without materialising the folder's UID list.
import { type FetchMessageObject, type ImapFlow, type MailboxObject, type MessageStructureObject } from 'imapflow';
import { hasAttachments } from './mime';
import { type Address } from './text';

export interface MessageSummary {
  uid: number;
  seq: number;
  flags: string[];
  subject: string;
  from: Address[];
  to: Address[];
  cc: Address[];
  replyTo: Address[];
  date?: Date;
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
  /** Where the next page starts, or undefined when the oldest message is loaded. */
  next?: PageCursor;
  uidValidity: string;
  total: number;
}

export const HEADER_QUERY = { uid: true, flags: true, envelope: true, bodyStructure: true, size: true, internalDate: true } as const;

export function toSummary(message: FetchMessageObject): MessageSummary {
  const envelope = message.envelope ?? {};
  const date = envelope.date ? new Date(envelope.date) : message.internalDate ? new Date(message.internalDate) : undefined;
  return {
    uid: message.uid,
    seq: message.seq,
    flags: [...(message.flags ?? [])],
    subject: envelope.subject ?? '',
    from: envelope.from ?? [],
    to: envelope.to ?? [],
    cc: envelope.cc ?? [],
    replyTo: envelope.replyTo ?? [],
    date: date && !Number.isNaN(date.getTime()) ? date : undefined,
    size: message.size ?? 0,
    hasAttachment: hasAttachments(message.bodyStructure),
    messageId: envelope.messageId,
    inReplyTo: envelope.inReplyTo,
    structure: message.bodyStructure,
  };
}

async function fetchRange(client: ImapFlow, range: string): Promise<MessageSummary[]> {
  const out: MessageSummary[] = [];
  for await (const message of client.fetch(range, HEADER_QUERY)) {
    out.push(toSummary(message));
  }
  return out;
}

/**
 * Fetches one page, newest first. The caller holds the mailbox lock of `mailbox`.
 * First page: the last `pageSize` sequence numbers (one FETCH). Next pages: the sequence range
 * just below the hint; messages at or above `beforeUid` (the hint was stale because messages were
 * expunged) are dropped, and the gap is filled with a further FETCH below.
 */
export async function fetchHeaderPage(client: ImapFlow, mailbox: MailboxObject, pageSize: number, cursor?: PageCursor): Promise<HeaderPage> {
  const total = mailbox.exists;
  const uidValidity = String(mailbox.uidValidity);
  if (total === 0) {
    return { messages: [], uidValidity, total };
  }
  let top = cursor ? Math.min(cursor.seqHint - 1, total) : total;
  const collected: MessageSummary[] = [];
  // at most a few rounds: each round only repeats when messages vanished under the hint
  for (let round = 0; round < 4 && top >= 1 && collected.length < pageSize; round++) {
    const want = pageSize - collected.length;
    const bottom = Math.max(1, top - want + 1);
    const batch = await fetchRange(client, `${bottom}:${top}`);
    for (const m of batch) {
      if (!cursor || m.uid < cursor.beforeUid) {
        collected.push(m);
      }
    }
    top = bottom - 1;
  }
  const unique = [...new Map(collected.map((m) => [m.uid, m])).values()].sort((a, b) => b.uid - a.uid).slice(0, pageSize);
  const oldest = unique[unique.length - 1];
  const next = oldest && oldest.seq > 1 ? { beforeUid: oldest.uid, seqHint: oldest.seq } : undefined;
  return { messages: unique, next, uidValidity, total };
}
