// What a reply or forward needs from the original message: its addresses, thread headers
// (References and In-Reply-To are not in the ENVELOPE, so they are fetched), the text to quote
// (HTML mail is converted to text), its attachments, and for a forward as attachment its source.
import { convert } from 'html-to-text';
import { type ImapFlow } from 'imapflow';
import { MailError } from '../errors';
import { type MessageSummary } from '../mail/headers';
import { fetchSource, loadImapMessage } from '../mail/messageLoader';
import { type AttachmentInfo } from '../render/mime';
import { type LoadedMessage } from '../render/viewModel';
import { type OriginalMessage } from './reply';

export interface LoadedOriginal extends OriginalMessage {
  attachments: AttachmentInfo[];
}

export function textOf(message: Pick<LoadedMessage, 'text' | 'html'>): string {
  if (message.text && message.text.trim()) {
    return message.text;
  }
  if (message.html) {
    return convert(message.html, { wordwrap: 76, selectors: [{ selector: 'img', format: 'skip' }, { selector: 'a', options: { hideLinkHrefIfSameAsText: true } }] });
  }
  return '';
}

function headerValue(headers: Buffer | undefined, name: string): string | undefined {
  if (!headers) {
    return undefined;
  }
  const text = headers.toString('utf8').replace(/\r?\n[ \t]+/g, ' ');
  const match = new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(text);
  return match?.[1].trim() || undefined;
}

/** Loads the original from the selected mailbox (the caller holds the lock). */
export async function loadOriginal(client: ImapFlow, uid: number, known?: MessageSummary): Promise<LoadedOriginal> {
  const message = await loadImapMessage(client, uid, known);
  const fetched = await client.fetchOne(String(uid), { uid: true, headers: ['references', 'in-reply-to'] }, { uid: true });
  if (!fetched) {
    throw new MailError('NOT_FOUND', 'The original message is no longer in its folder.');
  }
  return {
    subject: message.subject,
    from: message.from,
    to: message.to,
    cc: message.cc,
    replyTo: message.replyTo,
    date: message.date,
    messageId: message.messageId,
    references: headerValue(fetched.headers, 'references'),
    inReplyTo: headerValue(fetched.headers, 'in-reply-to'),
    text: textOf(message),
    attachments: message.attachments,
  };
}

/** The whole original, to forward as a message/rfc822 attachment (limited to 40 MB). */
export async function originalSource(client: ImapFlow, uid: number): Promise<Buffer> {
  const { source, truncated } = await fetchSource(client, uid, 40 * 1024 * 1024);
  if (truncated) {
    throw new MailError('INVALID_INPUT', 'The original is larger than 40 MB; forward it inline instead.');
  }
  return source;
}
