// Loading a message for display. From IMAP: BODYSTRUCTURE (already known from the header page
// when possible), then one FETCH for the displayed text part and the inline images it needs;
// attachments are never downloaded here. From a file (.eml) or when the structure is unusable:
// mailparser on the raw source. A malformed message still shows what could be decoded.
import { type ImapFlow, type MessageStructureObject } from 'imapflow';
import { HEADER_QUERY, type MessageSummary, toSummary } from './headers';
import { type AddressObject, simpleParser } from 'mailparser';
import { type Readable } from 'node:stream';
import { MailError } from '../errors';
import { type AttachmentInfo, decodeText, normaliseCid, type PartRef, planDisplay } from '../render/mime';
import { type Address, safeFileName } from '../text';
import { type LoadedMessage } from '../render/viewModel';

export const MAX_BODY_BYTES = 2 * 1024 * 1024;
const MAX_INLINE_PART_BYTES = 2 * 1024 * 1024;
const MAX_INLINE_TOTAL_BYTES = 6 * 1024 * 1024;
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
 * Loads a message from the selected mailbox (the caller holds the mailbox lock). With the
 * summary from the header page, the structure is known and only the body parts are fetched.
 */
export async function loadImapMessage(client: ImapFlow, uid: number, known?: MessageSummary): Promise<LoadedMessage> {
  let summary = known;
  if (!summary?.structure) {
    const fetched = await client.fetchOne(String(uid), HEADER_QUERY, { uid: true });
    if (!fetched) {
      throw new MailError('NOT_FOUND', 'This message is no longer in the folder (it was moved or deleted).');
    }
    summary = toSummary(fetched);
  }
  const structure: MessageStructureObject | undefined = summary.structure;
  const message: LoadedMessage = {
    subject: summary.subject,
    from: summary.from,
    to: summary.to,
    cc: summary.cc,
    replyTo: summary.replyTo,
    date: summary.date,
    messageId: summary.messageId,
    flags: [...summary.flags],
    size: summary.size,
    inline: new Map(),
    attachments: [],
    notices: [],
  };
  if (!structure) {
    message.notices.push('The server did not describe this message\'s structure; it is shown from its raw source.');
    return withSourceFallback(client, uid, message);
  }
  let plan;
  try {
    plan = planDisplay(structure);
  } catch {
    message.notices.push('The structure of this message could not be read; it is shown from its raw source.');
    return withSourceFallback(client, uid, message);
  }
  message.attachments = plan.attachments;
  const body: PartRef | undefined = plan.html ?? plan.text;
  const wanted: PartRef[] = body ? [body] : [];
  // the plain alternative rides along in the same FETCH: it is what shows when the HTML turns out
  // empty once sanitized (a frameset, a body of scripts)
  const alternative = plan.html && plan.text && (plan.text.size ?? 0) <= 256 * 1024 ? plan.text : undefined;
  if (alternative) {
    wanted.push(alternative);
  }
  if (plan.html) {
    let total = 0;
    for (const image of plan.inline.values()) {
      if ((image.size ?? 0) <= MAX_INLINE_PART_BYTES && total + (image.size ?? 0) <= MAX_INLINE_TOTAL_BYTES) {
        total += image.size ?? 0;
        wanted.push(image);
      } else {
        message.attachments.push({ part: image.part, filename: image.filename, contentType: image.type, size: image.size ?? 0 });
      }
    }
  }
  if (wanted.length === 0) {
    return message;
  }
  let parts;
  try {
    parts = await client.downloadMany(String(uid), wanted.map((p) => p.part), { uid: true, maxBytes: MAX_BODY_BYTES });
  } catch (err) {
    if (!client.usable) {
      throw err;
    }
    message.notices.push('The text of this message could not be downloaded as a part; it is shown from its raw source.');
    return withSourceFallback(client, uid, message);
  }
  if (body) {
    const content = parts[body.part]?.content;
    if (!content) {
      message.notices.push('The server returned no text for this message.');
    } else {
      const charset = parts[body.part]?.meta?.charset ?? body.charset;
      const text = decodeText(content, { ...body, charset });
      if (body.type === 'text/html') {
        message.html = text;
      } else {
        message.text = text;
      }
      if ((body.size ?? 0) > MAX_BODY_BYTES) {
        message.notices.push(`The text is long; only its first ${Math.round(MAX_BODY_BYTES / 1024 / 1024)} MB are shown.`);
      }
    }
  }
  for (const [cid, image] of plan.inline) {
    const content = parts[image.part]?.content;
    if (content) {
      message.inline.set(cid, { contentType: image.type, data: content, filename: image.filename, part: image.part });
    }
  }
  if (alternative) {
    const content = parts[alternative.part]?.content;
    if (content) {
      message.text = decodeText(content, { ...alternative, charset: parts[alternative.part]?.meta?.charset ?? alternative.charset });
    }
  }
  return message;
}

