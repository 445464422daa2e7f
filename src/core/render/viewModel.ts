// What the message view shows, built the same way for a message from IMAP and for an .eml file:
// plain-text header fields, the sanitized body document for the sandboxed iframe, attachments.
//
// The body is rendered off the extension host's main thread (issue 15.2). The flow is:
//   bodyInputOf(message, remote)  -> BodyInput       (cheap: the decoded parts, inline images)
//   BodyRenderer.render(input)    -> BodyRendering   (renderHost.ts: in the render worker, under a
//                                                     time budget; body.ts describes both shapes)
//   buildViewModel(message, options, rendering) -> MessageViewModel
// The display plan (which parts, decoded how) only has to fill LoadedMessage.html/text/inline.
import { type CalendarCard } from './calendar';
import { type AttachmentInfo } from './mime';
import { type BodyInput, type BodyRendering } from './body';
import { type LoadedResource } from './css';
import { type RenderLimit } from './sanitize';
import { DisplayFormat } from '../dates';
import { type Address, formatSize, fullDate, plainLabel, safeFileName } from '../text';

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
  /** A size limit cut the body: the view offers "Show the whole message". */
  truncated?: boolean;
  /**
   * The user asked for the whole message: the loader lifted its size limit (MAX_WHOLE_BYTES), and
   * the renderer's character budget follows (bodyInputOf); its element, depth and time budgets stay.
   */
  whole?: boolean;
  /** An invitation (text/calendar) in the message, with the part that holds it. */
  calendar?: CalendarCard & { part: string; filename: string };
}

export interface CalendarView {
  /** The part holding the .ics, for Open and Save (echoed back like an attachment id). */
  id: string;
  filename: string;
  method: string;
  summary: string;
  /** "Mon, 10 Mar 2025 10:00 – 11:00 (CET)", in the time zone of the user. */
  when: string;
  startIso: string;
  endIso: string;
  /** An all-day event (DTSTART a DATE): shown without times. */
  allDay: boolean;
  organizer: string;
  location: string;
  attendees: number;
  cancelled: boolean;
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
  /** "12 KB", or "about 25 MB" when only the encoded size is known. */
  sizeLabel: string;
  /** An attached message (message/rfc822): Open shows it in a message view. */
  message: boolean;
}

export interface MessageViewModel {
  subject: string;
  from: AddressView[];
  to: AddressView[];
  cc: AddressView[];
  replyTo: AddressView[];
  /**
   * How many addresses of each field are not listed (the view lists 200 a field): a message to
   * 2,000 people must not look like one to 200.
   */
  more: { from: number; to: number; cc: number; replyTo: number };
  /** The date in the user's time zone, or "unknown" when the message has none we can read. */
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
  /** A size limit cut the body: offer "Show the whole message". */
  truncated: boolean;
  calendar?: CalendarView;
  /** Where it came from: IMAP messages offer View Source and the triage toolbar, files do not. */
  origin: 'imap' | 'file';
  keywords: string[];
}

const MAX_INLINE_IMAGE_BYTES = 4 * 1024 * 1024;

/** Most addresses of one field the view lists; the rest are counted (`more`). */
const MAX_SHOWN_ADDRESSES = 200;

function addresses(list: Address[] | undefined): AddressView[] {
  return (list ?? []).slice(0, MAX_SHOWN_ADDRESSES).map((a) => ({ name: plainLabel(a.name, 200), address: plainLabel(a.address, 300) }));
}

function notShown(list: Address[] | undefined): number {
  return Math.max(0, (list?.length ?? 0) - MAX_SHOWN_ADDRESSES);
}

/**
 * An attachment as listed: its name is the one Save and Open will use (safeFileName), so blank
 * padding cannot hide the real extension ("invoice.pdf⠀⠀⠀.exe" lists as "invoice.pdf .exe").
 */
function attachmentView(id: string, filename: string, contentType: string, size: number, exact: boolean): AttachmentView {
  const type = plainLabel(contentType, 100).toLowerCase();
  return { id, filename: safeFileName(filename, ''), contentType: type, size, sizeLabel: exact ? formatSize(size) : `about ${formatSize(size)}`, message: type === 'message/rfc822' };
}

/**
 * When an event is, in the local time zone and the given display format (en by default; the
 * message view formats it again in VS Code's display language from startIso/endIso/allDay).
 */
export function eventWhen(startIso: string | undefined, endIso: string | undefined, allDay: boolean, format: DisplayFormat = new DisplayFormat(undefined)): string {
  return format.span(startIso, endIso, allDay);
}

function calendarView(card: NonNullable<LoadedMessage['calendar']>): CalendarView {
  const organizer = card.organizer ? (card.organizer.name && card.organizer.address ? `${card.organizer.name} <${card.organizer.address}>` : card.organizer.name || card.organizer.address) : '';
  return {
    id: card.part,
    filename: plainLabel(card.filename, 200) || 'invite.ics',
    method: card.method,
    summary: plainLabel(card.summary, 300) || '(no title)',
    when: eventWhen(card.start, card.end, card.allDay),
    startIso: card.start ?? '',
    endIso: card.end ?? '',
    allDay: card.allDay,
    organizer: plainLabel(organizer, 300),
    location: plainLabel(card.location, 300),
    attendees: card.attendees,
    cancelled: card.method === 'CANCEL' || card.status === 'CANCELLED',
  };
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
  /** The sender is trusted, but the account's server did not confirm this message is theirs. */
  unverified?: boolean;
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
    ...(message.whole ? { maxChars: Math.max(message.html?.length ?? 0, message.text?.length ?? 0) } : {}),
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
  const attachments: AttachmentView[] = message.attachments.map((a) => attachmentView(a.part, a.filename, a.contentType, a.size, a.sizeExact !== false));
  if (body.kind === 'html') {
    // inline parts the HTML never shows are attachments for the user; a data: image moved out of
    // the HTML has no part to open or save: where the renderer's budget cut its place, it is body
    // that is not shown (the notice says so), never an attachment whose Open fails
    const used = new Set(body.usedCids);
    for (const [cid, image] of message.inline) {
      if (!used.has(cid) && image.part) {
        attachments.push(attachmentView(image.part, image.filename, image.contentType, image.data.length, true));
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
    more: { from: notShown(message.from), to: notShown(message.to), cc: notShown(message.cc), replyTo: notShown(message.replyTo) },
    date: fullDate(message.date) || 'unknown',
    dateIso: message.date && !Number.isNaN(message.date.getTime()) ? message.date.toISOString() : '',
    flags: { seen: flags.has('\\seen'), flagged: flags.has('\\flagged'), answered: flags.has('\\answered') },
    bodyKind: body.kind,
    document: body.document,
    paper: body.paper,
    remote,
    attachments,
    notices,
    truncated: Boolean(message.truncated),
    ...(message.calendar ? { calendar: calendarView(message.calendar) } : {}),
    origin: options.origin,
    keywords: message.flags.filter((f) => !f.startsWith('\\') && !/^\$(?:MDNSent|Forwarded|Junk|NotJunk)$/i.test(f)).map((f) => plainLabel(f, 60)),
  };
}
