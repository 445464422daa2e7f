// HTML mail to safe HTML, by allow-list: the document is parsed, and a new one is written from
// scratch containing only known-harmless elements and attributes, with every text and attribute
// escaped. Nothing the browser could parse differently survives (no raw-text elements but our own
// sanitized <style>, no SVG/MathML, no comments), so the result cannot grow a script when the
// webview parses it again. Links keep their target in data-href only: the view opens them after
// the user confirmed, never by navigation.
//
// Sender input costs linear time (issue 15.2): the input is cut to MAX_HTML_CHARS before parsing,
// and the parser itself is held to MAX_PARSE_DEPTH open elements and MAX_ELEMENTS elements
// (htmlparser2 keeps its open elements in an array it unshifts and searches, so its cost per tag
// grows with the depth); past a budget, content is kept as text. Every walk below visits each
// node once.
//
// Remote resources (images, backgrounds, fonts, style sheets, srcset and <picture> candidates) are
// never referenced by URL in the output: they are counted, and shown from their data: form only
// once the host fetched them after the user's consent (see ResourceContext in css.ts).
import { Parser } from 'htmlparser2';
import { type ChildNode, DomHandler, type Element, isTag, isText } from 'domhandler';
import { type CssContext, checkResourceUrl, cssUrl, type LoadedResource, MAX_CSS_PER_DOCUMENT, type ResourceKind, sanitizeStyleAttribute, sanitizeStyleSheet } from './css';
import { deceptiveLink } from './links';
import { cleanUrl } from './url';

export interface SanitizeOptions {
  /** cid (normalised, lower-case, no brackets) to a data: URI. */
  inlineImages?: ReadonlyMap<string, string>;
  /** Remote resources the host fetched after the user allowed remote content, by URL. */
  remote?: ReadonlyMap<string, LoadedResource>;
  /** Input beyond this many characters is cut before parsing (default MAX_HTML_CHARS). */
  maxLength?: number;
  /**
   * Code links (issue 14): called with the text of every text node outside the mail's own links;
   * returns the ranges of that text (UTF-16 offsets, sorted, not overlapping) written as
   * `<a data-mx-code="index">`. The index is the host's; the view only reports it back.
   */
  codeLinks?: (text: string) => readonly CodeLinkSpan[];
  /**
   * Fold quoted text (the conversation view): the outermost <blockquote>, a Gmail or Yahoo quote
   * container (class gmail_quote, yahoo_quoted), a Thunderbird or Gmail attribution line
   * (moz-cite-prefix, gmail_attr) with the quote that follows it, and Outlook's reply header
   * (id divRplyFwdMsg) with everything after it, each go into a native
   * `<details class="mx-fold"><summary>Show quoted text</summary>`, which opens without script.
   * Quotes inside a fold are not folded again. Every node is still visited once.
   */
  foldQuotes?: boolean;
}

/** The summary of a folded quote (SanitizeOptions.foldQuotes). */
export const FOLD_SUMMARY = 'Show quoted text';
/** The opening of a folded quote; close it with FOLD_CLOSE. */
export const FOLD_OPEN = `<details class="mx-fold"><summary class="mx-fold-summary">${FOLD_SUMMARY}</summary>`;
export const FOLD_CLOSE = '</details>';
const QUOTE_CLASSES = new Set(['gmail_quote', 'yahoo_quoted']);
const ATTRIBUTION_CLASSES = new Set(['moz-cite-prefix', 'gmail_attr']);

function hasClass(node: Element, classes: ReadonlySet<string>): boolean {
  const value = node.attribs.class;
  return value !== undefined && value.split(/\s+/).some((c) => classes.has(c.toLowerCase()));
}

