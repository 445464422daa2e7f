// Pure decisions about a message's MIME structure (a BODYSTRUCTURE from IMAP, or the same shape
// built from a raw source by structure.ts): which parts make the body and in which order, which
// images may be shown inline (cid:), which part is an invitation, which parts are attachments.
// Only the chosen parts are downloaded. The rules are Thunderbird's and RFC 2183's (see planDisplay).
import { type MessageStructureObject } from 'imapflow';
import libmime from 'libmime';
import { decodeBodyInSlices } from './charset';
import { plainLabel } from '../text';

export interface PartRef {
  /** RFC 3501 part number ("1", "2.1"), or "TEXT" for the body of a multipart without boundary. */
  part: string;
  type: string;
  charset?: string;
  /** Encoded size in bytes (BODYSTRUCTURE body size). */
  size?: number;
  encoding?: string;
  flowed?: boolean;
  delSp?: boolean;
}

export interface AttachmentInfo {
  part: string;
  filename: string;
  contentType: string;
  /** Decoded size in bytes: exact when `sizeExact`, else estimated from the encoded size. */
  size: number;
  sizeExact?: boolean;
  contentId?: string;
}

export interface DisplayPlan {
  /** The parts shown as the body, in order (Apple Mail: HTML, then more HTML after a PDF; a list footer under the text). */
  body: PartRef[];
  /** The plain-text alternative of an HTML body: shown when the HTML turns out empty once sanitized. */
  alternative?: PartRef;
  /** Images with a Content-ID (without brackets, lower-case), wherever they are in the message. */
  inline: Map<string, PartRef & { filename: string; attachment: boolean }>;
  attachments: AttachmentInfo[];
  /** The first invitation (text/calendar, application/ics): shown as a card. */
  calendar?: PartRef & { filename: string };
  /** Why the structure could not be followed as it is (a multipart without boundary...). */
  notices: string[];
}

const IMAGE_TYPES = new Set(['image/png', 'image/gif', 'image/jpeg', 'image/jpg', 'image/pjpeg', 'image/webp', 'image/bmp', 'image/svg+xml']);
const CALENDAR_TYPES = new Set(['text/calendar', 'application/ics', 'text/x-vcalendar', 'application/x-ics']);
const BODY_TYPES = new Set(['text/plain', 'text/html']);
const TEXT_LIKE = /^(?:text\/[a-z0-9.+-]+|message\/(?:delivery-status|disposition-notification|global-delivery-status))$/;

export function normaliseCid(id: string | undefined): string | undefined {
  if (!id) {
    return undefined;
  }
  const value = id.trim().replace(/^<|>$/g, '').trim().toLowerCase();
  return value || undefined;
}

const MEDIA_TYPE = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/;

/**
 * The media type of a part, lower-case. One that is not type/subtype (IMAP servers report
 * "Content-Type: text" as "text/") is text/plain, as RFC 2045 5.2 says and as the structure of
 * a raw source reads it; a multipart the server split keeps its children.
 */
export function typeOf(node: Pick<MessageStructureObject, 'type' | 'childNodes'>): string {
  const type = (node.type ?? '').toLowerCase();
  return MEDIA_TYPE.test(type) || node.childNodes ? type : 'text/plain';
}

function partOf(node: MessageStructureObject): string {
  // A single-part message has no part number in BODYSTRUCTURE; its body is part 1 (RFC 3501 6.4.5).
  return node.part ?? '1';
}

function refOf(node: MessageStructureObject): PartRef {
  const params = node.parameters ?? {};
  const ref: PartRef = { part: partOf(node), type: typeOf(node) };
  if (params.charset) {
    ref.charset = params.charset;
  }
  if (node.size !== undefined) {
    ref.size = node.size;
  }
  if (node.encoding) {
    ref.encoding = node.encoding.toLowerCase();
  }
  // RFC 3676 defines format=flowed for text/plain only: unfolding an HTML part joins what the
  // sender split across lines ("<scri \r\npt>" into "<script>"), which no browser does
  if (ref.type === 'text/plain' && (params.format ?? '').toLowerCase() === 'flowed') {
    ref.flowed = true;
    ref.delSp = (params.delsp ?? '').toLowerCase() === 'yes';
  }
  return ref;
}

function filenameOf(node: MessageStructureObject): string | undefined {
  const raw = node.dispositionParameters?.filename ?? node.parameters?.name;
  return raw ? plainLabel(raw, 180) || undefined : undefined;
}

const EXTENSIONS: Record<string, string> = {
  'text/plain': 'txt',
  'text/html': 'html',
  'text/calendar': 'ics',
  'application/ics': 'ics',
  'message/rfc822': 'eml',
  'application/pdf': 'pdf',
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'text/x-diff': 'diff',
  'text/x-patch': 'patch',
  'application/zip': 'zip',
};

