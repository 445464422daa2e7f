// Size limits on a decoded body that never break it: large inline `data:` images are moved out
// of the HTML (into cid: parts, so they are counted apart from the text and shown like any inline
// image), and a cut made for the text limit falls between tags, never inside a tag or an
// attribute. Both use htmlparser2's tokenizer: one linear pass, no regular expressions on the
// body.
import { Tokenizer } from 'htmlparser2';

/** data: URLs above this many characters leave the HTML (a few KB of icons stay where they are). */
export const DATA_URL_MOVE_CHARS = 8 * 1024;

export interface MovedImage {
  cid: string;
  contentType: string;
  data: Buffer;
}

type Callbacks = ConstructorParameters<typeof Tokenizer>[1];

function noop(): void {
  // a tokenizer event this pass does not need
}

function baseCallbacks(): Callbacks {
  return {
    onattribdata: noop,
    onattribentity: noop,
    onattribend: noop,
    onattribname: noop,
    oncdata: noop,
    onclosetag: noop,
    oncomment: noop,
    ondeclaration: noop,
    onend: noop,
    onopentagend: noop,
    onopentagname: noop,
    onprocessinginstruction: noop,
    onselfclosingtag: noop,
    ontext: noop,
    ontextentity: noop,
  };
}

/**
 * Replaces large `data:image/...;base64,` attribute values with `cid:` references and returns the
 * images. Values that are not base64 images are left alone. `prefix` makes the Content-IDs unique
 * per message.
 */
export function moveDataImages(html: string, prefix = 'mx-data'): { html: string; images: MovedImage[] } {
  if (!html.includes('data:')) {
    return { html, images: [] };
  }
  const spans: Array<{ start: number; end: number }> = [];
  let valueStart = -1;
  let valueEnd = -1;
  const callbacks = baseCallbacks();
  callbacks.onattribdata = (start, end) => {
    if (valueStart < 0) {
      valueStart = start;
    }
    valueEnd = end;
  };
  callbacks.onattribend = () => {
    if (valueStart >= 0 && valueEnd - valueStart >= DATA_URL_MOVE_CHARS) {
      spans.push({ start: valueStart, end: valueEnd });
    }
    valueStart = -1;
    valueEnd = -1;
  };
  const tokenizer = new Tokenizer({ decodeEntities: false }, callbacks);
  tokenizer.write(html);
  tokenizer.end();
  const images: MovedImage[] = [];
  let out = '';
  let last = 0;
  for (const span of spans) {
    const value = html.slice(span.start, span.end).trim();
    const comma = value.indexOf(',');
    const head = comma > 0 ? value.slice(0, comma).toLowerCase() : '';
    if (!head.startsWith('data:image/') || !head.endsWith(';base64')) {
      continue;
    }
    const contentType = head.slice('data:'.length, head.indexOf(';'));
    const cid = `${prefix}-${images.length + 1}@local`;
    images.push({ cid, contentType, data: Buffer.from(value.slice(comma + 1).replace(/[^A-Z0-9+/]/gi, ''), 'base64') });
    out += html.slice(last, span.start) + `cid:${cid}`;
    last = span.end;
  }
  return images.length ? { html: out + html.slice(last), images } : { html, images: [] };
}

/**
 * The longest prefix of `html` of at most `limit` characters that ends between tokens: never
 * inside a tag, an attribute value, a comment or a character reference, and never between the two
 * halves of a surrogate pair.
 */
export function cutHtml(html: string, limit: number): string {
  if (html.length <= limit) {
    return html;
  }
  let safe = 0;
  const callbacks = baseCallbacks();
  const markEnd = (end: number) => {
    if (end <= limit) {
      safe = Math.max(safe, end);
    }
  };
  // after these the tokenizer stands between tokens
  callbacks.onopentagend = (end) => markEnd(end + 1);
  callbacks.onselfclosingtag = (end) => markEnd(end + 1);
  callbacks.onclosetag = (_start, end) => markEnd(end + 1);
  callbacks.oncomment = (_start, end) => markEnd(end + 1);
  callbacks.ondeclaration = (_start, end) => markEnd(end + 1);
  callbacks.onprocessinginstruction = (_start, end) => markEnd(end + 1);
  callbacks.ontext = (_start, end) => markEnd(end);
  callbacks.ontextentity = (_codepoint, end) => markEnd(end);
  const tokenizer = new Tokenizer({ decodeEntities: true }, callbacks);
  tokenizer.write(html.slice(0, limit));
  let cut = safe;
  const code = html.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) {
    cut--;
  }
  return html.slice(0, cut);
}

/** Cuts plain text at a line break (or a space) before `limit`, never inside a surrogate pair. */
export function cutText(text: string, limit: number): string {
  if (text.length <= limit) {
    return text;
  }
  let cut = text.lastIndexOf('\n', limit);
  if (cut < limit / 2) {
    cut = text.lastIndexOf(' ', limit);
  }
  if (cut < limit / 2) {
    cut = limit;
  }
  const code = text.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) {
    cut--;
  }
  return text.slice(0, cut);
}
