// A raw message (an .eml file, an attached message, a source we already hold) turned into the
// same structure description IMAP gives: a BODYSTRUCTURE-like tree (imapflow's
// MessageStructureObject) with RFC 3501 part numbers, plus the bytes of each part. The MIME tree
// comes from @zone-eu/mailsplit (the splitter under mailparser); parameters are read by libmime
// (RFC 2231) and decoded by charset.ts. With this, an .eml goes through the same planner and
// decoder as an IMAP message; only fetching differs.
import { type MessageStructureObject } from 'imapflow';
import libmime from 'libmime';
import libbase64 from 'libbase64';
import libqp from 'libqp';
import { HeaderDecoder } from './charset';
import { readHeaderFields, splitHeaderBlock } from './headerFields';
import { MimeSplitter } from './splitter';

export interface ParsedSource {
  /** The top-level header block, as bytes. */
  header: Buffer;
  structure: MessageStructureObject;
  /** Encoded body bytes by part number ('TEXT' for the body of a multipart without boundary). */
  parts: Map<string, { raw: Buffer; encoding: string }>;
  /** What could not be split as the message says (a limit was reached), for the view's notices. */
  notices: string[];
}

/** Most MIME parts one message may have; more is an attack (mailsplit enforces it). */
export const MAX_CHILD_NODES = 2000;

/**
 * Content-Transfer-Encoding removed (RFC 2045 6) by libbase64 and libqp, the decoders imapflow
 * uses for IMAP parts, so both paths read a broken encoding the same way.
 */
export function decodeTransfer(raw: Buffer, encoding: string | undefined): Buffer {
  switch ((encoding ?? '').trim().toLowerCase()) {
    case 'base64':
      return libbase64.decode(raw.toString());
    case 'quoted-printable':
      return libqp.decode(raw.toString());
    default:
      return raw;
  }
}

interface HeaderValue {
  value: string;
  params: Record<string, string>;
}

function structuredHeader(fields: Map<string, Buffer>, key: string, decoder: HeaderDecoder): HeaderValue | undefined {
  const raw = fields.get(key);
  if (!raw) {
    return undefined;
  }
  // comments dropped (RFC 2045 5.1 allows them), as mailsplit reads the same field to split
  const parsed = libmime.parseHeaderValue(decoder.bytes(raw), { stripComments: true });
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed.params ?? {})) {
    if (typeof value === 'string') {
      params[name.toLowerCase()] = decoder.words(value);
    }
  }
  return { value: parsed.value.trim().toLowerCase(), params };
}

interface Building {
  node: MessageStructureObject;
  chunks: Buffer[];
  size: number;
  /** A multipart without a boundary keeps its body as text (the IMAP section TEXT). */
  boundaryless: boolean;
  headerFields: Map<string, Buffer>;
}

/**
 * The structure node of one MIME part. `split` says what the splitter made of it: whether it
 * splits the part as a multipart, and whether it found a boundary (comments dropped, ASCII); a
 * multipart it does not split (nested too deep) is a leaf here too.
 */