/** What a node starts when quotes are folded: a quote, an attribution line, or a reply header (see foldQuotes). */
function quoteStart(node: ChildNode): 'quote' | 'attribution' | 'rest' | undefined {
  if (!isTag(node)) {
    return undefined;
  }
  const name = node.name.toLowerCase();
  if (name === 'blockquote' || (name === 'div' && hasClass(node, QUOTE_CLASSES))) {
    return 'quote';
  }
  if (name === 'div' && node.attribs.id?.toLowerCase() === 'divrplyfwdmsg') {
    return 'rest';
  }
  return name === 'div' && hasClass(node, ATTRIBUTION_CLASSES) ? 'attribution' : undefined;
}

/** The index of the next node after `from` that is not white space, or -1. */
function nextContent(nodes: readonly ChildNode[], from: number): number {
  for (let i = from + 1; i < nodes.length; i++) {
    const node = nodes[i];
    if (!(isText(node) && node.data.trim() === '')) {
      return i;
    }
  }
  return -1;
}

/** A range of one text node linked to what the host resolved as link `index`. */
export interface CodeLinkSpan {
  start: number;
  end: number;
  index: number;
  /** What the link opens, shown on hover ("src/server.ts, line 42"). */
  title: string;
}

/**
 * `text` escaped, with the given spans (sorted, not overlapping; others are skipped) as code links.
 * The markup is ours only: the sanitizer never lets a mail's own data-* attributes through.
 */
export function linkedText(text: string, spans: readonly CodeLinkSpan[]): string {
  let out = '';
  let last = 0;
  for (const span of spans) {
    if (!Number.isInteger(span.index) || span.index < 0 || span.start < last || span.end <= span.start || span.end > text.length) {
      continue;
    }
    out += `${escapeText(text.slice(last, span.start))}<a data-mx-code="${span.index}" tabindex="0" role="link" title="${escapeAttribute(span.title)}">${escapeText(text.slice(span.start, span.end))}</a>`;
    last = span.end;
  }
  return out + escapeText(text.slice(last));
}

/** A remote reference of the mail: what "Load for this message" would fetch. */
export interface RemoteReference {
  url: string;
  kind: ResourceKind;
  /** Its fetched content is in the output. */
  loaded: boolean;
}

/** Which budget cut the message short, if any. */
export type RenderLimit = 'size' | 'elements' | 'depth' | 'css';

export interface SanitizedHtml {
  /** Body content, ready to be placed inside the mail's body wrapper. */
  body: string;
  /** Sanitized CSS from the mail's <style> blocks. */
  styles: string;
  /** Distinct remote references, in document order. */
  remote: RemoteReference[];
  /** Number of remote references left out (not loaded). */
  remoteBlocked: number;
  /** True when the mail sets its own colors or backgrounds (shown on a light "paper"). */
  styled: boolean;
  /** Attributes of the mail's <body> worth keeping (bgcolor, text color, style), as a style string. */
  bodyStyle: string;
  /** cids the HTML referred to, so unreferenced inline parts can be listed as attachments. */
  usedCids: Set<string>;
  /** Budgets that cut the message short. */
  limits: RenderLimit[];
  /** The output shows an image or some text. */
  showsSomething: boolean;
}

/** HTML characters parsed per message; the rest is not shown (a note says so). */
export const MAX_HTML_CHARS = 2_000_000;
/** Elements built per message; later tags are ignored and their text kept. */
export const MAX_ELEMENTS = 60_000;
/** Open elements at once; deeper tags are ignored and their text kept (Chromium stops at 512). */
export const MAX_PARSE_DEPTH = 200;

const ALLOWED_ELEMENTS = new Set([
  'a', 'abbr', 'acronym', 'address', 'article', 'aside', 'b', 'bdi', 'bdo', 'big', 'blockquote', 'br', 'caption',
  'center', 'cite', 'code', 'col', 'colgroup', 'dd', 'del', 'details', 'dfn', 'div', 'dl', 'dt', 'em', 'figcaption',
  'figure', 'font', 'footer', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hgroup', 'hr', 'i', 'img', 'ins', 'kbd',
  'li', 'main', 'mark', 'nav', 'ol', 'p', 'pre', 'q', 'rp', 'rt', 'ruby', 's', 'samp', 'section', 'small', 'span',
  'strike', 'strong', 'sub', 'summary', 'sup', 'table', 'tbody', 'td', 'tfoot', 'th', 'thead', 'time', 'tr', 'tt',
  'u', 'ul', 'var', 'wbr',
]);