/**
 * The decoded size of a part from its encoded size (BODYSTRUCTURE gives the encoded one). Exact
 * for 7bit/8bit/binary and when the sender gave RFC 2183's size parameter; for base64 the
 * encoded size less line breaks (76 characters and CRLF per line, RFC 2045 6.8) times 3/4, an
 * estimate; for quoted-printable the encoded size, an upper bound.
 */
export function decodedSize(node: Pick<MessageStructureObject, 'size' | 'encoding' | 'dispositionParameters'>): { size: number; exact: boolean } {
  const encoded = node.size ?? 0;
  const declared = Number(node.dispositionParameters?.size);
  if (Number.isInteger(declared) && declared >= 0 && declared <= encoded) {
    return { size: declared, exact: true };
  }
  const encoding = (node.encoding ?? '').toLowerCase();
  if (encoding === 'base64') {
    const lines = Math.ceil(encoded / 78);
    return { size: Math.max(0, Math.floor(((encoded - 2 * lines) * 3) / 4)), exact: false };
  }
  if (encoding === 'quoted-printable') {
    return { size: encoded, exact: false };
  }
  return { size: encoded, exact: true };
}

function attachmentOf(node: MessageStructureObject): AttachmentInfo {
  const type = typeOf(node);
  let filename = filenameOf(node);
  if (!filename && type === 'message/rfc822' && node.envelope?.subject) {
    filename = `${plainLabel(node.envelope.subject, 120)}.eml`;
  }
  const { size, exact } = decodedSize(node);
  const info: AttachmentInfo = {
    part: partOf(node),
    filename: filename ?? `part-${partOf(node)}.${EXTENSIONS[type] ?? 'bin'}`,
    contentType: type,
    size,
    sizeExact: exact,
  };
  const cid = normaliseCid(node.id);
  if (cid) {
    info.contentId = cid;
  }
  return info;
}

function isMultipart(node: MessageStructureObject): boolean {
  return typeOf(node).startsWith('multipart/');
}

/** RFC 2183: only `Content-Disposition: attachment` makes an attachment; a name alone does not. */
function isAttachmentDisposition(node: MessageStructureObject): boolean {
  return (node.disposition ?? '').toLowerCase() === 'attachment';
}

/** A leaf we can show as text in the body. */
function isBodyLeaf(node: MessageStructureObject): boolean {
  return !isMultipart(node) && BODY_TYPES.has(typeOf(node)) && !isAttachmentDisposition(node);
}

/** Whether a subtree (an alternative) has something we can show as the body. */
function displayable(node: MessageStructureObject, depth = 0): boolean {
  if (depth > 50) {
    return false;
  }
  if (!isMultipart(node)) {
    return isBodyLeaf(node);
  }
  if (!node.parameters?.boundary && !(node.childNodes?.length)) {
    return true;
  }
  return (node.childNodes ?? []).some((child) => displayable(child, depth + 1));
}

const MAX_DEPTH = 50;

/**
 * Pure: decides what to download and show for a message, as Thunderbird does (and RFC 2046/2183):
 * - `Content-Disposition: attachment` makes an attachment; a `name=` parameter alone does not.
 * - In multipart/mixed (and any unknown multipart), every inline text part is shown in order, so
 *   a list footer in a second text part shows under the body.
 * - In multipart/alternative the last alternative we can display wins (RFC 2046 5.1.4), also when
 *   it is a multipart/mixed or /related (Apple Mail); a plain-text alternative stays as fallback.
 * - multipart/related shows its root (the `start` parameter, else the first part).
 * - Images with a Content-ID are inline candidates wherever they are (a cid: may point anywhere);
 *   the loader keeps the ones the HTML uses and lists the rest as attachments.
 * - text/calendar and application/ics become the invitation card.
 * - A multipart without a boundary shows its whole text (the IMAP section TEXT) as plain text.
 */
