// Replies and forwards the way RFC 5322 and mail users expect: To is Reply-To or From; Reply All
// adds the other recipients without the user's own addresses and without duplicates; one "Re: "
// (never "Re: Re:"); In-Reply-To and References per RFC 5322 3.6.4; the original quoted with "> "
// under an attribution line.
import { dedupe, fromEnvelope, type Mailbox, normalizeAddress } from './addresses';
import { type Address, decodeWords, fullDate, trimChars } from '../text';
import { type LoadedMessage } from '../render/viewModel';

/** The original's header fields as the message view has them, plus what a reply needs besides. */
export interface OriginalMessage extends Pick<LoadedMessage, 'subject' | 'from' | 'to' | 'cc' | 'replyTo' | 'date' | 'messageId'> {
  /** The raw References header value (a list of msg-ids). */
  references?: string;
  inReplyTo?: string;
  /** The text to quote (plain text, or HTML converted to text). */
  text: string;
}

// Re, RE, re, Aw (de), Sv (sv/da/no), Antw (nl), Ref, Odp (pl), with counters "Re[2]:" / "Re(2):"
const REPLY_PREFIX = /^\s*(?:(?:re|aw|sv|antw|odp|ref)(?:\s*[[(]\d+[\])])?\s*:\s*)+/i;
const FORWARD_PREFIX = /^\s*(?:(?:fwd?|wg|tr|rv|doorst)\s*:\s*)+/i;

export function replySubject(subject: string | undefined): string {
  const clean = decodeWords(subject ?? '').replace(/\s+/g, ' ').trim();
  return `Re: ${clean.replace(REPLY_PREFIX, '').trim()}`.trimEnd();
}

export function forwardSubject(subject: string | undefined): string {
  const clean = decodeWords(subject ?? '').replace(/\s+/g, ' ').trim();
  return `Fwd: ${clean.replace(FORWARD_PREFIX, '').trim()}`.trimEnd();
}

export interface ReplyRecipients {
  to: Mailbox[];
  cc: Mailbox[];
}

/**
 * To: Reply-To, else From (if the user sent the original, reply to its To instead).
 * Reply All: Cc = the original To and Cc, minus the user's addresses, minus what is in To.
 */
export function replyRecipients(original: OriginalMessage, myAddresses: string[], all: boolean): ReplyRecipients {
  const mine = new Set(myAddresses.map(normalizeAddress));
  const from = fromEnvelope(original.from);
  const replyTo = fromEnvelope(original.replyTo);
  const sentByMe = from.length > 0 && from.every((m) => mine.has(normalizeAddress(m.address)));
  let to = replyTo.length ? replyTo : from;
  if (sentByMe && !replyTo.length) {
    to = fromEnvelope(original.to);
  }
  const toList = dedupe(to, sentByMe ? mine : []);
  if (!all) {
    return { to: toList.length ? toList : dedupe(to), cc: [] };
  }
  const others = [...fromEnvelope(original.to), ...fromEnvelope(original.cc)];
  const cc = dedupe(others, [...mine, ...toList.map((m) => m.address)]);
  return { to: toList.length ? toList : dedupe(to), cc };
}

const MSG_ID = /<[^<>\s]+>/g;

function ids(value: string | undefined): string[] {
  return value ? value.match(MSG_ID) ?? [] : [];
}

function bracket(id: string | undefined): string | undefined {
  if (!id) {
    return undefined;
  }
  const trimmed = id.trim();
  return trimmed.startsWith('<') ? trimmed : `<${trimmed}>`;
}

/**
 * RFC 5322 3.6.4: In-Reply-To is the parent's Message-ID; References is the parent's References
 * (or, without one, its In-Reply-To when that holds a single id) followed by the parent's
 * Message-ID.
 */
export function threadHeaders(original: Pick<OriginalMessage, 'messageId' | 'references' | 'inReplyTo'>): { inReplyTo?: string; references?: string } {
  const parent = bracket(original.messageId);
  if (!parent) {
    return {};
  }
  let chain = ids(original.references);
  if (!chain.length) {
    const inReplyTo = ids(original.inReplyTo);
    chain = inReplyTo.length === 1 ? inReplyTo : [];
  }
  const references = [...chain.filter((id) => id !== parent), parent];
  return { inReplyTo: parent, references: references.join(' ') };
}

export function senderDisplay(original: Pick<OriginalMessage, 'from'>): string {
  const from = fromEnvelope(original.from)[0];
  return from ? from.name || from.address : 'someone';
}

/** "On Fri, 20 Nov 2026 09:00, Dana Reporter wrote:" */
export function attribution(original: Pick<OriginalMessage, 'from' | 'date'>): string {
  const date = original.date ? fullDate(original.date) : '';
  return `${date ? `On ${date}, ` : ''}${senderDisplay(original)} wrote:`;
}

/** Quotes text with "> " (">" directly before lines that already are quotes). */
export function quote(text: string): string {
  const lines = trimChars(text.replace(/\r\n?/g, '\n'), '\n', 'end').split('\n');
  return lines.map((line) => (line.startsWith('>') ? `>${line}` : line ? `> ${line}` : '>')).join('\n');
}

export function forwardedBlock(original: OriginalMessage): string {
  const list = (a: Address[] | undefined) => fromEnvelope(a).map((m) => (m.name ? `${m.name} <${m.address}>` : m.address)).join(', ');
  const lines = [
    '---------- Forwarded message ----------',
    `From: ${list(original.from)}`,
    original.date ? `Date: ${fullDate(original.date)}` : '',
    `Subject: ${decodeWords(original.subject ?? '')}`,
    `To: ${list(original.to)}`,
    original.cc?.length ? `Cc: ${list(original.cc)}` : '',
  ].filter(Boolean);
  return `${lines.join('\n')}\n\n${trimChars(original.text.replace(/\r\n?/g, '\n'), '\n', 'end')}\n`;
}