/** Elements removed together with everything inside them. */
const DROPPED_WITH_CONTENT = new Set([
  'script', 'style', 'head', 'title', 'meta', 'link', 'base', 'iframe', 'frame', 'frameset', 'object', 'embed',
  'applet', 'param', 'noscript', 'noembed', 'noframes', 'template', 'svg', 'math', 'video', 'audio', 'source',
  'track', 'canvas', 'map', 'area', 'input', 'button', 'select', 'option', 'optgroup', 'textarea', 'isindex',
  'keygen', 'output', 'dialog', 'portal', 'xmp', 'plaintext', 'bgsound', 'slot', 'datalist', 'menu', 'menuitem',
  'command', 'image', 'xml', 'comment', 'listing', 'fencedframe', 'selectedcontent',
]);

const VOID_ELEMENTS = new Set(['br', 'hr', 'img', 'col', 'wbr']);

const GLOBAL_ATTRIBUTES = new Set(['title', 'lang', 'dir', 'align', 'valign', 'class', 'style', 'width', 'height', 'bgcolor', 'nowrap']);
const ELEMENT_ATTRIBUTES: Record<string, Set<string>> = {
  img: new Set(['alt', 'border', 'hspace', 'vspace']),
  table: new Set(['border', 'cellpadding', 'cellspacing', 'summary', 'frame', 'rules']),
  td: new Set(['colspan', 'rowspan', 'headers', 'scope', 'abbr', 'axis', 'char', 'charoff']),
  th: new Set(['colspan', 'rowspan', 'headers', 'scope', 'abbr', 'axis', 'char', 'charoff']),
  tr: new Set(['char', 'charoff']),
  col: new Set(['span']),
  colgroup: new Set(['span']),
  font: new Set(['color', 'face', 'size']),
  ol: new Set(['start', 'type', 'reversed']),
  ul: new Set(['type']),
  li: new Set(['value', 'type']),
  time: new Set(['datetime']),
  details: new Set(['open']),
  hr: new Set(['size', 'noshade', 'color']),
  a: new Set([]),
};
const BACKGROUND_ELEMENTS = new Set(['table', 'td', 'th', 'tr', 'tbody', 'thead', 'tfoot', 'div']);
const LINK_SCHEMES = /^(?:https?|mailto):/i;
/** Characters of a link's text kept to compare with its target. */
const MAX_LINK_TEXT = 2000;
/** Tag name the budget parser gives to tags it ignores (a void element: no stack entry). */
const IGNORED_TAG = 'mx-ignored';

