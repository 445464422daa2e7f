// What the workspace feature adds to the message view's body document: a patch shown as its
// commit message and a coloured diff (rendered by diff2html, which escapes every line and name),
// and stack frames / file:line references of a plain-text body turned into code links. A code link
// carries only an index (data-mx-code) into the references the host extracted and resolved; the
// webview reports the click with that index and the host opens what it resolved itself.
import { html as diffHtml } from 'diff2html';
import { renderPlainText } from '../render/plainText';
import { type CodeLinkSpan, escapeAttribute } from '../render/sanitize';
import { messageDocument } from '../render/messageDocument';
import { type PatchBody, splitPatchBody } from './patchMail';

/** Private-use characters marking link ranges inside the text while it is rendered. */
const OPEN = '\uE000';
const MID = '\uE001';
const CLOSE = '\uE002';
const MARKS = /[\uE000-\uE002]/g;
const MAX_DIFF_CHARS = 2 * 1024 * 1024;

export interface CodeLinkRange {
  start: number;
  end: number;
  /** What the link opens, as the host says it ("src/server.ts, line 42"). */
  title: string;
}

const LINK_STYLE = '<style>a[data-mx-code]{color:var(--mx-link,#3794ff);text-decoration:underline dotted;cursor:pointer}a[data-mx-code]:focus-visible{outline:1px solid var(--mx-focus,#007fd4)}</style>';

/**
 * Plain text rendered like the message view renders it (quotes, signature, URL links), with the
 * given ranges (offsets into `text`, sorted, not overlapping) as code links numbered in order.
 */
export function plainTextWithCodeLinks(text: string, ranges: CodeLinkRange[]): string {
  // the sender cannot write the markers: any in the text are dropped first, ranges shift with them
  let clean = '';
  const map: number[] = [];
  for (let i = 0; i < text.length; i++) {
    map.push(clean.length);
    const c = text.charCodeAt(i);
    if (c < 0xe000 || c > 0xe002) {
      clean += text[i];
    }
  }
  map.push(clean.length);
  let marked = '';
  let last = 0;
  ranges.forEach((r, i) => {
    const start = map[r.start];
    const end = map[r.end];
    if (start < last || end <= start) {
      return;
    }
    marked += `${clean.slice(last, start)}${OPEN}${i}${MID}${clean.slice(start, end)}${CLOSE}`;
    last = end;
  });
  marked += clean.slice(last);
  const rendered = renderPlainText(marked);
  // a link range never spans lines (references are found per line), so markers stay in one element
  const linked = rendered.replace(/\uE000(\d{1,5})\uE001([^\uE000-\uE002]*)\uE002/g, (_m, index: string, inner: string) => {
    const title = ranges[Number(index)]?.title ?? '';
    return `<a data-mx-code="${index}" tabindex="0" role="link" title="${escapeAttribute(title)}">${inner}</a>`;
  });
  return `${LINK_STYLE}${linked.replace(MARKS, '')}`;
}

const PATCH_STYLE = `<style>
.mx-patch-message { margin-bottom: 12px; }
.mx-patch-notes { opacity: .75; margin-bottom: 12px; }
.d2h-file-wrapper { border: 1px solid var(--mx-quote-border, rgba(128,128,128,.4)); border-radius: 4px; margin-bottom: 12px; overflow: hidden; }
.d2h-file-header { display: flex; align-items: center; padding: 4px 8px; font-family: var(--mx-mono, monospace); font-weight: 600; border-bottom: 1px solid var(--mx-quote-border, rgba(128,128,128,.4)); background: rgba(128,128,128,.08); }
.d2h-file-name-wrapper { display: flex; align-items: center; gap: 6px; flex: 1; }
.d2h-icon { fill: currentColor; opacity: .7; vertical-align: middle; }
.d2h-tag { font-size: 10px; font-weight: 400; padding: 0 4px; border: 1px solid currentColor; border-radius: 3px; opacity: .8; }
.d2h-file-diff { overflow-x: auto; }
.d2h-diff-table { border-collapse: collapse; width: 100%; font-family: var(--mx-mono, monospace); font-size: var(--mx-mono-size, 12px); }
.d2h-code-linenumber { width: 1%; min-width: 5.5em; padding: 0 6px; text-align: right; opacity: .6; white-space: nowrap; user-select: none; }
.d2h-code-linenumber .line-num1, .d2h-code-linenumber .line-num2 { display: inline-block; width: 2.6em; }
.d2h-diff-tbody td { vertical-align: top; padding-top: 0; padding-bottom: 0; }
.d2h-code-line { white-space: normal; padding: 0 8px; }
.d2h-code-line-ctn { white-space: pre-wrap; }
.d2h-code-linenumber, .d2h-code-linenumber div { line-height: 1.5; }
.d2h-code-line-prefix { display: inline-block; width: 1.2em; user-select: none; opacity: .7; }
.d2h-ins { background: rgba(46,160,67,.18); }
.d2h-del { background: rgba(248,81,73,.18); }
.d2h-ins ins { background: rgba(46,160,67,.35); text-decoration: none; }
.d2h-del del { background: rgba(248,81,73,.35); text-decoration: none; }
.d2h-info { background: rgba(56,139,253,.12); opacity: .85; }
.d2h-file-collapse { display: none; }
</style>`;

