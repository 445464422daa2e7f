// Plain text mail to HTML for the message view: line breaks kept, quoted text ("> ") shown as
// nested quotes, the signature dimmed, and URLs turned into links that open only after the user
// confirmed them (data-href, like sanitized HTML mail).
import { escapeAttribute, escapeText, FOLD_CLOSE, FOLD_OPEN, safeLinkTarget } from './sanitize';

const URL_PATTERN = /\b(?:https?:\/\/|mailto:)[^\s<>"'`]+|\bwww\.[a-z0-9-]+\.[a-z0-9-][^\s<>"'`]*/gi;

const TRAILING_PUNCTUATION = '.,;:!?\'"';

/**
 * A URL found in text without the punctuation that ends the sentence around it. Linear: one
 * count of the parentheses, then characters come off the end (the regex form /[.,]+$/ and a
 * recount per ")" were quadratic on "http://x" followed by 30,000 ")").
 */
function trimTrailing(url: string): string {
  let end = url.length;
  while (end > 0 && TRAILING_PUNCTUATION.includes(url[end - 1])) {
    end--;
  }
  let open = 0;
  let close = 0;
  for (let i = 0; i < end; i++) {
    if (url[i] === '(') {
      open++;
    } else if (url[i] === ')') {
      close++;
    }
  }
  // keep a closing parenthesis only when the URL opened one (Wikipedia-style links)
  while (end > 0 && url[end - 1] === ')' && open < close) {
    end--;
    close--;
  }
  while (end > 0 && ']}>'.includes(url[end - 1])) {
    end--;
  }
  return url.slice(0, end);
}

export function linkify(line: string): string {
  let out = '';
  let last = 0;
  for (const match of line.matchAll(URL_PATTERN)) {
    const raw = trimTrailing(match[0]);
    const start = match.index ?? 0;
    const target = safeLinkTarget(raw.toLowerCase().startsWith('www.') ? `https://${raw}` : raw);
    if (!target) {
      continue;
    }
    out += escapeText(line.slice(last, start));
    out += `<a data-href="${escapeAttribute(target)}" title="${escapeAttribute(target)}" tabindex="0" role="link">${escapeText(raw)}</a>`;
    last = start + raw.length;
  }
  return out + escapeText(line.slice(last));
}

function quoteDepth(line: string): { depth: number; rest: string } {
  const m = /^((?:>[ \t]?)+)/.exec(line);
  if (!m) {
    return { depth: 0, rest: line };
  }
  return { depth: (m[1].match(/>/g) ?? []).length, rest: line.slice(m[1].length) };
}

/**
 * Whether a line introduces the quote under it ("On Mon, 1 Jan 2024, Dana wrote:", "Dana wrote:"):
 * it ends with "wrote:". A comparison at the end of the line, no pattern.
 */
function isAttribution(line: string): boolean {
  const trimmed = line.trimEnd();
  return trimmed.length <= 400 && trimmed.toLowerCase().endsWith('wrote:');
}

/**
 * Returns body HTML; the view styles .mx-text with white-space: pre-wrap. With `foldQuotes` (the
 * conversation view), each run of quoted lines, with the attribution line just above it, goes
 * into a native <details> fold (FOLD_OPEN); nested quotes stay inside the outer fold. One pass.
 */
export function renderPlainText(text: string, options: { foldQuotes?: boolean } = {}): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  let out = '';
  let depth = 0;
  let inSignature = false;
  let buffer: string[] = [];
  let lastRaw = '';
  const flush = () => {
    if (buffer.length) {
      out += `<div class="mx-text${inSignature ? ' mx-signature' : ''}">${buffer.join('\n')}</div>`;
      buffer = [];
    }
  };
  for (const line of lines) {
    const q = quoteDepth(line);
    if (q.depth === 0 && line === '-- ' && !inSignature) {
      flush();
      inSignature = true;
    }
    if (q.depth !== depth) {
      let attribution: string | undefined;
      if (options.foldQuotes && depth === 0 && buffer.length && isAttribution(lastRaw)) {
        attribution = buffer.pop();
      }
      flush();
      if (options.foldQuotes && depth === 0) {
        out += FOLD_OPEN;
        if (attribution !== undefined) {
          out += `<div class="mx-text mx-attribution">${attribution}</div>`;
        }
      }
      while (depth < q.depth) {
        out += '<blockquote class="mx-quote">';
        depth++;
      }
      while (depth > q.depth) {
        out += '</blockquote>';
        depth--;
      }
      if (options.foldQuotes && depth === 0) {
        out += FOLD_CLOSE;
      }
    }
    buffer.push(linkify(q.rest));
    lastRaw = line;
  }
  flush();
  if (depth > 0) {
    while (depth > 0) {
      out += '</blockquote>';
      depth--;
    }
    if (options.foldQuotes) {
      out += FOLD_CLOSE;
    }
  }
  return out;
}
