// The one check every message passes before it leaves us: before any IMAP APPEND (a draft, the
// copy in Sent) and before SMTP DATA. Dovecot stores whatever it is given; Cyrus (and so Fastmail)
// refuses bare newlines, and a receiving MTA may bounce or rewrite the rest. A message is
// canonical when
// - every line ends in CRLF, with no bare CR or LF (RFC 5322 2.1, RFC 5321 2.3.8, RFC 3501 APPEND);
// - no line is longer than 998 octets without its CRLF (RFC 5322 2.1.1);
// - it holds no NUL (RFC 5322 2.2 and 2.3; an IMAP literal cannot carry one without BINARY);
// - every header is 7-bit (we never send SMTPUTF8 / RFC 6532 headers: nodemailer encodes words
//   as RFC 2047), and 8-bit body bytes appear only in a part that declares
//   Content-Transfer-Encoding: 8bit (RFC 2045 6; 'binary' would need BINARYMIME / literal8);
// - a multipart or message/rfc822 part is not base64 or quoted-printable (RFC 2045 6.4).
// The MIME structure is read with mailsplit (the splitter of mailparser's family).
import { finished } from 'node:stream/promises';
import { type MimeNode, Splitter, type SplitterChunk } from '@zone-eu/mailsplit';
import { MailError } from '../errors';

export const MAX_LINE_OCTETS = 998;
const CRLF = Buffer.from('\r\n');

export interface CanonicalReport {
  /** What is wrong, in words, each naming a line or a part; empty when the message is canonical. */
  problems: string[];
  /** Some part carries 8-bit bytes (declared 8bit): SMTP needs BODY=8BITMIME (RFC 6152). */
  eightBit: boolean;
}

const SHOWN = 5;

/** Line ends, line lengths and NUL bytes: one linear pass over the bytes. */
function lineProblems(raw: Buffer, problems: string[]): void {
  let line = 1;
  let start = 0;
  const add = (what: string) => {
    if (problems.length < SHOWN) {
      problems.push(what);
    }
  };
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i];
    if (byte === 0x0a) {
      const bare = i === 0 || raw[i - 1] !== 0x0d;
      const length = i - start - (bare ? 0 : 1);
      if (bare) {
        add(`line ${line} ends in a bare LF instead of CRLF`);
      }
      if (length > MAX_LINE_OCTETS) {
        add(`line ${line} is ${length} octets long (at most ${MAX_LINE_OCTETS})`);
      }
      line++;
      start = i + 1;
    } else if (byte === 0x0d && raw[i + 1] !== 0x0a) {
      add(`line ${line} has a bare CR`);
    } else if (byte === 0x00) {
      add(`line ${line} holds a NUL byte`);
    }
  }
  if (raw.length - start > MAX_LINE_OCTETS) {
    add(`line ${line} is ${raw.length - start} octets long (at most ${MAX_LINE_OCTETS})`);
  }
}

function hasEightBit(data: Buffer): boolean {
  for (let i = 0; i < data.length; i++) {
    if (data[i] >= 0x80) {
      return true;
    }
  }
  return false;
}

/** 8-bit bytes and transfer encodings, part by part. */
async function mimeProblems(raw: Buffer, problems: string[]): Promise<boolean> {
  // message/rfc822 stays one leaf: a forwarded original is checked as the bytes of its container
  // part, not re-judged by its own (foreign) headers
  const splitter = new Splitter({ ignoreEmbedded: true });
  let eightBit = false;
  const add = (what: string) => {
    if (problems.length < SHOWN && !problems.includes(what)) {
      problems.push(what);
    }
  };
  const name = (node: MimeNode) => `${node.root || !node.partNr ? 'the message' : `part ${node.partNr.join('.')}`} (${node.contentType || 'text/plain'})`;
  splitter.on('data', (chunk: SplitterChunk) => {
    if (chunk.type === 'node') {
      const encoding = chunk.encoding || '7bit';
      if (hasEightBit(chunk.getHeaders())) {
        add(`the header of ${name(chunk)} has 8-bit bytes`);
      }
      if (encoding === 'binary') {
        add(`${name(chunk)} is declared binary`);
      } else if ((chunk.multipart || chunk.contentType === 'message/rfc822') && encoding !== '7bit' && encoding !== '8bit') {
        add(`${name(chunk)} may not be encoded as ${encoding} (RFC 2045 6.4)`);
      }
    } else if (hasEightBit(chunk.value)) {
      if (chunk.type === 'body' && chunk.node.encoding === '8bit') {
        eightBit = true;
      } else {
        add(chunk.type === 'body' ? `${name(chunk.node)} has 8-bit bytes but is declared ${chunk.node.encoding || '7bit'}` : 'the MIME structure between parts has 8-bit bytes');
      }
    }
  });
  splitter.end(raw);
  await finished(splitter);
  return eightBit;
}

/** Checks a message as it would be stored or sent. Pure; linear in the message size. */
export async function checkCanonical(raw: Buffer): Promise<CanonicalReport> {
  const problems: string[] = [];
  lineProblems(raw, problems);
  const eightBit = await mimeProblems(raw, problems);
  return { problems, eightBit };
}

/**
 * The gate before APPEND and SMTP DATA: resolves with the report when the message is canonical,
 * throws MailError INVALID_INPUT naming the first problems otherwise (nothing is stored or sent).
 * `purpose` only words the error ("sent", "saved in Drafts").
 */
export async function requireCanonical(raw: Buffer, purpose: string): Promise<CanonicalReport> {
  const report = await checkCanonical(raw);
  if (report.problems.length) {
    throw new MailError('INVALID_INPUT', `The message was not ${purpose}: it is not a valid Internet message (${report.problems.join('; ')}).`);
  }
  return report;
}

/**
 * CRLF for every bare LF or CR. For bytes we pass on but did not build (a forwarded original):
 * every MTA on the way does the same (RFC 5321 2.3.8).
 */
export function toCrlf(raw: Buffer): Buffer {
  const pieces: Buffer[] = [];
  let from = 0;
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i];
    const bareLf = byte === 0x0a && (i === 0 || raw[i - 1] !== 0x0d);
    const bareCr = byte === 0x0d && raw[i + 1] !== 0x0a;
    if (bareLf || bareCr) {
      pieces.push(raw.subarray(from, i), CRLF);
      from = i + 1;
    }
  }
  if (!pieces.length) {
    return raw;
  }
  pieces.push(raw.subarray(from));
  return Buffer.concat(pieces);
}

/** Whether any line (without its CRLF) is longer than 998 octets, or a NUL byte is present. */
export function hasOverlongLineOrNul(raw: Buffer): boolean {
  let start = 0;
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === 0x00) {
      return true;
    }
    if (raw[i] === 0x0a) {
      if (i - start - (i > 0 && raw[i - 1] === 0x0d ? 1 : 0) > MAX_LINE_OCTETS) {
        return true;
      }
      start = i + 1;
    }
  }
  return raw.length - start > MAX_LINE_OCTETS;
}

export { hasEightBit };