export function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function escapeAttribute(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * The href a link of the sanitized document carries (data-href), or undefined when it is not an
 * http, https or mailto link. Browsers strip tabs/newlines and leading controls from URLs
 * ("java\tscript:"), so the check runs on what the browser would see. Whether and what it may
 * open is decided by checkLink() in links.ts when the user clicks.
 */
export function safeLinkTarget(href: string | undefined): string | undefined {
  if (!href) {
    return undefined;
  }
  const cleaned = cleanUrl(href);
  if (!LINK_SCHEMES.test(cleaned)) {
    return undefined;
  }
  try {
    const url = new URL(cleaned);
    if (url.protocol !== 'http:' && url.protocol !== 'https:' && url.protocol !== 'mailto:') {
      return undefined;
    }
    return url.href;
  } catch {
    return undefined;
  }
}

/**
 * htmlparser2's Parser with budgets: at MAX_PARSE_DEPTH open elements, or after MAX_ELEMENTS
 * elements, a start tag becomes a void IGNORED_TAG (never on the open-element stack), so the
 * parser's per-tag work stays bounded. Text goes on. Relies on Parser's emitOpenTag and stack,
 * which the complexity test (test/unit/renderComplexity.test.ts) keeps honest across upgrades.
 */
class BudgetParser extends Parser {
  elements = 0;
  readonly hit = new Set<RenderLimit>();

  protected override isVoidElement(name: string): boolean {
    return name === IGNORED_TAG || super.isVoidElement(name);
  }
}
const parserInternals = Parser.prototype as unknown as { emitOpenTag(this: BudgetParser, name: string): void };
const emitOpenTag = parserInternals.emitOpenTag;
(BudgetParser.prototype as unknown as { emitOpenTag(this: BudgetParser, name: string): void }).emitOpenTag = function (this: BudgetParser, name: string): void {
  const depth = (this as unknown as { stack: string[] }).stack.length;
  if (depth >= MAX_PARSE_DEPTH) {
    this.hit.add('depth');
    return emitOpenTag.call(this, IGNORED_TAG);
  }
  if (++this.elements > MAX_ELEMENTS) {
    this.hit.add('elements');
    return emitOpenTag.call(this, IGNORED_TAG);
  }
  return emitOpenTag.call(this, name);
};

function parseWithBudgets(source: string): { children: ChildNode[]; limits: Set<RenderLimit> } {
  const handler = new DomHandler(undefined, {});
  const parser = new BudgetParser(handler, { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true });
  parser.end(source);
  return { children: handler.root.children, limits: parser.hit };
}

/** One srcset candidate's URL (HTML, "parse a srcset attribute"): the 1x one, else the first. */
export function srcsetCandidate(srcset: string): string | undefined {
  let first: string | undefined;
  let i = 0;
  const n = Math.min(srcset.length, 64 * 1024);
  while (i < n) {
    while (i < n && (srcset[i] === ',' || /\s/.test(srcset[i]))) {
      i++;
    }
    const start = i;
    while (i < n && !/\s/.test(srcset[i])) {
      i++;
    }
    let url = srcset.slice(start, i);
    let descriptors = '';
    if (url.endsWith(',')) {
      let end = url.length;
      while (end > 0 && url[end - 1] === ',') {
        end--;
      }
      url = url.slice(0, end);
    } else {
      const from = i;
      while (i < n && srcset[i] !== ',') {
        i++;
      }
      descriptors = srcset.slice(from, i).trim();
    }
    if (!url) {
      continue;
    }
    first ??= url;
    if (descriptors === '' || descriptors === '1x') {
      return url;
    }
  }
  return first;
}

interface RenderScope {
  /** Text of the link being rendered (links do not nest). */
  link?: { text: string };
  /** srcset of the first <source> of the enclosing <picture>. */
  picture?: { srcset?: string };
  /** Inside a folded quote (SanitizeOptions.foldQuotes): quotes here are not folded again. */
  folded?: boolean;
}

/**
 * Sanitizes an HTML part (already decoded to a string). Linear in the input; see the budgets
 * above. Throws nothing for any input.
 */
export function sanitizeHtml(input: string, options: SanitizeOptions = {}): SanitizedHtml {
  const maxLength = options.maxLength ?? MAX_HTML_CHARS;
  const limits = new Set<RenderLimit>();
  if (input.length > maxLength) {
    limits.add('size');
  }
  const parsed = parseWithBudgets(input.length > maxLength ? input.slice(0, maxLength) : input);
  parsed.limits.forEach((l) => limits.add(l));
  let styled = false;
  let shows = false;
  const usedCids = new Set<string>();
  const remote = new Map<string, RemoteReference>();
  const css: CssContext = {
    inline: options.inlineImages ?? new Map<string, string>(),
    remote: options.remote ?? new Map<string, LoadedResource>(),
    onRemote: (url, kind, loaded) => {
      const known = remote.get(url);
      if (!known) {
        remote.set(url, { url, kind, loaded });
      } else if (loaded) {
        known.loaded = true;
      }
    },
    onCid: (cid) => void usedCids.add(cid),
    onPaint: () => void (styled = true),
    budget: { chars: MAX_CSS_PER_DOCUMENT },
  };
  const styles: string[] = [];
  let bodyStyle = '';

  const resource = (raw: string, kind: ResourceKind = 'image'): string | undefined => {
    const verdict = checkResourceUrl(raw, css, kind);
    return verdict.keep ? verdict.url : undefined;
  };

  const attributesOf = (el: Element, name: string): string => {
    const out: string[] = [];
    const allowed = ELEMENT_ATTRIBUTES[name];
    const styleParts: string[] = [];
    for (const [rawKey, value] of Object.entries(el.attribs)) {
      const key = rawKey.toLowerCase();
      if (key === 'style') {
        const clean = sanitizeStyleAttribute(value, css);
        if (clean) {
          styleParts.push(clean);
        }
        continue;
      }
      if (key === 'background' && BACKGROUND_ELEMENTS.has(name)) {
        const url = resource(value);
        if (url) {
          styleParts.push(`background-image: ${cssUrl(url)}`);
        }
        continue;
      }
      if (!GLOBAL_ATTRIBUTES.has(key) && !allowed?.has(key)) {
        continue;
      }
      if (key === 'dir' && !/^(?:ltr|rtl|auto)$/i.test(value)) {
        continue;
      }
      if ((key === 'width' || key === 'height') && !/^\s*\d+(?:\.\d+)?\s*(?:(?:%|px)\s*)?$/.test(value)) {
        continue;
      }
      if (key === 'bgcolor' || (key === 'color' && name !== 'hr')) {
        styled = true;
      }
      if (key === 'class') {
        // keep mail classes apart from the view's own (which all start with "mx-")
        const classes = value.split(/\s+/).filter((c) => /^[_a-z][\w-]{0,63}$/i.test(c) && !c.startsWith('mx-'));
        if (classes.length) {
          out.push(`class="${escapeAttribute(classes.join(' '))}"`);
        }
        continue;
      }
      out.push(value === '' ? key : `${key}="${escapeAttribute(value)}"`);
    }
    if (styleParts.length) {
      out.push(`style="${escapeAttribute(styleParts.join('; '))}"`);
    }
    return out.length ? ` ${out.join(' ')}` : '';
  };

  const bodyStyleOf = (el: Element): string => {
    const parts: string[] = [];
    const { bgcolor, text, background, style } = el.attribs;
    if (bgcolor && /^#?\w+$/.test(bgcolor)) {
      parts.push(`background-color: ${bgcolor}`);
      styled = true;
    }
    if (text && /^#?\w+$/.test(text)) {
      parts.push(`color: ${text}`);
      styled = true;
    }
    const url = background ? resource(background) : undefined;
    if (url) {
      parts.push(`background-image: ${cssUrl(url)}`);
    }
    const inline = style ? sanitizeStyleAttribute(style, css) : '';
    if (inline) {
      parts.push(inline);
    }
    return parts.join('; ');
  };

  const collectStyle = (el: Element) => {
    // a <style> holds one text node (raw text); anything else in it is not CSS
    const text = el.children.filter(isText).map((t) => t.data).join('');
    const clean = sanitizeStyleSheet(text, css);
    if (clean.trim()) {
      styles.push(clean);
    }
  };

  const image = (node: Element, scope: RenderScope): string => {
    const attrs = attributesOf(node, 'img');
    const srcset = node.attribs.srcset ?? scope.picture?.srcset;
    const raw = node.attribs.src?.trim() ? node.attribs.src : srcset ? srcsetCandidate(srcset) : undefined;
    const src = raw ? resource(raw) : undefined;
    shows = true;
    return src ? `<img src="${escapeAttribute(src)}"${attrs}>` : `<img${attrs} data-mx-blocked="">`;
  };

  const render = (nodes: ChildNode[], depth: number, scope: RenderScope): string => {
    let out = '';
    for (let index = 0; index < nodes.length; index++) {
      const node = nodes[index];
      const fold = options.foldQuotes && !scope.folded && !scope.link ? quoteStart(node) : undefined;
      if (fold) {
        // the quote (with the attribution before it, or everything after Outlook's header) in one fold
        let end = index + 1;
        if (fold === 'rest') {
          end = nodes.length;
        } else if (fold === 'attribution') {
          const next = nextContent(nodes, index);
          if (next < 0 || quoteStart(nodes[next]) !== 'quote') {
            end = -1;
          } else {
            end = next + 1;
          }
        }
        if (end > index) {
          out += FOLD_OPEN + render(nodes.slice(index, end), depth + 1, { ...scope, folded: true }) + FOLD_CLOSE;
          index = end - 1;
          continue;
        }
      }
      if (isText(node)) {
        if (!shows && node.data.trim() !== '') {
          shows = true;
        }
        if (scope.link && scope.link.text.length < MAX_LINK_TEXT) {
          scope.link.text += node.data.slice(0, MAX_LINK_TEXT - scope.link.text.length);
        }
        const spans = !scope.link && options.codeLinks ? options.codeLinks(node.data) : [];
        out += spans.length ? linkedText(node.data, spans) : escapeText(node.data);
        continue;
      }
      if (!isTag(node)) {
        continue; // comments, CDATA, processing instructions, doctype
      }
      const name = node.name.toLowerCase();
      if (name === 'style') {
        collectStyle(node);
        continue;
      }
      if (name === 'head') {
        // keep only the style sheets from the head
        for (const child of node.children) {
          if (isTag(child) && child.name.toLowerCase() === 'style') {
            collectStyle(child);
          }
        }
        continue;
      }
      if (name === 'source' && scope.picture && scope.picture.srcset === undefined && node.attribs.srcset) {
        scope.picture.srcset = node.attribs.srcset;
        continue;
      }
      if (DROPPED_WITH_CONTENT.has(name) || name.includes(':') || name === IGNORED_TAG) {
        continue;
      }
      if (name === 'body') {
        bodyStyle = bodyStyleOf(node);
        out += render(node.children, depth + 1, scope);
        continue;
      }
      if (name === 'picture') {
        out += render(node.children, depth + 1, { ...scope, picture: {} });
        continue;
      }
      if (!ALLOWED_ELEMENTS.has(name)) {
        // html, form, label, fieldset, marquee, custom elements...: keep what is inside
        out += render(node.children, depth + 1, scope);
        continue;
      }
      if (name === 'img') {
        out += image(node, scope);
        continue;
      }
      if (name === 'a') {
        const target = scope.link ? undefined : safeLinkTarget(node.attribs.href);
        const attrs = attributesOf(node, 'a').replace(/ title="[^"]*"/, '');
        if (!target) {
          // not a link we open; a link inside a link is not one either (HTML does not nest them)
          out += `<span${attrs}>${render(node.children, depth + 1, scope)}</span>`;
          continue;
        }
        const link = { text: '' };
        const inner = render(node.children, depth + 1, { ...scope, link });
        const deceptive = deceptiveLink(link.text, target) ? ' data-mx-deceptive=""' : '';
        out += `<a data-href="${escapeAttribute(target)}" title="${escapeAttribute(target)}" tabindex="0" role="link"${deceptive}${attrs}>${inner}</a>`;
        continue;
      }
      const attrs = attributesOf(node, name);
      if (VOID_ELEMENTS.has(name)) {
        out += `<${name}${attrs}>`;
        continue;
      }
      out += `<${name}${attrs}>${render(node.children, depth + 1, scope)}</${name}>`;
    }
    return out;
  };

  const body = render(parsed.children, 0, {});
  if (css.budget.chars <= 0) {
    limits.add('css');
  }
  const references = [...remote.values()];
  return {
    body,
    styles: styles.join('\n'),
    remote: references,
    remoteBlocked: references.filter((r) => !r.loaded).length,
    styled,
    bodyStyle,
    usedCids,
    limits: [...limits],
    showsSomething: shows,
  };
}
