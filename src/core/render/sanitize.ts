// HTML mail to safe HTML, by allow-list: the document is parsed, and a new one is written from
// scratch containing only known-harmless elements and attributes, with every text and attribute
// escaped. Nothing the browser could parse differently survives (no raw-text elements but our own
// sanitized <style>, no SVG/MathML, no comments), so the result cannot grow a script when the
// webview parses it again. Links keep their target in data-href only: the view opens them after
// the user confirmed, never by navigation.
import { parseDocument } from 'htmlparser2';
import { type ChildNode, type Element, isTag, isText } from 'domhandler';
import { type CssContext, checkResourceUrl, cssUrl, sanitizeStyleAttribute, sanitizeStyleSheet } from './css';

export interface SanitizeOptions {
  allowRemote: boolean;
  /** cid (normalised, lower-case, no brackets) to a data: URI. */
  inlineImages?: Map<string, string>;
  /** Input beyond this many characters is cut (a multi-megabyte HTML part is not a letter). */
  maxLength?: number;
  /**
   * Code links (issue 14): called with the text of every text node outside the mail's own links;
   * returns the ranges of that text (UTF-16 offsets, sorted, not overlapping) written as
   * `<a data-mx-code="index">`. The index is the host's; the view only reports it back.
   */
  codeLinks?: (text: string) => readonly CodeLinkSpan[];
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

export interface SanitizedHtml {
  /** Body content, ready to be placed inside <body>. */
  body: string;
  /** Sanitized CSS from the mail's <style> blocks. */
  styles: string;
  /** Number of remote references (images, backgrounds, style sheets, fonts) left out. */
  remoteBlocked: number;
  /** True when the mail sets its own colors or backgrounds (shown on a light "paper"). */
  styled: boolean;
  /** Attributes of the mail's <body> worth keeping (bgcolor, text color), as a style string. */
  bodyStyle: string;
  /** cids the HTML referred to, so unreferenced inline parts can be listed as attachments. */
  usedCids: Set<string>;
}

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

const MAX_DEPTH = 120;
const LINK_SCHEMES = /^(https?:|mailto:)/i;

export function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function escapeAttribute(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * The target a link may open, or undefined. Browsers strip tabs/newlines and leading controls
 * from URLs ("java\tscript:"), so the check runs on what the browser would see.
 */
export function safeLinkTarget(href: string | undefined): string | undefined {
  if (!href) {
    return undefined;
  }
  const cleaned = href.replace(/[\t\n\r]/g, '').replace(/^[\u0000-\u0020]+/, '').trim();
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

/** Text content, iteratively: hostile mail nests thousands of elements deep. */
function textOf(root: ChildNode): string {
  let out = '';
  const stack: ChildNode[] = [root];
  while (stack.length) {
    const node = stack.pop()!;
    if (isText(node)) {
      out += node.data;
    } else if (isTag(node)) {
      for (let i = node.children.length - 1; i >= 0; i--) {
        stack.push(node.children[i]);
      }
    }
  }
  return out;
}

function hostOfVisible(text: string): string | undefined {
  const t = text.trim();
  const m = /^(?:[a-z][a-z0-9+.-]*:\/\/)?((?:[a-z0-9-]+\.)+[a-z]{2,}|\d{1,3}(?:\.\d{1,3}){3})(?::\d+)?(?:[/?#]\S*)?$/i.exec(t);
  if (!m || !/[./]/.test(t) || /\s/.test(t)) {
    return undefined;
  }
  return m[1].toLowerCase();
}

/** True when a link's visible text names another host than the one it goes to. */
export function isDeceptiveLink(visibleText: string, target: string): boolean {
  const shown = hostOfVisible(visibleText);
  if (!shown) {
    return false;
  }
  try {
    const actual = new URL(target);
    if (actual.protocol === 'mailto:') {
      return !visibleText.toLowerCase().includes(actual.pathname.toLowerCase());
    }
    const host = actual.hostname.toLowerCase().replace(/^www\./, '');
    return host !== shown.replace(/^www\./, '') && !host.endsWith(`.${shown.replace(/^www\./, '')}`);
  } catch {
    return true;
  }
}

export function sanitizeHtml(input: string, options: SanitizeOptions): SanitizedHtml {
  const source = input.length > (options.maxLength ?? 4_000_000) ? input.slice(0, options.maxLength ?? 4_000_000) : input;
  const document = parseDocument(source, { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true });
  let remoteBlocked = 0;
  let styled = false;
  const usedCids = new Set<string>();
  const inlineImages = options.inlineImages ?? new Map<string, string>();
  const css: CssContext = {
    allowRemote: options.allowRemote,
    inlineImages,
    onRemoteBlocked: () => void remoteBlocked++,
    onPaint: () => void (styled = true),
  };
  const styles: string[] = [];
  let bodyStyle = '';

  const resource = (raw: string): string | undefined => {
    const trimmed = raw.trim();
    if (/^cid:/i.test(trimmed)) {
      usedCids.add(trimmed.slice(4).replace(/^<|>$/g, '').toLowerCase());
    }
    const verdict = checkResourceUrl(trimmed, css);
    if (verdict.keep) {
      return verdict.url;
    }
    if (verdict.remote) {
      remoteBlocked++;
    }
    return undefined;
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
      if (key === 'dir' && !/^(ltr|rtl|auto)$/i.test(value)) {
        continue;
      }
      if ((key === 'width' || key === 'height') && !/^\s*\d+(\.\d+)?\s*(%|px)?\s*$/.test(value)) {
        continue;
      }
      if (key === 'bgcolor' || (key === 'color' && name !== 'hr')) {
        styled = true;
      }
      if (key === 'class') {
        // keep mail classes apart from the view's own (which all start with "mx-")
        const classes = value.split(/\s+/).filter((c) => /^[A-Za-z_][\w-]{0,63}$/.test(c) && !c.startsWith('mx-'));
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
    const text = el.children.map(textOf).join('');
    const clean = sanitizeStyleSheet(text, css);
    if (clean.trim()) {
      styles.push(clean);
    }
  };

  const render = (nodes: ChildNode[], depth: number, inLink = false): string => {
    let out = '';
    for (const node of nodes) {
      if (isText(node)) {
        const spans = !inLink && options.codeLinks ? options.codeLinks(node.data) : [];
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
      if (DROPPED_WITH_CONTENT.has(name) || name.includes(':')) {
        continue;
      }
      if (depth > MAX_DEPTH) {
        out += escapeText(textOf(node));
        continue;
      }
      if (name === 'body') {
        bodyStyle = bodyStyleOf(node);
        out += render(node.children, depth + 1, inLink);
        continue;
      }
      if (!ALLOWED_ELEMENTS.has(name)) {
        // html, form, label, fieldset, marquee, picture, custom elements...: keep what is inside
        out += render(node.children, depth + 1, inLink);
        continue;
      }
      if (name === 'img') {
        const src = node.attribs.src ? resource(node.attribs.src) : undefined;
        const attrs = attributesOf(node, 'img');
        out += src ? `<img src="${escapeAttribute(src)}"${attrs}>` : `<img${attrs} data-mx-blocked="">`;
        continue;
      }
      if (name === 'a') {
        const target = safeLinkTarget(node.attribs.href);
        const attrs = attributesOf(node, 'a').replace(/ title="[^"]*"/, '');
        const inner = render(node.children, depth + 1, true);
        if (!target) {
          out += `<span${attrs}>${inner}</span>`;
          continue;
        }
        const deceptive = isDeceptiveLink(textOf(node), target) ? ' data-mx-deceptive=""' : '';
        out += `<a data-href="${escapeAttribute(target)}" title="${escapeAttribute(target)}" tabindex="0" role="link"${deceptive}${attrs}>${inner}</a>`;
        continue;
      }
      const attrs = attributesOf(node, name);
      if (VOID_ELEMENTS.has(name)) {
        out += `<${name}${attrs}>`;
        continue;
      }
      out += `<${name}${attrs}>${render(node.children, depth + 1, inLink)}</${name}>`;
    }
    return out;
  };

  const body = render(document.children, 0);
  return { body, styles: styles.join('\n'), remoteBlocked, styled, bodyStyle, usedCids };
}
