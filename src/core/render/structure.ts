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
import Splitter from '@zone-eu/mailsplit/lib/message-splitter.js';
import { decodeEncodedWords, decodeHeaderBytes } from './charset';
import { readHeaderFields, splitHeaderBlock } from './headerFields';

export interface ParsedSource {
  /** The top-level header block, as bytes. */
  header: Buffer;
  structure: MessageStructureObject;
  /** Encoded body bytes by part number ('TEXT' for the body of a multipart without boundary). */
  parts: Map<string, { raw: Buffer; encoding: string }>;
}

/** Most MIME parts one message may have; more is an attack (mailsplit enforces it). */
const MAX_CHILD_NODES = 2000;

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

function structuredHeader(fields: Map<string, Buffer>, key: string): HeaderValue | undefined {
  const raw = fields.get(key);
  if (!raw) {
    return undefined;
  }
  const parsed = libmime.parseHeaderValue(decodeHeaderBytes(raw));
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed.params ?? {})) {
    if (typeof value === 'string') {
      params[name.toLowerCase()] = decodeEncodedWords(value);
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

function describe(header: Buffer, parent: MessageStructureObject | undefined, part: string | undefined): Building {
  const fields = new Map<string, Buffer>();
  for (const field of splitHeaderBlock(header)) {
    if (!fields.has(field.key)) {
      fields.set(field.key, field.value);
    }
  }
  const contentType = structuredHeader(fields, 'content-type');
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
  const disposition = structuredHeader(fields, 'content-disposition');
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
    node.description = decodeEncodedWords(decodeHeaderBytes(description).trim());
  }
  const boundaryless = type.startsWith('multipart/') && !contentType?.params.boundary;
  if (type.startsWith('multipart/')) {
    node.childNodes = [];
  }
  return { node, chunks: [], size: 0, boundaryless, headerFields: fields };
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
 * subject is read into `envelope` for the attachment's name.
 */
export async function parseStructure(source: Buffer): Promise<ParsedSource> {
  const splitter = new Splitter({ ignoreEmbedded: true, maxChildNodes: MAX_CHILD_NODES });
  const building = new Map<unknown, Building>();
  const order: Building[] = [];
  let current: Building | undefined;
  let header: Buffer = Buffer.alloc(0);
  splitter.on('data', (chunk: { type: string; value?: Buffer; root?: boolean; parentNode?: unknown; partNr?: Array<number | string> | false; getHeaders?: () => Buffer }) => {
    if (chunk.type === 'node') {
      const headers = chunk.getHeaders!();
      const parent = chunk.parentNode ? building.get(chunk.parentNode) : undefined;
      const part = chunk.root ? undefined : (chunk.partNr || []).filter((p) => typeof p === 'number').join('.');
      if (chunk.root) {
        header = headers;
      }
      current = describe(headers, parent?.node, part || undefined);
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
  await new Promise<void>((resolve, reject) => {
    const events = splitter as unknown as NodeJS.EventEmitter;
    events.once('end', resolve);
    events.once('error', reject);
    splitter.end(source);
    splitter.resume();
  });
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
    if (entry.node.type === 'message/rfc822') {
      const inner = readHeaderFields(decodeTransfer(raw, entry.node.encoding));
      entry.node.envelope = { subject: inner.subject };
    }
  }
  return { header, structure: order[0]?.node ?? { type: 'text/plain' }, parts };
}
