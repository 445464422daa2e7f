// Loading a message for display, from IMAP or from a raw source (an .eml file, an attached
// message, a message whose structure the server could not give), through ONE path: a structure
// description (BODYSTRUCTURE, or the same built by render/structure.ts), the display plan of
// render/mime.ts, then the chosen parts fetched through a PartFetcher and decoded by the same
// code. Only fetching differs: from IMAP, one FETCH for the displayed parts (attachments are
// never downloaded here); from a source, the bytes we hold.
import { type ImapFlow, type MessageStructureObject } from 'imapflow';
import { type Readable } from 'node:stream';
import { HEADER_QUERY, type MessageSummary, toSummary } from './headers';
import { MailError } from '../errors';
import { cutHtml, cutText, moveDataImages } from '../render/bodyLimits';
import { MAX_CALENDAR_BYTES, readCalendar } from '../render/calendar';
import { decodeBodyInSlices, HeaderDecoder } from '../render/charset';
import { type HeaderFields, readHeaderFields } from '../render/headerFields';
import { cidReferences, declaredCharset, decodedSize, decodeText, type PartRef, planDisplay } from '../render/mime';
import { decodeTransfer, mimeParameters, parseStructure, type ParsedSource } from '../render/structure';
import { type LoadedMessage } from '../render/viewModel';

/** The text limit of a body, in characters, after large data: images were moved out. */
export const MAX_BODY_CHARS = 2 * 1024 * 1024;
/** The most of one body part fetched for display (encoded bytes): room for base64 and data: images. */
export const MAX_BODY_FETCH_BYTES = 3 * 1024 * 1024;
/** An HTML part larger than the text limit is fetched up to this, since data: images often make it so. */
export const MAX_HTML_FETCH_BYTES = 12 * 1024 * 1024;
/** "Show the whole message": the limits once the user asked. */
export const MAX_WHOLE_BYTES = 48 * 1024 * 1024;
const MAX_INLINE_PART_BYTES = 2 * 1024 * 1024;
const MAX_INLINE_TOTAL_BYTES = 6 * 1024 * 1024;
const MAX_ALTERNATIVE_BYTES = 256 * 1024;
const MAX_FALLBACK_SOURCE_BYTES = 8 * 1024 * 1024;