export function planDisplay(structure: MessageStructureObject): DisplayPlan {
  const plan: DisplayPlan = { body: [], inline: new Map(), attachments: [], notices: [] };

  const leaf = (node: MessageStructureObject, inBody: boolean): void => {
    const type = typeOf(node);
    const cid = normaliseCid(node.id);
    if (CALENDAR_TYPES.has(type) && !plan.calendar) {
      plan.calendar = { ...refOf(node), filename: filenameOf(node) ?? 'invite.ics' };
      if (isAttachmentDisposition(node)) {
        plan.attachments.push(attachmentOf(node));
      }
      return;
    }
    if (inBody && isBodyLeaf(node)) {
      plan.body.push(refOf(node));
      return;
    }
    if (inBody && plan.body.length === 0 && !isAttachmentDisposition(node) && !filenameOf(node) && TEXT_LIKE.test(type)) {
      // a body in another text type (text/enriched, a bounce's delivery status) shows as plain text
      plan.body.push({ ...refOf(node), type: 'text/plain' });
      return;
    }
    if (cid && IMAGE_TYPES.has(type) && !plan.inline.has(cid)) {
      plan.inline.set(cid, { ...refOf(node), filename: attachmentOf(node).filename, attachment: isAttachmentDisposition(node) });
      if (isAttachmentDisposition(node)) {
        plan.attachments.push(attachmentOf(node));
      }
      return;
    }
    plan.attachments.push(attachmentOf(node));
  };

  const visit = (node: MessageStructureObject, inBody: boolean, depth: number): void => {
    if (depth > MAX_DEPTH) {
      plan.notices.push('This message nests its parts too deeply; the deepest ones are not shown.');
      return;
    }
    if (!isMultipart(node)) {
      leaf(node, inBody);
      return;
    }
    const type = typeOf(node);
    const children = node.childNodes ?? [];
    if (!node.parameters?.boundary) {
      // RFC 2046 5.1.1 requires the boundary; without it nothing can be split. Servers disagree
      // on what to report (Dovecot: one empty text part), so the text after the header is shown.
      plan.body.push({ part: 'TEXT', type: 'text/plain', ...(node.encoding ? { encoding: node.encoding } : {}) });
      plan.notices.push('This message says it has several parts but does not say where they begin; its text is shown as it is.');
      return;
    }
    if (type === 'multipart/alternative') {
      const chosen = inBody ? [...children].reverse().find((c) => displayable(c)) : undefined;
      const plain = children.find((c) => c !== chosen && typeOf(c) === 'text/plain' && isBodyLeaf(c));
      for (const child of children) {
        if (child === chosen) {
          visit(child, true, depth + 1);
        } else if (child === plain && chosen) {
          if (!plan.alternative) {
            plan.alternative = refOf(child);
          }
        } else if (!inBody || CALENDAR_TYPES.has(typeOf(child)) || !displayable(child)) {
          // the other alternatives are the same content; only invitations and stray files matter
          visit(child, false, depth + 1);
        }
      }
      return;
    }
    if (type === 'multipart/related') {
      const start = normaliseCid(node.parameters?.start);
      const root = (start && children.find((c) => normaliseCid(c.id) === start)) || children[0];
      for (const child of children) {
        visit(child, child === root ? inBody : false, depth + 1);
      }
      return;
    }
    // mixed, digest, report, signed and any other: inline text parts are the body, in order
    for (const child of children) {
      visit(child, inBody, depth + 1);
    }
  };

  visit(structure, true, 0);
  return plan;
}

/** For the tree's paperclip: does the message carry anything but its body, inline images and invitation? */
export function hasAttachments(structure: MessageStructureObject | undefined): boolean {
  return structure ? planDisplay(structure).attachments.length > 0 : false;
}

/** The charset a message declares for its text: the hint for raw 8-bit header bytes. */
export function declaredCharset(structure: MessageStructureObject | undefined): string | undefined {
  let found: string | undefined;
  const walk = (node: MessageStructureObject, depth: number) => {
    if (found || depth > MAX_DEPTH) {
      return;
    }
    const charset = node.parameters?.charset;
    if (charset && !/^(?:us-)?ascii$/i.test(charset) && typeOf(node).startsWith('text/')) {
      found = charset;
      return;
    }
    (node.childNodes ?? []).forEach((c) => walk(c, depth + 1));
  };
  if (structure) {
    walk(structure, 0);
  }
  return found;
}

/**
 * Decodes a downloaded text part (transfer encoding already removed) into a string: the charset
 * rules of charset.ts (declared if valid, HTML meta, UTF-8, detector, windows-1252), in slices
 * between turns of the event loop, then format=flowed (RFC 3676).
 */
export async function decodeText(content: Buffer, ref: Pick<PartRef, 'charset' | 'flowed' | 'delSp'> & { type?: string }): Promise<string> {
  let text = (await decodeBodyInSlices(content, ref.charset, ref.type === 'text/html' ? 'html' : 'text')).text;
  if (ref.flowed) {
    text = libmime.decodeFlowed(text, ref.delSp);
  }
  return text;
}

/** Content-IDs an HTML body refers to (`cid:` URLs), normalised. Linear: one pass of a bounded class. */
export function cidReferences(html: string): Set<string> {
  const found = new Set<string>();
  for (const match of html.matchAll(/cid:([^"'\s)>]+)/gi)) {
    const cid = normaliseCid(decodeURIComponentSafe(match[1]));
    if (cid) {
      found.add(cid);
    }
  }
  return found;
}

export function decodeURIComponentSafe(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
