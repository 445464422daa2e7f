// Turning the bytes of a text part or a header into a string, the way mail in the wild needs it:
// declared charsets are trusted only when the bytes are valid in them; otherwise the HTML <meta>
// charset, then UTF-8 when valid, then a detector (chardet), then windows-1252. UTF-7 is decoded
// (iconv-lite), since a message written in it is unreadable otherwise; this is safe because every
// decoded text is sanitized afterwards, never before. Japanese ISO-2022-JP goes through libmime
// (encoding-japanese), which iconv-lite lacks.
import { isUtf8 } from 'node:buffer';
import chardet from 'chardet';
import iconv from 'iconv-lite';
import { decode as libmimeDecode } from 'libmime/lib/charset';
import { trimChars } from '../text';

export interface DecodedText {
  text: string;
  /** The charset the text was decoded with, lower-case (after aliases). */
  charset: string;
  /** How it was chosen: the declared one, the HTML meta, valid UTF-8, the detector, or the last resort. */
  source: 'declared' | 'meta' | 'utf-8' | 'detected' | 'fallback' | 'ascii';
}

// Labels senders use that are not the name of the charset they mean (WHATWG Encoding, "labels").
// ISO-8859-1 and US-ASCII labels mean windows-1252 in practice: its 0x80-0x9F are the “smart
// quotes” and dashes every Windows mailer sends under those labels.
const ALIASES = new Map<string, string>([
  ['unicode-1-1-utf-7', 'utf-7'],
  ['utf7', 'utf-7'],
  ['x-unicode20utf8', 'utf-8'],
  ['unicode-1-1-utf-8', 'utf-8'],
  ['utf8', 'utf-8'],
  ['iso-8859-1', 'windows-1252'],
  ['iso8859-1', 'windows-1252'],
  ['latin1', 'windows-1252'],
  ['l1', 'windows-1252'],
  ['cp1252', 'windows-1252'],
  ['ascii', 'us-ascii'],
  ['ansi_x3.4-1968', 'us-ascii'],
  ['x-sjis', 'shift_jis'],
  ['sjis', 'shift_jis'],
  ['ms_kanji', 'shift_jis'],
  ['windows-31j', 'cp932'],
  ['ks_c_5601-1987', 'cp949'],
  ['ks_c_5601', 'cp949'],
  ['euc-kr', 'cp949'],
  ['gb2312', 'gbk'],
  ['x-gbk', 'gbk'],
  ['iso-8859-8-i', 'iso-8859-8'],
  ['x-mac-roman', 'macintosh'],
  ['tis-620', 'windows-874'],
  ['koi8', 'koi8-r'],
]);

const JAPANESE = /^(?:iso-?2022-?jp|jis|euc-?jp)/;

/** Lower-case charset name with the aliases above resolved; '' for none. */
export function normaliseCharset(label: string | undefined): string {
  const name = trimChars((label ?? '').trim(), '"\'').toLowerCase();
  return ALIASES.get(name) ?? name;
}

// Names iconv-lite was asked about, with its answer: a sender can name a different unknown
// charset in each of thousands of encoded words, and each unknown name costs iconv-lite a thrown
// error. Bounded, since the names are the sender's.
const KNOWN_CACHE_SIZE = 256;
const knownCache = new Map<string, boolean>();

// iconv-lite's codecs that are not text charsets: "charset=base64" would show the body as its
// base64 text, "hex" as hex digits; UTF-7-IMAP is for IMAP folder names (RFC 3501 5.1.3) only
const NOT_TEXT = new Set(['base64', 'hex', 'utf7imap']);

/** Whether we can decode this charset at all. */
export function knownCharset(charset: string): boolean {
  if (charset === 'us-ascii' || JAPANESE.test(charset)) {
    return true;
  }
  if (NOT_TEXT.has(charset.replace(/[^0-9a-z]/g, ''))) {
    return false;
  }
  let known = knownCache.get(charset);
  if (known === undefined) {
    known = iconv.encodingExists(charset);
    if (knownCache.size >= KNOWN_CACHE_SIZE) {
      knownCache.clear();
    }
    knownCache.set(charset, known);
  }
  return known;
}

function isAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] >= 0x80) {
      return false;
    }
  }
  return true;
}

