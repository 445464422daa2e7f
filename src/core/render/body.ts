// The message body as the view shows it: decoded parts in, the sandboxed frame's document out.
// renderBody() is what the render worker runs (renderWorker.ts); fallbackBody() is what the host
// shows when the worker ran out of time: the decoded text, plain, built by a few linear scans.
import { type LoadedResource } from './css';
import { messageDocument } from './messageDocument';
import { renderPlainText } from './plainText';
import { type CodeLinkSpan, escapeText, MAX_HTML_CHARS, type RemoteReference, type RenderLimit, sanitizeHtml } from './sanitize';

/**
 * What the render worker gets for one message (structured-cloned into the worker).
 * - `html` / `text`: the decoded HTML and plain-text parts (strings, charset already applied);
 *   either may be absent. HTML is shown when it shows something, else the text.
 * - `inline`: cid (normalised: no angle brackets, lower-case) to a `data:image/...;base64,` URI.
 * - `remote`: remote resources the host fetched after the user's consent, by URL (WHATWG href);
 *   empty while remote content is blocked.
 */
export interface BodyInput {
  html?: string;
  text?: string;
  inline: Map<string, string>;
  remote: Map<string, LoadedResource>;
  /**
   * Code links of an HTML body (issue 14, the workspace feature): `collectTexts` asks for the text
   * nodes outside the mail's own links (BodyRendering.texts), where the host finds stack frames
   * and commits; `links` gives, per text node content, the ranges to write as code links.
   */
  codeLinks?: { collectTexts?: boolean; links?: Array<[string, CodeLinkSpan[]]> };
  /**
   * Characters of HTML or text rendered (default MAX_HTML_CHARS / MAX_TEXT_CHARS, 2 million). Raised
   * only for "Show the whole message", to what the loader already bounded (MAX_WHOLE_BYTES); the
   * work stays linear and under the worker's time budget.
   */
  maxChars?: number;
  /** Fold quoted text behind "Show quoted text" (the conversation view; SanitizeOptions.foldQuotes). */
  foldQuotes?: boolean;
}

/**
 * What the render worker returns.
 * - `document`: the complete srcdoc of the sandboxed body frame (no remote URL in it, ever).
 * - `paper`: the HTML paints its own colors (shown on a light paper whatever the theme).
 * - `remote`: distinct remote references with their kind and whether their content was used.
 * - `usedCids`: cids the HTML referred to (other inline parts are listed as attachments).
 * - `limits`: budgets that cut the message short (size, elements, depth, css).
 * - `fallback`: set when the host showed the plain fallback instead ('timeout': over the time
 *   budget, the worker was terminated; 'error': the worker failed).
 */
export interface BodyRendering {
  kind: 'html' | 'text' | 'empty';
  document: string;
  paper: boolean;
  remote: RemoteReference[];
  usedCids: string[];
  limits: RenderLimit[];
  fallback?: 'timeout' | 'error';
  /** The HTML body's text nodes outside its links, when BodyInput.codeLinks.collectTexts asked. */
  texts?: string[];
}

/** The sanitizer's codeLinks option for `input`, and the texts it collects. */
function codeLinkOption(input: BodyInput): { option?: (text: string) => CodeLinkSpan[]; texts?: string[] } {
  if (!input.codeLinks) {
    return {};
  }
  const links = new Map(input.codeLinks.links ?? []);
  const texts: string[] | undefined = input.codeLinks.collectTexts ? [] : undefined;
  return {
    option: (text) => {
      if (texts && text.trim() !== '') {
        texts.push(text);
      }
      return links.get(text) ?? [];
    },
    ...(texts ? { texts } : {}),
  };
}

/** Plain-text characters shown per message. */
export const MAX_TEXT_CHARS = 2_000_000;

function cut(text: string, limits: RenderLimit[], max = MAX_TEXT_CHARS): string {
  if (text.length <= max) {
    return text;
  }
  limits.push('size');
  return text.slice(0, max);
}

/** Renders a body (pure; linear in its input). Runs in the render worker. */
export function renderBody(input: BodyInput): BodyRendering {
  const hasText = input.text !== undefined && input.text.trim() !== '';
  if (input.html !== undefined && input.html.trim() !== '') {
    const codeLinks = codeLinkOption(input);
    const sanitized = sanitizeHtml(input.html, { inlineImages: input.inline, remote: input.remote, ...(input.maxChars ? { maxLength: Math.max(input.maxChars, MAX_HTML_CHARS) } : {}), ...(codeLinks.option ? { codeLinks: codeLinks.option } : {}), ...(input.foldQuotes ? { foldQuotes: true } : {}) });
    if (sanitized.showsSomething || !hasText) {
      return {
        kind: 'html',
        document: messageDocument({ kind: 'html', sanitized }),
        paper: sanitized.styled,
        remote: sanitized.remote,
        usedCids: [...sanitized.usedCids],
        limits: sanitized.limits,
        ...(codeLinks.texts ? { texts: codeLinks.texts } : {}),
      };
    }
  }
  if (hasText) {
    const limits: RenderLimit[] = [];
    return { kind: 'text', document: messageDocument({ kind: 'text', html: renderPlainText(cut(input.text!, limits, Math.max(input.maxChars ?? 0, MAX_TEXT_CHARS)), { foldQuotes: input.foldQuotes === true }) }), paper: false, remote: [], usedCids: [], limits };
  }
  return { kind: 'empty', document: messageDocument({ kind: 'empty' }), paper: false, remote: [], usedCids: [], limits: [] };
}

/** HTML without its tags (a linear scan: from each "<" to the next ">"), for the plain fallback. */
function withoutTags(html: string): string {
  let out = '';
  let i = 0;
  while (i < html.length) {
    const open = html.indexOf('<', i);
    if (open < 0) {
      out += html.slice(i);
      break;
    }
    out += html.slice(i, open);
    const close = html.indexOf('>', open + 1);
    if (close < 0) {
      break;
    }
    i = close + 1;
  }
  return out;
}

/**
 * The body shown when rendering ran out of time or failed: the decoded plain text (or the HTML's
 * text without its tags), escaped, with no links and nothing loaded. A few linear scans, cheap
 * enough for the extension host itself.
 */
export function fallbackBody(input: BodyInput, reason: 'timeout' | 'error'): BodyRendering {
  const limits: RenderLimit[] = [];
  const text = input.text?.trim() ? input.text : input.html ? withoutTags(input.html) : '';
  const html = text ? `<div class="mx-text">${escapeText(cut(text, limits))}</div>` : '';
  return {
    kind: html ? 'text' : 'empty',
    document: html ? messageDocument({ kind: 'text', html }) : messageDocument({ kind: 'empty' }),
    paper: false,
    remote: [],
    usedCids: [],
    limits,
    fallback: reason,
  };
}
