// Builds the message that is sent and the copy kept in Sent, from a draft: text/plain (the
// Markdown as written) plus an HTML alternative rendered from it, attachments, and the thread
// headers. Non-ASCII names and subjects are encoded by nodemailer (RFC 2047 / RFC 2231).
import MarkdownIt from 'markdown-it';
import MailComposer from 'nodemailer/lib/mail-composer';
import { type Attachment } from 'nodemailer/lib/mailer';
import { MailError } from '../errors';
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

export async function buildMessage(input: BuildInput): Promise<BuiltMessage> {
  const from = one(parseAddressList(input.headers.from), 'From');
  const { to, cc, bcc } = recipientsOf(input.headers);
  if (!to.length && !cc.length && !bcc.length) {
    throw new MailError('INVALID_INPUT', 'Add at least one recipient (To, Cc or Bcc).');
  }
  const mail = {
    from: formatMailbox(from),
    to: to.map(formatMailbox),
    cc: cc.map(formatMailbox),
    bcc: bcc.map(formatMailbox),
    subject: input.headers.subject,
    messageId: input.messageId,
    date: input.date ?? new Date(),
    text: input.body,
    ...(input.html ? { html: renderHtml(input.body) } : {}),
    ...(input.inReplyTo ? { inReplyTo: input.inReplyTo } : {}),
    ...(input.references ? { references: input.references } : {}),
    attachments: input.attachments,
    headers: { 'X-Mailer': 'IMAP Mailbox Explorer' },
  };
  const build = async (keepBcc: boolean): Promise<Buffer> => {
    const node = new MailComposer(mail).compile();
    (node as unknown as { keepBcc: boolean }).keepBcc = keepBcc;
    return node.build();
  };
  return {
    raw: await build(false),
    rawForSent: await build(true),
    from,
    recipients: [...to, ...cc, ...bcc].map((m) => m.address),
  };
}

/** A Message-ID on the sender's domain (RFC 5322 3.6.4). */
export function newMessageId(fromAddress: string, random: string): string {
  const domain = fromAddress.includes('@') ? fromAddress.slice(fromAddress.lastIndexOf('@') + 1).toLowerCase() : 'localhost';
  return `<${random}@${domain.replace(/[^a-z0-9.-]/g, '') || 'localhost'}>`;
}
