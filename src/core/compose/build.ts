// Builds the message that is sent and the copy kept in Sent, from a draft: text/plain (the
// Markdown as written) plus an HTML alternative rendered from it, attachments, and the thread
// headers. Non-ASCII names and subjects are encoded by nodemailer (RFC 2047 / RFC 2231), text
// parts are 7bit, quoted-printable or base64 as nodemailer picks, attachments base64, and every
// line ends in CRLF (canonical.ts checks all of it before the message is stored or sent).
import MarkdownIt from 'markdown-it';
import MailComposer from 'nodemailer/lib/mail-composer';
import { type Attachment } from 'nodemailer/lib/mailer';
import { MailError } from '../errors';
import { hasEightBit, hasOverlongLineOrNul, toCrlf } from './canonical';
import { formatMailbox, type Mailbox, parseAddressList } from './addresses';
import { type DraftHeaders } from './draft';

const markdown = new MarkdownIt({ html: false, linkify: true, breaks: true });

/** Markdown to HTML for the alternative part; raw HTML in the draft is escaped, not passed on. */
export function renderHtml(body: string): string {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>${markdown.render(body)}</body></html>`;
}

export interface BuildInput {
  headers: DraftHeaders;
  body: string;
  messageId: string;
  date?: Date;
  inReplyTo?: string;
  references?: string;
  /** Send an HTML alternative (setting, default on). */
  html: boolean;
  attachments: Attachment[];
}

export interface BuiltMessage {
  /** What goes to the SMTP server (no Bcc header). */
  raw: Buffer;
  /** What is appended to Sent (Bcc kept, so the user sees who got a blind copy). */
  rawForSent: Buffer;
  from: Mailbox;
  recipients: string[];
}

function one(list: Mailbox[], what: string): Mailbox {
  if (list.length !== 1) {
    throw new MailError('INVALID_INPUT', `The ${what} line must hold exactly one address.`);
  }
  return list[0];
}

export function recipientsOf(headers: DraftHeaders): { to: Mailbox[]; cc: Mailbox[]; bcc: Mailbox[] } {
  return { to: parseAddressList(headers.to), cc: parseAddressList(headers.cc), bcc: parseAddressList(headers.bcc) };
}

/**
 * A forwarded original as an attachment. RFC 2046 5.2.1 allows only 7bit, 8bit or binary for
 * message/rfc822, so its line ends become CRLF and its 8-bit bytes are declared 8bit; an original
 * that still breaks the line limit of RFC 5322 (or holds NUL) cannot be a message/rfc822 part and
 * goes as application/octet-stream (base64), which mail clients open as a message by its .eml name.
 */
export function embedMessage(attachment: Attachment): Attachment {
  const source = Buffer.isBuffer(attachment.content) ? attachment.content : Buffer.from(String(attachment.content ?? ''), 'utf8');
  const content = toCrlf(source);
  if (hasOverlongLineOrNul(content)) {
    return { ...attachment, content, contentType: 'application/octet-stream', contentDisposition: 'attachment' };
  }
  // nodemailer shows message parts inline by default; a forward "as attachment" is an attachment
  return { ...attachment, content, contentType: 'message/rfc822', contentDisposition: 'attachment', contentTransferEncoding: hasEightBit(content) ? '8bit' : '7bit' };
}

function isMessage(attachment: Attachment): boolean {
  return String(attachment.contentType ?? '').toLowerCase() === 'message/rfc822';
}

/**
 * Builds the message from a draft (canonical: CRLF, encoded as RFC 2045 asks). Throws MailError
 * INVALID_INPUT for a From line that is not one address, or no recipient at all.
 */
export async function buildMessage(input: BuildInput): Promise<BuiltMessage> {
  const from = one(parseAddressList(input.headers.from), 'From');
  const { to, cc, bcc } = recipientsOf(input.headers);
  if (!to.length && !cc.length && !bcc.length) {
    throw new MailError('INVALID_INPUT', 'Add at least one recipient (To, Cc or Bcc).');
  }
  // one line end inside: the editor's CRLF and a lone CR would otherwise pass through QP as data
  const body = input.body.replace(/\r\n?/g, '\n');
  const mail = {
    from: formatMailbox(from),
    to: to.map(formatMailbox),
    cc: cc.map(formatMailbox),
    bcc: bcc.map(formatMailbox),
    subject: input.headers.subject,
    messageId: input.messageId,
    date: input.date ?? new Date(),
    text: body,
    ...(input.html ? { html: renderHtml(body) } : {}),
    ...(input.inReplyTo ? { inReplyTo: input.inReplyTo } : {}),
    ...(input.references ? { references: input.references } : {}),
    attachments: input.attachments.map((a) => (isMessage(a) ? embedMessage(a) : a)),
    headers: { 'X-Mailer': 'IMAP Mailbox Explorer' },
    // nodemailer keeps the line ends of text as given; RFC 5322 wants CRLF (Cyrus refuses LF)
    newline: 'windows' as const,
  };
  const build = async (keepBcc: boolean): Promise<Buffer> => {
    const node = new MailComposer(mail).compile();
    (node as unknown as { keepBcc: boolean }).keepBcc = keepBcc;
    return node.build();
  };
  const raw = await build(false);
  const rawForSent = await build(true);
  return {
    raw,
    rawForSent,
    from,
    recipients: [...to, ...cc, ...bcc].map((m) => m.address),
  };
}

/** A Message-ID on the sender's domain (RFC 5322 3.6.4). */
export function newMessageId(fromAddress: string, random: string): string {
  const domain = fromAddress.includes('@') ? fromAddress.slice(fromAddress.lastIndexOf('@') + 1).toLowerCase() : 'localhost';
  return `<${random}@${domain.replace(/[^a-z0-9.-]/g, '') || 'localhost'}>`;
}