/**
 * The body of a patch mail (a `diff --git` in its text): the commit message, the notes (diffstat,
 * "changes in v2") and the diff as coloured hunks. Undefined when the text holds no diff.
 */
export function patchBodyHtml(text: string, body: PatchBody | undefined = splitPatchBody(text)): string | undefined {
  if (!body || body.diff.length > MAX_DIFF_CHARS) {
    return undefined;
  }
  const diff = diffHtml(body.diff, { drawFileList: false, outputFormat: 'line-by-line', matching: 'lines', diffStyle: 'word' });
  const message = body.message ? `<div class="mx-patch-message">${renderPlainText(body.message)}</div>` : '';
  const notes = body.notes ? `<div class="mx-patch-notes">${renderPlainText(body.notes)}</div>` : '';
  return `${PATCH_STYLE}${message}${notes}<div class="mx-patch-diff">${diff}</div>`;
}

/** The complete body document for a patch mail, or undefined when `text` is not one. */
export function patchDocument(text: string): string | undefined {
  const html = patchBodyHtml(text);
  return html === undefined ? undefined : messageDocument({ kind: 'text', html });
}

/** The complete body document of a plain-text message with code links. */
export function codeLinkedDocument(text: string, ranges: CodeLinkRange[]): string {
  return messageDocument({ kind: 'text', html: plainTextWithCodeLinks(text, ranges) });
}

/**
 * The body document for a patch that came as an attachment (`git format-patch --attach`, or a
 * *.patch file attached to a bug report): the commit message from the mail's text (up to "---"),
 * the notes after it, and the attachment's diff as coloured hunks. When the attachment is a whole
 * format-patch mail, its own message is used and its header block is left out. Undefined when the
 * attachment holds no `diff --git`.
 */
export function attachedPatchDocument(text: string | undefined, attachment: string): string | undefined {
  let patch = attachment.replace(/\r\n?/g, '\n');
  // "From <sha> Mon Sep 17 00:00:00 2001" / "From: ..." then headers up to the first empty line
  if (/^From [0-9a-f]{40} /.test(patch) || /^From: /.test(patch)) {
    const end = patch.indexOf('\n\n');
    patch = end >= 0 ? patch.slice(end + 2) : '';
  }
  const inAttachment = splitPatchBody(patch);
  if (!inAttachment) {
    return undefined;
  }
  const lines = (text ?? '').replace(/\r\n?/g, '\n').split('\n');
  const separator = lines.findIndex((l) => l === '---');
  const message = inAttachment.message || (separator >= 0 ? lines.slice(0, separator) : lines).join('\n').trim();
  const notes = inAttachment.notes || (separator >= 0 ? lines.slice(separator + 1).join('\n').trim() : '');
  const html = patchBodyHtml('', { message, notes, diff: inAttachment.diff });
  return html === undefined ? undefined : messageDocument({ kind: 'text', html });
}

/** The text of an HTML body that may carry code links, and where each text node starts in it. */
export interface HtmlBodyText {
  /** The text nodes outside the mail's own links, each followed by a newline. */
  text: string;
  nodes: Array<{ text: string; start: number }>;
}

/**
 * The text nodes of an HTML body as the sanitizer wrote them (BodyRendering.texts: nothing from
 * <style>, <script>, comments, or inside the mail's own links), joined by newlines so that stack
 * frames and commits are found in them like in a plain-text body.
 */
export function htmlBodyText(texts: readonly string[]): HtmlBodyText {
  const nodes: HtmlBodyText['nodes'] = [];
  let text = '';
  for (const data of texts) {
    nodes.push({ text: data, start: text.length });
    text += `${data}\n`;
  }
  return { text, nodes };
}

/**
 * The code links of an HTML body for the renderer (BodyInput.codeLinks.links): `ranges` (offsets
 * into htmlBodyText().text, sorted) become links numbered by their position in `ranges`, keyed by
 * the content of their text node. A range that spans two text nodes (a path split by markup)
 * stays plain text; two nodes with the same text get the same links.
 */
export function htmlCodeLinks(body: HtmlBodyText, ranges: CodeLinkRange[]): Array<[string, CodeLinkSpan[]]> {
  const byText = new Map<string, { node: number; spans: CodeLinkSpan[] }>();
  let n = 0;
  ranges.forEach((range, index) => {
    while (n + 1 < body.nodes.length && body.nodes[n + 1].start <= range.start) {
      n++;
    }
    const node = body.nodes[n];
    if (!node || range.start < node.start || range.end > node.start + node.text.length) {
      return;
    }
    const entry = byText.get(node.text) ?? { node: n, spans: [] };
    if (entry.node !== n) {
      return;
    }
    entry.spans.push({ start: range.start - node.start, end: range.end - node.start, index, title: range.title });
    byText.set(node.text, entry);
  });
  return [...byText].map(([text, entry]) => [text, entry.spans]);
}