export async function readStream(stream: Readable, maxBytes = Infinity): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    total += buf.length;
    if (total > maxBytes) {
      chunks.push(buf.subarray(0, buf.length - (total - maxBytes)));
      stream.destroy();
      break;
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/**
 * Where the bytes of a message's parts come from: IMAP (one FETCH) or a source we hold. Returns
 * each part with its transfer encoding removed, cut after `maxBytes` encoded bytes; a part the
 * source does not have is missing from the map. Part "TEXT" is the body after the top header.
 */
export interface PartFetcher {
  fetch(parts: PartRef[], maxBytes: number): Promise<Map<string, Buffer>>;
}

export interface LoadOptions {
  /** The user asked for the whole message: the display limits are lifted (up to MAX_WHOLE_BYTES). */
  whole?: boolean;
}

/** What the header says, as the row shows it; `date` already falls back to INTERNALDATE for IMAP. */
export type MessageHead = Pick<HeaderFields, 'subject' | 'from' | 'to' | 'cc' | 'replyTo' | 'date' | 'messageId'> & { flags: string[]; size?: number };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Builds what the message view shows from a structure, its header and a fetcher: the one path
 * of IMAP messages and raw sources. Never throws for a malformed message: what cannot be shown
 * is said in `notices`, and a message without any displayable part shows its decoded raw text.
 */
export async function loadDisplay(structure: MessageStructureObject, head: MessageHead, fetcher: PartFetcher, options: LoadOptions = {}): Promise<LoadedMessage> {
  const message = emptyMessage(head, options);
  const plan = planDisplay(structure);
  message.notices.push(...plan.notices);
  message.attachments = [...plan.attachments];
  const hasHtml = plan.body.some((p) => p.type === 'text/html');
  const alternative = hasHtml && plan.alternative && (plan.alternative.size ?? 0) <= MAX_ALTERNATIVE_BYTES ? plan.alternative : undefined;
  const calendar = plan.calendar && (plan.calendar.size ?? 0) <= MAX_CALENDAR_BYTES ? plan.calendar : undefined;
  // The body parts, in order, until their encoded sizes reach the fetch limit: a message of
  // 2,000 text parts is not downloaded (and decoded) whole to show its first 2 MB.
  const bigHtml = plan.body.some((p) => p.type === 'text/html' && (p.size ?? 0) > MAX_BODY_FETCH_BYTES);
  const fetchLimit = options.whole ? MAX_WHOLE_BYTES : bigHtml ? MAX_HTML_FETCH_BYTES : MAX_BODY_FETCH_BYTES;
  const bodyParts: PartRef[] = [];
  let budget = fetchLimit;
  for (const ref of plan.body) {
    const size = Math.min(ref.size ?? 0, fetchLimit);
    if (bodyParts.length && size > budget) {
      break;
    }
    bodyParts.push(ref);
    budget -= size;
  }
  const wanted: PartRef[] = [...bodyParts, ...(alternative ? [alternative] : []), ...(calendar ? [calendar] : [])];
  // inline images ride along in the same FETCH when they can be: not marked as attachments and small
  const later: Array<[string, PartRef & { filename: string }]> = [];
  if (hasHtml) {
    let total = 0;
    for (const [cid, image] of plan.inline) {
      const size = image.size ?? 0;
      if (!image.attachment && size <= MAX_INLINE_PART_BYTES && total + size <= MAX_INLINE_TOTAL_BYTES) {
        total += size;
        wanted.push(image);
      } else {
        later.push([cid, image]);
      }
    }
  }
  const parts = wanted.length ? await fetcher.fetch(wanted, fetchLimit) : new Map<string, Buffer>();
  let truncated = plan.body.some((p) => (p.size ?? 0) > fetchLimit) || bodyParts.length < plan.body.length;

  // the body: decoded first (charset rules), data: images moved out, then the text limit
  const limit = options.whole ? MAX_WHOLE_BYTES : MAX_BODY_CHARS;
  const decoded: Array<{ ref: PartRef; text: string }> = [];
  let moved = 0;
  let decodedChars = 0;
  for (const ref of bodyParts) {
    const content = parts.get(ref.part);
    if (!content) {
      continue;
    }
    if (decodedChars > limit) {
      // past the text limit already: the rest is not decoded, only said to be cut
      truncated = true;
      break;
    }
    let text = await decodeText(content, ref);
    if (ref.type === 'text/html') {
      const out = moveDataImages(text, `mx-data-${ref.part.replace(/[^0-9A-Z]/gi, '')}`);
      text = out.html;
      for (const image of out.images) {
        moved++;
        message.inline.set(image.cid, { contentType: image.contentType, data: image.data, filename: `image-${moved}.${image.contentType.split('/')[1]?.replace(/[^a-z0-9]/g, '') || 'bin'}` });
      }
    }
    decoded.push({ ref, text });
    decodedChars += text.length;
  }
  let used = 0;
  const shown: typeof decoded = [];
  for (const entry of decoded) {
    if (used + entry.text.length > limit) {
      const room = limit - used;
      const cut = entry.ref.type === 'text/html' ? cutHtml(entry.text, room) : cutText(entry.text, room);
      if (cut) {
        shown.push({ ref: entry.ref, text: cut });
      }
      truncated = true;
      break;
    }
    used += entry.text.length;
    shown.push(entry);
  }
  if (shown.some((e) => e.ref.type === 'text/html')) {
    // HTML parts joined in order; text parts between or after them as preformatted text under a rule
    message.html = shown.map((e) => (e.ref.type === 'text/html' ? e.text : `<hr><pre class="mx-part-text">${escapeHtml(e.text)}</pre>`)).join('\n');
  } else if (shown.length) {
    message.text = shown.map((e) => e.text.trimEnd()).join('\n\n');
  }
  if (alternative) {
    const content = parts.get(alternative.part);
    if (content) {
      message.text = await decodeText(content, alternative);
    }
  }
  if (truncated) {
    message.truncated = true;
    message.notices.push(`This message is long; only its first ${Math.round(limit / 1024 / 1024)} MB of text are shown.`);
  }

  // the invitation card
  if (plan.calendar) {
    const content = calendar ? parts.get(calendar.part) : undefined;
    const card = content ? readCalendar(await decodeText(content, { ...calendar!, type: 'text/plain', flowed: false })) : undefined;
    if (card) {
      message.calendar = { ...card, part: plan.calendar.part, filename: plan.calendar.filename };
    } else if (!message.attachments.some((a) => a.part === plan.calendar!.part)) {
      // unreadable: still offered as a file
      const size = decodedSize(plan.calendar);
      message.attachments.push({ part: plan.calendar.part, filename: plan.calendar.filename, contentType: plan.calendar.type, size: size.size, sizeExact: size.exact });
    }
  }

  // inline images: those the HTML shows are shown (any part may be named by cid:), the rest are attachments
  const used_ = cidReferences(message.html ?? '');
  for (const cid of [...message.inline.keys()]) {
    // a data: image moved out of the HTML whose place the text limit cut: body, not an attachment
    // (listed, it had no part to open; "Show the whole message" shows it)
    if (!used_.has(cid)) {
      message.inline.delete(cid);
    }
  }
  const fetchLater = later.filter(([cid, image]) => used_.has(cid) && (image.size ?? 0) <= MAX_INLINE_PART_BYTES);
  if (fetchLater.length) {
    const more = await fetcher.fetch(fetchLater.map(([, image]) => image), MAX_INLINE_PART_BYTES);
    more.forEach((value, key) => parts.set(key, value));
  }
  for (const [cid, image] of plan.inline) {
    const content = parts.get(image.part);
    if (content && used_.has(cid)) {
      message.inline.set(cid, { contentType: image.type, data: content, filename: image.filename, part: image.part });
    } else if (!image.attachment) {
      const size = content ? { size: content.length, exact: true } : decodedSize(image);
      message.attachments.push({ part: image.part, filename: image.filename, contentType: image.type, size: size.size, sizeExact: size.exact, contentId: cid });
    }
  }

  // nothing to show: the decoded raw text, labelled, never an empty page
  const hasBody = Boolean((message.html ?? '').trim() || (message.text ?? '').trim());
  if (!hasBody && !message.calendar) {
    if (message.attachments.length) {
      message.notices.push('This message has no text, only attachments.');
    } else {
      const raw = (await fetcher.fetch([{ part: 'TEXT', type: 'text/plain', ...(structure.encoding && !structure.childNodes ? { encoding: structure.encoding } : {}) }], fetchLimit)).get('TEXT');
      const text = raw ? (await decodeBodyInSlices(raw, structure.parameters?.charset)).text : '';
      if (text.trim()) {
        message.text = cutText(text, limit);
        message.notices.push('This message has no part that can be displayed; its raw text is shown as it is.');
      }
    }
  }
  return message;
}

/** Fetches parts of one message over IMAP (the caller holds the mailbox lock). */
export function imapPartFetcher(client: ImapFlow, uid: number): PartFetcher {
  return {
    async fetch(refs, maxBytes) {
      const out = new Map<string, Buffer>();
      const normal = refs.filter((r) => r.part !== 'TEXT');
      if (normal.length) {
        const parts = await client.downloadMany(String(uid), normal.map((p) => p.part), { uid: true, maxBytes });
        for (const ref of normal) {
          const content = parts[ref.part]?.content;
          if (content) {
            out.set(ref.part, content);
          }
        }
      }
      const text = refs.find((r) => r.part === 'TEXT');
      if (text) {
        // the section TEXT has no MIME header of its own (BODY[TEXT.MIME] is not valid): fetched raw
        const fetched = await client.fetchOne(String(uid), { uid: true, bodyParts: [{ key: 'TEXT', start: 0, maxLength: maxBytes }] as unknown as string[] }, { uid: true });
        const bodyParts = fetched ? fetched.bodyParts : undefined;
        const raw = bodyParts?.get('TEXT') ?? bodyParts?.get('text');
        if (raw) {
          out.set('TEXT', decodeTransfer(raw, text.encoding));
        }
      }
      return out;
    },
  };
}

/** Fetches parts from a parsed source (an .eml file, an attached message, a downloaded source). */
export function sourcePartFetcher(parsed: ParsedSource): PartFetcher {
  return {
    async fetch(refs, maxBytes) {
      const out = new Map<string, Buffer>();
      for (const ref of refs) {
        const entry = parsed.parts.get(ref.part);
        if (entry) {
          out.set(ref.part, decodeTransfer(entry.raw.subarray(0, maxBytes), entry.encoding));
        }
      }
      return out;
    },
  };
}

/**
 * Loads a message from the selected mailbox (the caller holds the mailbox lock). With the
 * summary from the header page, the structure is known and only the body parts are fetched.
 */
export async function loadImapMessage(client: ImapFlow, uid: number, known?: MessageSummary, options: LoadOptions = {}): Promise<LoadedMessage> {
  let summary = known;
  if (!summary?.structure) {
    const fetched = await client.fetchOne(String(uid), HEADER_QUERY, { uid: true });
    if (!fetched) {
      throw new MailError('NOT_FOUND', 'This message is no longer in the folder (it was moved or deleted).');
    }
    summary = toSummary(fetched);
  }
  const head: MessageHead = { ...summary, flags: summary.flags };
  if (!summary.structure) {
    return withSourceFallback(client, uid, head, 'The server did not describe this message\'s structure; it is shown from its raw source.', options);
  }
  try {
    const structure = await withRawParameters(client, uid, summary.structure);
    return await loadDisplay(structure, head, imapPartFetcher(client, uid), options);
  } catch (err) {
    if (!client.usable || err instanceof MailError) {
      throw err;
    }
    return withSourceFallback(client, uid, head, 'The text of this message could not be downloaded as a part; it is shown from its raw source.', options);
  }
}

/** Most parts whose MIME header is fetched again for raw parameters (a file name or two, in practice). */
const MAX_RAW_PARAMETER_PARTS = 32;

/**
 * IMAP strings carry the sender's raw 8-bit bytes, and imapflow reads BODYSTRUCTURE parameters as
 * UTF-8: a Latin-1 file name came out as "R\uFFFDsum\uFFFD.pdf" where the .eml path, which reads
 * the bytes by the charset rules, shows "Résumé.pdf". Parts with a replacement character in a
 * parameter have their MIME header fetched (one FETCH of BODY.PEEK[n.MIME], or [HEADER] for the
 * message itself) and read as a raw source's are. Returns a copy; the cached structure is kept.
 */
async function withRawParameters(client: ImapFlow, uid: number, structure: MessageStructureObject): Promise<MessageStructureObject> {
  const damaged = (params: Record<string, string> | undefined) => Object.values(params ?? {}).some((v) => typeof v === 'string' && v.includes('\uFFFD'));
  const sections = new Map<string, MessageStructureObject>();
  const copy = structuredClone(structure);
  const walk = (node: MessageStructureObject, depth: number) => {
    if (sections.size >= MAX_RAW_PARAMETER_PARTS || depth > 50) {
      return;
    }
    if (damaged(node.parameters) || damaged(node.dispositionParameters)) {
      sections.set(node.part ? `${node.part}.MIME` : 'HEADER', node);
    }
    (node.childNodes ?? []).forEach((child) => walk(child, depth + 1));
  };
  walk(copy, 0);
  if (!sections.size) {
    return structure;
  }
  const fetched = await client.fetchOne(String(uid), { uid: true, bodyParts: [...sections.keys()] } as unknown as Parameters<ImapFlow['fetchOne']>[1], { uid: true });
  const decoder = new HeaderDecoder();
  for (const [section, node] of sections) {
    const header = fetched ? fetched.bodyParts?.get(section) ?? fetched.bodyParts?.get(section.toLowerCase()) : undefined;
    if (header) {
      const raw = mimeParameters(header, decoder);
      if (raw.parameters && damaged(node.parameters)) {
        node.parameters = { ...node.parameters, ...raw.parameters };
      }
      if (raw.dispositionParameters && damaged(node.dispositionParameters)) {
        node.dispositionParameters = { ...node.dispositionParameters, ...raw.dispositionParameters };
      }
    }
  }
  return copy;
}

async function withSourceFallback(client: ImapFlow, uid: number, head: MessageHead, notice: string, options: LoadOptions): Promise<LoadedMessage> {
  const download = await client.download(String(uid), undefined, { uid: true, maxBytes: MAX_FALLBACK_SOURCE_BYTES });
  if (!download.content) {
    throw new MailError('NOT_FOUND', 'This message is no longer in the folder (it was moved or deleted).');
  }
  const source = await readStream(download.content, MAX_FALLBACK_SOURCE_BYTES);
  const parsed = await parseSource(source, options);
  // the row's header values (with INTERNALDATE) stay, so the view agrees with the tree
  return { ...parsed, subject: head.subject, from: head.from, to: head.to, cc: head.cc, replyTo: head.replyTo, date: head.date ?? parsed.date, flags: head.flags, size: head.size, notices: [notice, ...parsed.notices] };
}

/**
 * Shows a raw message (an .eml file, an attached message, a source we already hold): its MIME
 * tree is turned into the structure IMAP would give (render/structure.ts), then it goes through
 * the same planner and decoder as an IMAP message. `attachmentData` gives the decoded bytes of
 * any part by its part number, for Open and Save. A message without a usable Date: has no date
 * (shown as unknown), never the time it was opened.
 */
export async function parseSource(source: Buffer, options: LoadOptions = {}): Promise<LoadedMessage & { attachmentData: PartData }> {
  const parsed = await parseStructure(source);
  const fields = readHeaderFields(parsed.header, declaredCharset(parsed.structure));
  const head: MessageHead = { ...fields, flags: [], size: source.length };
  let message: LoadedMessage;
  try {
    message = await loadDisplay(parsed.structure, head, sourcePartFetcher(parsed), options);
  } catch {
    // a message we could not follow in a way nobody foresaw: its decoded text, labelled, rather
    // than an error page (the IMAP path falls back to this function)
    message = await rawText(head, parsed.parts.get('TEXT')?.raw ?? source.subarray(0, 0), options);
  }
  message.notices.unshift(...parsed.notices);
  // the exact decoded size of each attachment is known here
  for (const attachment of message.attachments) {
    const entry = parsed.parts.get(attachment.part);
    if (entry) {
      attachment.size = decodeTransfer(entry.raw, entry.encoding).length;
      attachment.sizeExact = true;
    }
  }
  return { ...message, attachmentData: partData(parsed) };
}

/** A message shown as the decoded text after its header, with a notice that says so. */
async function rawText(head: MessageHead, raw: Buffer, options: LoadOptions): Promise<LoadedMessage> {
  const limit = options.whole ? MAX_WHOLE_BYTES : MAX_BODY_CHARS;
  const text = (await decodeBodyInSlices(raw.subarray(0, limit), undefined)).text;
  return {
    ...emptyMessage(head, options),
    text: cutText(text, limit),
    notices: ['This message could not be read as its structure says; its raw text is shown as it is.'],
    ...(raw.length > limit ? { truncated: true } : {}),
  };
}

/** A message with `head`'s fields and nothing displayed yet (no body, parts or notices). */
function emptyMessage(head: MessageHead, options: LoadOptions): LoadedMessage {
  return {
    subject: head.subject,
    from: head.from,
    to: head.to,
    cc: head.cc,
    replyTo: head.replyTo,
    date: head.date,
    messageId: head.messageId,
    flags: [...head.flags],
    size: head.size,
    ...(options.whole ? { whole: true } : {}),
    inline: new Map(),
    attachments: [],
    notices: [],
  };
}

/** Decoded bytes of the parts of a parsed source, by part number. */
export interface PartData {
  get(part: string): Buffer | undefined;
}

function partData(parsed: ParsedSource): PartData {
  return {
    get: (part) => {
      const entry = parsed.parts.get(part);
      return entry ? decodeTransfer(entry.raw, entry.encoding) : undefined;
    },
  };
}

/**
 * The size of one request of a download. imapflow fetches a part in windows of this size, one round
 * trip each, and holds one window in memory: 64 KB windows (its default) move 0.75 MB/s at 50 ms
 * RTT, 16 MB windows 46 MB/s, close to one unbounded fetch (`npm run bench`).
 */
export const DOWNLOAD_WINDOW_BYTES = 16 * 1024 * 1024;

/**
 * Streams one attachment (transfer encoding removed, bytes as sent). The caller holds the lock.
 * FETCH BINARY where the server has it: the server decodes, a third fewer bytes cross the wire
 * than base64. A server that cannot decode this part (UNKNOWN-CTE) is asked again without it.
 */
export async function downloadPart(client: ImapFlow, uid: number, part: string): Promise<{ content: Readable; size?: number }> {
  let download;
  try {
    download = await client.download(String(uid), part, { uid: true, decodeText: false, binary: true, chunkSize: DOWNLOAD_WINDOW_BYTES });
  } catch (err) {
    if (!client.usable) {
      throw err;
    }
    download = await client.download(String(uid), part, { uid: true, decodeText: false, chunkSize: DOWNLOAD_WINDOW_BYTES });
  }
  if (!download.content) {
    throw new MailError('NOT_FOUND', 'This attachment is no longer available (the message was moved or deleted).');
  }
  return { content: download.content, size: download.meta.expectedSize };
}

/** The raw message, for View Source. */
export async function fetchSource(client: ImapFlow, uid: number, maxBytes: number): Promise<{ source: Buffer; truncated: boolean }> {
  const download = await client.download(String(uid), undefined, { uid: true, maxBytes, chunkSize: DOWNLOAD_WINDOW_BYTES });
  if (!download.content) {
    throw new MailError('NOT_FOUND', 'This message is no longer in the folder (it was moved or deleted).');
  }
  const source = await readStream(download.content, maxBytes);
  return { source, truncated: (download.meta.expectedSize ?? 0) > source.length };
}