function utf8OrUndefined(bytes: Buffer): string | undefined {
  // isUtf8 answers without throwing: a fatal TextDecoder throws per invalid input, which costs
  // more than decoding when a header has thousands of words
  if (!isUtf8(bytes)) {
    return undefined;
  }
  const text = bytes.toString('utf8');
  // a byte order mark is not text (as TextDecoder with ignoreBOM: false)
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Decodes with a known charset, without validity checks (replacement characters where bytes are bad). */
export function decodeWith(bytes: Buffer, charset: string): string {
  const name = normaliseCharset(charset);
  if (!name || name === 'us-ascii' || name === 'utf-8') {
    return bytes.toString('utf8');
  }
  if (JAPANESE.test(name)) {
    return libmimeDecode(bytes, name);
  }
  if (knownCharset(name)) {
    return iconv.decode(bytes, name);
  }
  return bytes.toString('utf8');
}

/**
 * Decodes `bytes` as `charset` only when they are valid in it: US-ASCII needs 7-bit bytes, UTF-8
 * well-formed sequences, and any other charset must decode without a replacement character.
 */
export function decodeStrict(bytes: Buffer, charset: string): string | undefined {
  const name = normaliseCharset(charset);
  if (!name || !knownCharset(name)) {
    return undefined;
  }
  if (name === 'us-ascii') {
    return isAscii(bytes) ? bytes.toString('latin1') : undefined;
  }
  if (name === 'utf-8') {
    return utf8OrUndefined(bytes);
  }
  const text = decodeWith(bytes, name);
  if (text.includes('\uFFFD')) {
    return undefined;
  }
  return text;
}

// WHATWG "prescan a byte stream to determine its encoding", reduced to the two forms mail uses:
// <meta charset="x"> and <meta http-equiv="Content-Type" content="text/html; charset=x">. Only
// the first 4 KB are looked at, and the scan is indexOf-based (linear in the input).
const META_SCAN_BYTES = 4096;

/** The charset an HTML document names in a <meta> near its start, lower-case, or undefined. */
export function metaCharset(bytes: Buffer): string | undefined {
  const head = bytes.subarray(0, META_SCAN_BYTES).toString('latin1').toLowerCase();
  let from = 0;
  for (;;) {
    const meta = head.indexOf('<meta', from);
    if (meta < 0) {
      return undefined;
    }
    const end = head.indexOf('>', meta);
    const tag = head.slice(meta, end < 0 ? head.length : end);
    const at = tag.indexOf('charset');
    if (at >= 0) {
      let i = at + 'charset'.length;
      while (i < tag.length && (tag[i] === ' ' || tag[i] === '\t' || tag[i] === '\n' || tag[i] === '\r')) {
        i++;
      }
      if (tag[i] === '=') {
        i++;
        while (i < tag.length && (tag[i] === ' ' || tag[i] === '"' || tag[i] === "'")) {
          i++;
        }
        let j = i;
        while (j < tag.length && /[a-z0-9_.:-]/.test(tag[j])) {
          j++;
        }
        const name = normaliseCharset(tag.slice(i, j));
        if (name) {
          return name;
        }
      }
    }
    if (end < 0) {
      return undefined;
    }
    from = end + 1;
  }
}

// Charsets the detector may choose. Its guesses outside these (ISO-8859-x for short Latin text)
// are less likely than windows-1252 for real mail.
const DETECTABLE = new Set(['shift_jis', 'euc-jp', 'iso-2022-jp', 'gb18030', 'big5', 'euc-kr', 'koi8-r', 'windows-1251', 'iso-8859-5', 'windows-1253', 'windows-1255', 'windows-1256', 'iso-8859-7', 'iso-8859-8', 'iso-8859-9', 'windows-1250', 'iso-8859-2']);

/** The detector looks at this much; the charset it picks must still decode all of the bytes. */
const DETECT_SAMPLE_BYTES = 64 * 1024;

/** The charset the detector is confident of for these bytes (all of which it must decode), if any. */
function detect(bytes: Buffer): string | undefined {
  for (const match of chardet.analyse(bytes.subarray(0, DETECT_SAMPLE_BYTES))) {
    const name = normaliseCharset(match.name);
    if (match.confidence >= 30 && DETECTABLE.has(name) && decodeStrict(bytes, name) !== undefined) {
      return name;
    }
  }
  return undefined;
}

/**
 * A <meta> charset HTML may choose (WHATWG "prescan": UTF-16 names mean UTF-8 there, and UTF-7
 * is no encoding of the web; a sender's meta does not get to pick a charset that hides markup).
 */
function metaAllowed(charset: string): string | undefined {
  if (charset.startsWith('utf-16') || charset === 'ucs-2') {
    return 'utf-8';
  }
  return charset === 'utf-7' || charset.startsWith('utf-32') ? undefined : charset;
}

interface Candidate {
  charset: string;
  source: DecodedText['source'];
}

/** Whether the bytes are plain 7-bit text for this declared charset (no decoding needed). */
function asciiText(bytes: Buffer, name: string): boolean {
  return isAscii(bytes) && name !== 'utf-7' && !name.startsWith('utf-16') && !name.startsWith('utf-32') && !JAPANESE.test(name);
}

/** The charsets to try on a body, in order (see decodeBody); lazily, since detection costs. */
function* bodyCandidates(bytes: Buffer, name: string, kind: 'html' | 'text'): Generator<Candidate> {
  if (name && name !== 'us-ascii') {
    yield { charset: name, source: 'declared' };
  }
  if (kind === 'html') {
    const meta = metaCharset(bytes);
    const allowed = meta ? metaAllowed(meta) : undefined;
    if (allowed && allowed !== name) {
      yield { charset: allowed, source: 'meta' };
    }
  }
  yield { charset: 'utf-8', source: 'utf-8' };
  for (const match of chardet.analyse(bytes.subarray(0, DETECT_SAMPLE_BYTES))) {
    const charset = normaliseCharset(match.name);
    if (match.confidence >= 30 && DETECTABLE.has(charset)) {
      yield { charset, source: 'detected' };
    }
  }
}

function fallback(bytes: Buffer): DecodedText {
  return { text: iconv.decode(bytes, 'windows-1252'), charset: 'windows-1252', source: 'fallback' };
}

/**
 * Decodes the bytes of a text part (transfer encoding already removed).
 *
 * Order (issue 10, as Thunderbird and the WHATWG HTML "encoding sniffing" do): the declared
 * charset when the bytes are valid in it; for HTML, a `<meta>` charset valid for the bytes; UTF-8
 * when the bytes are well-formed UTF-8; a charset the detector (chardet) is confident of and that
 * decodes cleanly; windows-1252, which decodes any byte. Each is decoded once, and given up at
 * its first invalid byte. decodeBodyInSlices is the same for bodies of any size.
 */
export function decodeBody(bytes: Buffer, declared: string | undefined, kind: 'html' | 'text' = 'text'): DecodedText {
  const name = normaliseCharset(declared);
  if (asciiText(bytes, name)) {
    return { text: bytes.toString('latin1'), charset: name || 'us-ascii', source: 'ascii' };
  }
  for (const candidate of bodyCandidates(bytes, name, kind)) {
    const text = decodeStrict(bytes, candidate.charset);
    if (text !== undefined) {
      return { text, ...candidate };
    }
  }
  return fallback(bytes);
}

/** Input decoded between two turns of the event loop. */
const DECODE_SLICE_BYTES = 256 * 1024;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * decodeStrict in slices, with a turn of the event loop after each: iconv-lite's UTF-7 costs
 * about 1 s a MB of short shifts ("+AGE-"), so a 3 MB body held the extension host for 3 s and
 * "Show the whole message" (48 MB) for most of a minute. Gives up at the first invalid slice.
 */
async function decodeStrictInSlices(bytes: Buffer, charset: string): Promise<string | undefined> {
  const name = normaliseCharset(charset);
  if (!name || !knownCharset(name)) {
    return undefined;
  }
  // native (UTF-8, ASCII) or stateful across the whole input (ISO-2022-JP): at once
  if (bytes.length <= DECODE_SLICE_BYTES || name === 'us-ascii' || name === 'utf-8' || JAPANESE.test(name)) {
    return decodeStrict(bytes, name);
  }
  const decoder = iconv.getDecoder(name);
  const out: string[] = [];
  for (let i = 0; i < bytes.length; i += DECODE_SLICE_BYTES) {
    const text = decoder.write(bytes.subarray(i, i + DECODE_SLICE_BYTES));
    if (text.includes('\uFFFD')) {
      return undefined;
    }
    out.push(text);
    await nextTurn();
  }
  const rest = decoder.end() ?? '';
  if (rest.includes('\uFFFD')) {
    return undefined;
  }
  out.push(rest);
  return out.join('');
}

/** decodeBody for a body of any size: the same rules, decoded in slices between turns of the event loop. */
export async function decodeBodyInSlices(bytes: Buffer, declared: string | undefined, kind: 'html' | 'text' = 'text'): Promise<DecodedText> {
  const name = normaliseCharset(declared);
  if (asciiText(bytes, name)) {
    return { text: bytes.toString('latin1'), charset: name || 'us-ascii', source: 'ascii' };
  }
  for (const candidate of bodyCandidates(bytes, name, kind)) {
    const text = await decodeStrictInSlices(bytes, candidate.charset);
    if (text !== undefined) {
      return { text, ...candidate };
    }
  }
  return fallback(bytes);
}

/** How much of a header's 8-bit text the detector looks at: enough to tell a language, little to scan. */
const HEADER_SAMPLE_BYTES = 4096;

/**
 * Decodes the raw header fields of one message (or one header block). Raw 8-bit bytes (RFC 6532,
 * or simply wrong) are UTF-8 when valid, else in the charset the message declares for its text
 * (`hint`, as Thunderbird's fallback charset), else in the charset the detector finds, else
 * windows-1252. The detector runs at most once per decoder, on at most 4 KB, and its answer
 * serves every later field and encoded word: a header of thousands of words in an unknown
 * charset costs one detection, not one each (which froze the extension host for seconds a row).
 */
export class HeaderDecoder {
  private fallback: string | undefined;

  /**
   * `sample`: the 8-bit text the detector should judge when it first has to (all of a header
   * block's raw fields, not only the first one that needs it, which may be a name of six bytes).
   */
  constructor(
    readonly hint?: string,
    private readonly sample?: () => Buffer,
  ) {}

  /** Raw header bytes as text. */
  bytes(bytes: Buffer): string {
    if (isAscii(bytes)) {
      return bytes.toString('latin1');
    }
    const utf8 = utf8OrUndefined(bytes);
    if (utf8 !== undefined) {
      return utf8;
    }
    const name = normaliseCharset(this.hint);
    if (name && name !== 'us-ascii' && name !== 'utf-8') {
      const text = decodeStrict(bytes, name);
      if (text !== undefined) {
        return text;
      }
    }
    this.fallback ??= detect((this.sample?.() ?? bytes).subarray(0, HEADER_SAMPLE_BYTES)) ?? 'windows-1252';
    return decodeStrict(bytes, this.fallback) ?? iconv.decode(bytes, 'windows-1252');
  }

  /** RFC 2047 encoded words in a header value (see decodeEncodedWords). */
  words(value: string): string {
    return decodeEncodedWords(value, this);
  }
}

/** Raw header bytes as text, on their own (see HeaderDecoder; a message's fields share one). */
export function decodeHeaderBytes(bytes: Buffer, hint?: string): string {
  return new HeaderDecoder(hint).bytes(bytes);
}

// RFC 2047 encoded words. Each class excludes '?', so the match is linear.
const ENCODED_WORD = /=\?([^?\s]+)\?([BQ])\?([^?\s]*)\?=/gi;

function wordBytes(encoding: string, text: string): Buffer {
  if (encoding === 'b' || encoding === 'B') {
    return Buffer.from(text.replace(/[^A-Z0-9+/]/gi, ''), 'base64');
  }
  // Q: '_' is a space, =XX a byte (RFC 2047 4.2)
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '_') {
      out.push(0x20);
    } else if (c === '=' && /^[0-9A-F]{2}$/i.test(text.slice(i + 1, i + 3))) {
      out.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      out.push(c.charCodeAt(0) & 0xff);
    }
  }
  return Buffer.from(out);
}

