// What the message view shows, built the same way for a message from IMAP and for an .eml file:
// plain-text header fields, the sanitized body document for the sandboxed iframe, attachments.
import { type AttachmentInfo, cidReferences } from './mime';
import { renderPlainText } from './plainText';
import { messageDocument } from './messageDocument';
import { sanitizeHtml } from './sanitize';
import { type Address, formatSize, fullDate, plainLabel } from '../text';

export interface LoadedMessage {
  subject?: string;
  from?: Address[];
  to?: Address[];
  cc?: Address[];
  replyTo?: Address[];
  date?: Date;
  messageId?: string;
  flags: string[];
  size?: number;
  html?: string;
  text?: string;
  /** Inline images by normalised Content-ID. */
  inline: Map<string, { contentType: string; data: Buffer; filename: string; part?: string }>;
  attachments: AttachmentInfo[];
  /** Things the user should know (part could not be decoded, body shown from raw source...). */
  notices: string[];
}

export interface AddressView {
  name: string;
  address: string;
}

export interface AttachmentView {
  /** The part number (IMAP) or index (file): the host maps it back, the view only echoes it. */
  id: string;
  filename: string;
  contentType: string;
  size: number;
  sizeLabel: string;
}

export interface MessageViewModel {
  subject: string;
  from: AddressView[];
  to: AddressView[];
  cc: AddressView[];
  replyTo: AddressView[];
  date: string;
  dateIso: string;
  flags: { seen: boolean; flagged: boolean; answered: boolean };
  bodyKind: 'html' | 'text' | 'empty';
  /** The complete srcdoc of the sandboxed body frame. */
  document: string;
  /** The HTML paints its own colors: show it on a light paper regardless of the theme. */
  paper: boolean;
  /** `unverified`: the sender is trusted, but the account's server did not confirm this message is theirs. */
  remote: { blocked: number; allowed: boolean; sender: string; unverified?: boolean };
  attachments: AttachmentView[];
  notices: string[];
  /** Where it came from: IMAP messages offer View Source and the triage toolbar, files do not. */
  origin: 'imap' | 'file';
  keywords: string[];
}

const MAX_INLINE_IMAGE_BYTES = 4 * 1024 * 1024;

function addresses(list: Address[] | undefined): AddressView[] {
  return (list ?? []).slice(0, 200).map((a) => ({ name: plainLabel(a.name, 200), address: plainLabel(a.address, 300) }));
}

/** Whether sanitized HTML has anything to look at (text or an image) once tags are gone. */
function showsSomething(body: string): boolean {
  return /<img\s/i.test(body) || body.replace(/<[^>]*>/g, '').replace(/&nbsp;|&#160;|\s/g, '') !== '';
}

export function buildViewModel(message: LoadedMessage, options: { allowRemote: boolean; origin: 'imap' | 'file' }): MessageViewModel {
  const flags = new Set(message.flags.map((f) => f.toLowerCase()));
  const inlineData = new Map<string, string>();
  let inlineBytes = 0;
  for (const [cid, image] of message.inline) {
    inlineBytes += image.data.length;
    if (inlineBytes > MAX_INLINE_IMAGE_BYTES) {
      break;
    }
    inlineData.set(cid, `data:${image.contentType.replace(/[^a-z0-9/+.-]/gi, '')};base64,${image.data.toString('base64')}`);
  }
  let bodyKind: MessageViewModel['bodyKind'] = 'empty';
  let document: string;
  let paper = false;
  let blocked = 0;
  const attachments: AttachmentView[] = message.attachments.map((a) => ({ id: a.part, filename: plainLabel(a.filename, 200), contentType: plainLabel(a.contentType, 100), size: a.size, sizeLabel: formatSize(a.size) }));

  const sanitized = message.html !== undefined && message.html.trim() !== '' ? sanitizeHtml(message.html, { allowRemote: options.allowRemote, inlineImages: inlineData }) : undefined;
  const hasText = message.text !== undefined && message.text.trim() !== '';
  if (sanitized && (showsSomething(sanitized.body) || !hasText)) {
    bodyKind = 'html';
    paper = sanitized.styled;
    blocked = sanitized.remoteBlocked;
    document = messageDocument({ kind: 'html', sanitized }, options.allowRemote);
    // inline parts the HTML never shows are attachments for the user
    const used = cidReferences(message.html ?? "");
    for (const [cid, image] of message.inline) {
      if (!used.has(cid)) {
        attachments.push({ id: image.part ?? `cid:${cid}`, filename: plainLabel(image.filename, 200), contentType: plainLabel(image.contentType, 100), size: image.data.length, sizeLabel: formatSize(image.data.length) });
      }
    }
  } else if (hasText) {
    bodyKind = 'text';
    document = messageDocument({ kind: 'text', html: renderPlainText(message.text!) }, false);
  } else {
    document = messageDocument({ kind: 'empty' }, false);
  }

  const sender = (message.from?.[0]?.address ?? '').trim().toLowerCase();
  return {
    subject: plainLabel(message.subject, 998) || '(no subject)',
    from: addresses(message.from),
    to: addresses(message.to),
    cc: addresses(message.cc),
    replyTo: addresses(message.replyTo),
    date: fullDate(message.date),
    dateIso: message.date && !Number.isNaN(message.date.getTime()) ? message.date.toISOString() : '',
    flags: { seen: flags.has('\\seen'), flagged: flags.has('\\flagged'), answered: flags.has('\\answered') },
    bodyKind,
    document,
    paper,
    remote: { blocked, allowed: options.allowRemote, sender: plainLabel(sender, 300) },
    attachments,
    notices: message.notices.map((n) => plainLabel(n, 500)),
    origin: options.origin,
    keywords: message.flags.filter((f) => !f.startsWith('\\') && !/^\$(MDNSent|Forwarded|Junk|NotJunk)$/i.test(f)).map((f) => plainLabel(f, 60)),
  };
}