async function withSourceFallback(client: ImapFlow, uid: number, message: LoadedMessage): Promise<LoadedMessage> {
  const download = await client.download(String(uid), undefined, { uid: true, maxBytes: MAX_FALLBACK_SOURCE_BYTES });
  if (!download.content) {
    throw new MailError('NOT_FOUND', 'This message is no longer in the folder (it was moved or deleted).');
  }
  const source = await readStream(download.content, MAX_FALLBACK_SOURCE_BYTES);
  const parsed = await parseSource(source);
  return { ...parsed, flags: message.flags, size: message.size, notices: [...message.notices, ...parsed.notices] };
}

function addressList(value: AddressObject | AddressObject[] | undefined): Address[] | undefined {
  if (!value) {
    return undefined;
  }
  const objects = Array.isArray(value) ? value : [value];
  const out: Address[] = [];
  const walk = (entries: AddressObject['value']) => {
    for (const entry of entries) {
      if (entry.group) {
        walk(entry.group);
      } else {
        out.push({ name: entry.name, address: entry.address });
      }
    }
  };
  objects.forEach((o) => walk(o.value));
  return out;
}

/** Parses a raw message (an .eml file, or the source of a message IMAP could not describe). */
export async function parseSource(source: Buffer): Promise<LoadedMessage & { attachmentData: Map<string, Buffer> }> {
  const notices: string[] = [];
  let parsed;
  try {
    parsed = await simpleParser(source, { keepCidLinks: true, skipTextToHtml: true, skipImageLinks: true, skipTextLinks: true });
  } catch (err) {
    notices.push(`This message could not be parsed (${err instanceof Error ? err.message : String(err)}); its raw text is shown.`);
    return {
      flags: [],
      text: source.toString('utf8'),
      inline: new Map(),
      attachments: [],
      notices,
      attachmentData: new Map(),
    };
  }
  const inline: LoadedMessage['inline'] = new Map();
  const attachments: AttachmentInfo[] = [];
  const attachmentData = new Map<string, Buffer>();
  parsed.attachments.forEach((attachment, index) => {
    const cid = normaliseCid(attachment.cid);
    const filename = safeFileName(attachment.filename, `attachment-${index + 1}`);
    if (cid && attachment.related && /^image\//i.test(attachment.contentType)) {
      inline.set(cid, { contentType: attachment.contentType, data: attachment.content, filename, part: `file:${index}` });
      attachmentData.set(`file:${index}`, attachment.content);
      return;
    }
    const id = `file:${index}`;
    attachments.push({ part: id, filename, contentType: attachment.contentType, size: attachment.size, ...(cid ? { contentId: cid } : {}) });
    attachmentData.set(id, attachment.content);
  });
  const html = typeof parsed.html === 'string' ? parsed.html : undefined;
  return {
    subject: parsed.subject,
    from: addressList(parsed.from),
    to: addressList(parsed.to),
    cc: addressList(parsed.cc),
    replyTo: addressList(parsed.replyTo),
    date: parsed.date,
    messageId: parsed.messageId,
    flags: [],
    size: source.length,
    html,
    text: parsed.text,
    inline,
    attachments,
    notices,
    attachmentData,
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