/**
 * Decodes RFC 2047 encoded words in an unstructured header value (or a display name). Adjacent
 * words are joined before decoding (RFC 2047 6.2: the space between them is not text), so a
 * multi-byte character split over two words (common in Japanese mail) survives. Words in a
 * charset we do not know, or invalid in theirs, are decoded by the same fallbacks as raw bytes
 * (`decoder`: the message's, so its one detection serves them all).
 */
export function decodeEncodedWords(value: string, decoder: HeaderDecoder = new HeaderDecoder()): string {
  if (!value.includes('=?')) {
    return value;
  }
  let out = '';
  let last = 0;
  let pending: { charset: string; bytes: Buffer[] } | undefined;
  const flush = () => {
    if (pending) {
      const bytes = Buffer.concat(pending.bytes);
      out += decodeStrict(bytes, pending.charset) ?? decoder.bytes(bytes);
      pending = undefined;
    }
  };
  for (const match of value.matchAll(ENCODED_WORD)) {
    const start = match.index;
    const between = value.slice(last, start);
    // RFC 2231 section 5: charset*language
    const charset = normaliseCharset(match[1].split('*')[0]);
    const bytes = wordBytes(match[2], match[3]);
    if (pending && between.trim() === '' && pending.charset === charset) {
      pending.bytes.push(bytes);
    } else {
      if (!(pending && between.trim() === '')) {
        flush();
        out += between;
      } else {
        flush();
      }
      pending = { charset, bytes: [bytes] };
    }
    last = start + match[0].length;
  }
  flush();
  return out + value.slice(last);
}