function describe(header: Buffer, parent: MessageStructureObject | undefined, part: string | undefined, decoder: HeaderDecoder, split: { multipart: boolean; boundary: boolean }): Building {
  const fields = new Map<string, Buffer>();
  for (const field of splitHeaderBlock(header)) {
    if (!fields.has(field.key)) {
      fields.set(field.key, field.value);
    }
  }
  const contentType = structuredHeader(fields, 'content-type', decoder);
  // RFC 2045 5.2 (no Content-Type: text/plain) and RFC 2046 5.1.5 (in a digest: message/rfc822)
  const fallbackType = parent?.type === 'multipart/digest' ? 'message/rfc822' : 'text/plain';
  const type = contentType && /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(contentType.value) ? contentType.value : fallbackType;
  const node: MessageStructureObject = { type } as MessageStructureObject;
  if (part) {
    node.part = part;
  }
  if (contentType && Object.keys(contentType.params).length) {
    node.parameters = contentType.params;
  }
  const encoding = fields.get('content-transfer-encoding')?.toString('latin1').trim().toLowerCase();
  if (encoding) {
    node.encoding = encoding;
  }
  const disposition = structuredHeader(fields, 'content-disposition', decoder);
  if (disposition?.value) {
    node.disposition = disposition.value;
    if (Object.keys(disposition.params).length) {
      node.dispositionParameters = disposition.params;
    }
  }
  const id = fields.get('content-id')?.toString('latin1').trim();
  if (id) {
    node.id = id;
  }
  const description = fields.get('content-description');
  if (description) {
    node.description = decoder.words(decoder.bytes(description).trim());
  }
  const multipart = type.startsWith('multipart/') && split.multipart;
  const boundaryless = multipart && !split.boundary;
  if (multipart) {
    node.childNodes = [];
  }
  if (boundaryless && node.parameters?.boundary) {
    // a boundary the splitter cannot use (not ASCII, blank) is none: the planner shows the text
    delete node.parameters.boundary;
  }
  return { node, chunks: [], size: 0, boundaryless, headerFields: fields };
}

/**
 * The Content-Type and Content-Disposition parameters of a MIME header block (a part's
 * BODY[n.MIME] over IMAP), read exactly as the structure of a raw source reads them: raw 8-bit
 * bytes by the charset rules, RFC 2231 and encoded words decoded.
 */
export function mimeParameters(header: Buffer, decoder: HeaderDecoder = new HeaderDecoder()): { parameters?: Record<string, string>; dispositionParameters?: Record<string, string> } {
  const fields = new Map<string, Buffer>();
  for (const field of splitHeaderBlock(header)) {
    if (!fields.has(field.key)) {
      fields.set(field.key, field.value);
    }
  }
  const out: { parameters?: Record<string, string>; dispositionParameters?: Record<string, string> } = {};
  const type = structuredHeader(fields, 'content-type', decoder);
  if (type && Object.keys(type.params).length) {
    out.parameters = type.params;
  }
  const disposition = structuredHeader(fields, 'content-disposition', decoder);
  if (disposition && Object.keys(disposition.params).length) {
    out.dispositionParameters = disposition.params;
  }
  return out;
}

/** Where the body starts: after the first empty line (CRLF or LF), or the end when there is none. */
function headerEnd(source: Buffer): number {
  const crlf = source.indexOf('\r\n\r\n');
  const lf = source.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf + 1 <= lf)) {
    return crlf + 4;
  }
  return lf >= 0 ? lf + 2 : source.length;
}

/**
 * Splits a raw message into its structure and parts. Never throws for malformed MIME: what the
 * splitter cannot split stays the body of its node. Attached messages (message/rfc822) are leaves
 * whose body is the whole attached message, as an IMAP client sees them before opening one; their
 * subject is read into `envelope` for the attachment's name. When a limit of the splitter is
 * reached (more than MAX_CHILD_NODES parts, a header over 1 MB), the parts split so far are the
 * structure and `notices` says so; without any, the message is its text after the header.
 */
