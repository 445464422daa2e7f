// What the message view shows, built the same way for a message from IMAP and for an .eml file:
// plain-text header fields, the sanitized body document for the sandboxed iframe, attachments.
//
// The body is rendered off the extension host's main thread (issue 15.2). The flow is:
//   bodyInputOf(message, remote)  -> BodyInput       (cheap: the decoded parts, inline images)
//   BodyRenderer.render(input)    -> BodyRendering   (renderHost.ts: in the render worker, under a
//                                                     time budget; body.ts describes both shapes)
//   buildViewModel(message, options, rendering) -> MessageViewModel
// The display plan (which parts, decoded how) only has to fill LoadedMessage.html/text/inline.
import { type AttachmentInfo } from './mime';
import { type BodyInput, type BodyRendering } from './body';
import { type LoadedResource } from './css';
import { type RenderLimit } from './sanitize';
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
  remote: RemoteContentView;
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

/**
 * Remote content of the message as the bar shows it.
 * - `state`: 'none' (the message has none), 'blocked' (not loaded: the bar offers to load it),
 *   'loaded' (the user allowed it for this message or its sender: the bar says so and offers
 *   "Block again").
 * - `items`: distinct remote references; `loaded`: how many of them are shown; `failed`: how many
 *   could not be fetched after consent.
 * - `scope`: why it is loaded ('message': "Load for this message"; 'sender': a trusted sender).
 */
export interface RemoteContentView {
  state: 'none' | 'blocked' | 'loaded';
  items: number;
  loaded: number;
  failed: number;
  scope?: 'message' | 'sender';
  sender: string;
}

export interface ViewModelOptions {
  origin: 'imap' | 'file';
  /** Remote content allowed for this message, and why. */
  remoteAllowed?: 'message' | 'sender';
}

/**
 * The body renderer's input for a message (see BodyInput): the decoded parts and its inline
 * images as data: URIs (at most MAX_INLINE_IMAGE_BYTES in all), plus the remote resources the host
 * fetched after consent.
 */
export function bodyInputOf(message: LoadedMessage, remote: ReadonlyMap<string, LoadedResource> = new Map()): BodyInput {
  const inline = new Map<string, string>();
  let inlineBytes = 0;
  for (const [cid, image] of message.inline) {
    inlineBytes += image.data.length;
    if (inlineBytes > MAX_INLINE_IMAGE_BYTES) {
      break;
    }
    inline.set(cid, `data:${image.contentType.replace(/[^\w+./-]/g, '')};base64,${image.data.toString('base64')}`);
  }
  return {
    ...(message.html !== undefined ? { html: message.html } : {}),
    ...(message.text !== undefined ? { text: message.text } : {}),
    inline,
    remote: new Map(remote),
  };
}

const LIMIT_NOTICES: Record<RenderLimit, string> = {
  size: 'This message is larger than the viewer shows; its end is not shown.',
  elements: 'This message has more elements than the viewer builds; the rest is shown as text.',
  depth: 'This message nests its elements deeper than the viewer follows; the deepest parts are shown as text.',
  css: 'This message has more style sheets than the viewer reads; some of its styling is not applied.',
};

/** The view model of a loaded message whose body was rendered (by the worker, or the fallback). */
export function buildViewModel(message: LoadedMessage, options: ViewModelOptions, body: BodyRendering): MessageViewModel {
  const flags = new Set(message.flags.map((f) => f.toLowerCase()));
  const attachments: AttachmentView[] = message.attachments.map((a) => ({ id: a.part, filename: plainLabel(a.filename, 200), contentType: plainLabel(a.contentType, 100), size: a.size, sizeLabel: formatSize(a.size) }));
  if (body.kind === 'html') {
    // inline parts the HTML never shows are attachments for the user
    const used = new Set(body.usedCids);
    for (const [cid, image] of message.inline) {
      if (!used.has(cid)) {
        attachments.push({ id: image.part ?? `cid:${cid}`, filename: plainLabel(image.filename, 200), contentType: plainLabel(image.contentType, 100), size: image.data.length, sizeLabel: formatSize(image.data.length) });
      }
    }
  }
  const notices = message.notices.map((n) => plainLabel(n, 500));
  if (body.fallback === 'timeout') {
    notices.push('This message took too long to display safely, so it is shown as plain text, without formatting, links or images.');
  } else if (body.fallback === 'error') {
    notices.push('This message could not be displayed with its formatting, so it is shown as plain text.');
  }
  for (const limit of new Set(body.limits)) {
    notices.push(LIMIT_NOTICES[limit]);
  }
  const sender = (message.from?.[0]?.address ?? '').trim().toLowerCase();
  const loaded = body.remote.filter((r) => r.loaded).length;
  const items = body.remote.length;
  const remote: RemoteContentView = {
    state: items === 0 ? 'none' : options.remoteAllowed ? 'loaded' : 'blocked',
    items,
    loaded,
    failed: options.remoteAllowed ? items - loaded : 0,
    ...(options.remoteAllowed ? { scope: options.remoteAllowed } : {}),
    sender: plainLabel(sender, 300),
  };
  return {
    subject: plainLabel(message.subject, 998) || '(no subject)',
    from: addresses(message.from),
    to: addresses(message.to),
    cc: addresses(message.cc),
    replyTo: addresses(message.replyTo),
    date: fullDate(message.date),
    dateIso: message.date && !Number.isNaN(message.date.getTime()) ? message.date.toISOString() : '',
    flags: { seen: flags.has('\\seen'), flagged: flags.has('\\flagged'), answered: flags.has('\\answered') },
    bodyKind: body.kind,
    document: body.document,
    paper: body.paper,
    remote,
    attachments,
    notices,
    origin: options.origin,
    keywords: message.flags.filter((f) => !f.startsWith('\\') && !/^\$(?:MDNSent|Forwarded|Junk|NotJunk)$/i.test(f)).map((f) => plainLabel(f, 60)),
  };
}