export async function parseStructure(source: Buffer): Promise<ParsedSource> {
  const splitter = new MimeSplitter({ ignoreEmbedded: true, maxChildNodes: MAX_CHILD_NODES });
  // one decoder for the whole message: charset detection for raw 8-bit parameters runs once
  const decoder = new HeaderDecoder();
  const building = new Map<unknown, Building>();
  const order: Building[] = [];
  let current: Building | undefined;
  let header: Buffer = Buffer.alloc(0);
  splitter.on('data', (chunk: { type: string; value?: Buffer; root?: boolean; parentNode?: unknown; partNr?: Array<number | string> | false; getHeaders?: () => Buffer; multipart?: string | false; _boundary?: Buffer | false }) => {
    if (chunk.type === 'node') {
      const headers = chunk.getHeaders!();
      const parent = chunk.parentNode ? building.get(chunk.parentNode) : undefined;
      const part = chunk.root ? undefined : (chunk.partNr || []).filter((p) => typeof p === 'number').join('.');
      if (chunk.root) {
        header = headers;
      }
      current = describe(headers, parent?.node, part || undefined, decoder, { multipart: Boolean(chunk.multipart), boundary: Boolean(chunk._boundary) });
      building.set(chunk, current);
      order.push(current);
      parent?.node.childNodes?.push(current.node);
    } else if (chunk.type === 'body' && chunk.value && current) {
      current.chunks.push(chunk.value);
      current.size += chunk.value.length;
    } else if (chunk.type === 'data' && chunk.value && current?.boundaryless) {
      current.chunks.push(chunk.value);
      current.size += chunk.value.length;
    }
  });
  const failure = await new Promise<(Error & { code?: string }) | undefined>((resolve) => {
    const events = splitter as unknown as NodeJS.EventEmitter;
    events.once('end', () => resolve(undefined));
    // a limit of the splitter: what was split so far stays (below)
    events.once('error', (err: Error) => resolve(err));
    splitter.end(source);
    splitter.resume();
  });
  const notices: string[] = [];
  if (failure) {
    notices.push(/header/i.test(failure.message)
      ? 'A header in this message is larger than 1 MB; the message is shown up to there.'
      : `This message has more than ${MAX_CHILD_NODES} parts; the parts after them are not shown.`);
  }
  if (!order.length) {
    return textOnly(source, decoder, notices);
  }
  const parts = new Map<string, { raw: Buffer; encoding: string }>();
  for (const entry of order) {
    const raw = Buffer.concat(entry.chunks);
    const isRoot = entry === order[0];
    if (isRoot) {
      // IMAP's BODY[TEXT]: everything after the top header, for a multipart whose boundary is
      // missing or never used, and for the raw-text fallback
      parts.set('TEXT', { raw: source.subarray(headerEnd(source)), encoding: entry.node.childNodes ? '' : entry.node.encoding ?? '' });
    }
    if (entry.boundaryless) {
      continue;
    }
    if (entry.node.childNodes) {
      continue;
    }
    entry.node.size = raw.length;
    parts.set(entry.node.part ?? '1', { raw, encoding: entry.node.encoding ?? '' });
    if (entry.node.type === 'message/rfc822' && IDENTITY_ENCODINGS.has(entry.node.encoding ?? '')) {
      // RFC 2046 5.2.1 allows only 7bit, 8bit and binary here; IMAP servers give an ENVELOPE
      // only then, so a base64 attached message has no subject on either path
      const inner = readHeaderFields(raw.subarray(0, MAX_INNER_HEADER_BYTES), undefined, decoder);
      entry.node.envelope = { subject: inner.subject };
    }
  }
  return { header, structure: order[0].node, parts, notices };
}

const IDENTITY_ENCODINGS = new Set(['', '7bit', '8bit', 'binary']);
/** The most of an attached message read for its subject. */
const MAX_INNER_HEADER_BYTES = 256 * 1024;

/** A message the splitter could not start on (its header is over the limit): its text, as text/plain. */
function textOnly(source: Buffer, decoder: HeaderDecoder, notices: string[]): ParsedSource {
  const end = headerEnd(source);
  const header = source.subarray(0, end);
  const described = describe(header, undefined, undefined, decoder, { multipart: false, boundary: false });
  const structure: MessageStructureObject = { type: 'text/plain', size: source.length - end } as MessageStructureObject;
  const charset = described.node.parameters?.charset;
  if (charset) {
    structure.parameters = { charset };
  }
  if (described.node.encoding && !described.node.type.startsWith('multipart/')) {
    structure.encoding = described.node.encoding;
  }
  const body = { raw: source.subarray(end), encoding: structure.encoding ?? '' };
  return { header, structure, parts: new Map([['1', body], ['TEXT', body]]), notices };
}
