// CSS from mail, reduced to what cannot reach the network or run code: every url() is checked
// (cid: and image data: stay, remote ones only when the user allowed remote content), every
// function is allow-listed, escapes are refused (they hide "url(" from naive filters), and
// @import / @font-face / other at-rules go unless they are provably harmless.
import postcss, { type AtRule, type ChildNode, type Container, type Declaration } from 'postcss';

export interface CssContext {
  allowRemote: boolean;
  /** cid (normalised) to a data: URI of the inline image. */
  inlineImages: Map<string, string>;
  /** Counts each remote reference left out. */
  onRemoteBlocked(url: string): void;
  /** Called when a declaration sets colors or backgrounds (the mail paints itself). */
  onPaint(): void;
}

const ALLOWED_FUNCTIONS = new Set([
  'rgb', 'rgba', 'hsl', 'hsla', 'hwb', 'lab', 'lch', 'oklab', 'oklch', 'color-mix',
  'calc', 'min', 'max', 'clamp', 'var', 'env',
  'linear-gradient', 'radial-gradient', 'conic-gradient', 'repeating-linear-gradient', 'repeating-radial-gradient', 'repeating-conic-gradient',
  'translate', 'translatex', 'translatey', 'translatez', 'translate3d', 'rotate', 'rotatex', 'rotatey', 'rotatez', 'rotate3d',
  'scale', 'scalex', 'scaley', 'scalez', 'scale3d', 'skew', 'skewx', 'skewy', 'matrix', 'matrix3d', 'perspective',
  'cubic-bezier', 'steps', 'counter', 'counters', 'local', 'format', 'minmax', 'repeat', 'fit-content',
]);

const FORBIDDEN_PROPERTIES = /^(behavior|-ms-behavior|-moz-binding|-webkit-binding|src)$/;
const PAINT_PROPERTIES = /^(color|background|background-color|background-image)$/;
const SAFE_DATA_IMAGE = /^data:image\/(png|gif|jpe?g|webp|bmp);base64,[a-z0-9+/=\s]+$/i;

export type UrlVerdict = { keep: true; url: string } | { keep: false; remote: boolean };

/** The one place that decides what a URL inside mail may load (images, backgrounds, CSS). */
export function checkResourceUrl(raw: string, context: Pick<CssContext, 'allowRemote' | 'inlineImages'>): UrlVerdict {
  // Browsers ignore tabs and newlines inside URLs ("ht\ttp:"), and leading spaces/controls.
  const url = raw.replace(/[\u0000-\u0020\u007f]+/g, (m, offset: number) => (offset === 0 ? '' : m.replace(/[\t\n\r]/g, ''))).trim();
  const lower = url.toLowerCase();
  if (lower.startsWith('cid:')) {
    const cid = decodeURIComponentSafe(url.slice(4)).trim().replace(/^<|>$/g, '').toLowerCase();
    const data = context.inlineImages.get(cid);
    return data ? { keep: true, url: data } : { keep: false, remote: false };
  }
  if (lower.startsWith('data:')) {
    return SAFE_DATA_IMAGE.test(url) ? { keep: true, url } : { keep: false, remote: false };
  }
  if (/^https?:\/\//.test(lower) || lower.startsWith('//')) {
    const absolute = lower.startsWith('//') ? `https:${url}` : url;
    try {
      const parsed = new URL(absolute);
      if (parsed.username || parsed.password) {
        return { keep: false, remote: true };
      }
      return context.allowRemote ? { keep: true, url: parsed.href } : { keep: false, remote: true };
    } catch {
      return { keep: false, remote: false };
    }
  }
  // relative URLs (no base to resolve against), javascript:, vbscript:, file:, anything else
  return { keep: false, remote: false };
}

function decodeURIComponentSafe(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** A url() token that cannot break out of its quotes. */
export function cssUrl(url: string): string {
  return `url("${url.replace(/["\\\n\r\f]/g, (c) => encodeURIComponent(c))}")`;
}

/** Returns the cleaned value, or undefined when the declaration must go. */
export function sanitizeDeclaration(property: string, value: string, context: CssContext, inFontFace = false): string | undefined {
  const prop = property.trim().toLowerCase();
  if (!/^-?[a-z][a-z0-9-]*$/.test(prop) && !/^--[a-z0-9-]+$/i.test(prop)) {
    return undefined;
  }
  if (FORBIDDEN_PROPERTIES.test(prop) && !(inFontFace && prop === 'src')) {
    return undefined;
  }
  // Escapes ("u\rl(", "\75 rl(") and comments are how filters are bypassed; legitimate mail CSS
  // does not need them in values.
  if (/[\\<>{}]|\/\*|@/.test(value)) {
    return undefined;
  }
  if (/expression|javascript:|vbscript:/i.test(value)) {
    return undefined;
  }
  let blocked = false;
  const urls: Array<[string, string]> = [];
  const withoutUrls = value.replace(/url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"]*))\s*\)/gi, (_whole: string, a?: string, b?: string, c?: string) => {
    const verdict = checkResourceUrl(a ?? b ?? c ?? '', context);
    if (!verdict.keep) {
      blocked = true;
      if (verdict.remote) {
        context.onRemoteBlocked(a ?? b ?? c ?? '');
      }
      return '';
    }
    const token = `\u0001${urls.length}\u0001`;
    urls.push([token, cssUrl(verdict.url)]);
    return token;
  });
  if (blocked) {
    return undefined;
  }
  for (const match of withoutUrls.toLowerCase().matchAll(/([a-z-]*)\s*\(/g)) {
    if (!ALLOWED_FUNCTIONS.has(match[1])) {
      return undefined;
    }
  }
  if (/url/i.test(withoutUrls)) {
    return undefined;
  }
  let out = withoutUrls;
  for (const [token, css] of urls) {
    out = out.replace(token, css);
  }
  if (PAINT_PROPERTIES.test(prop)) {
    context.onPaint();
  }
  return out.trim();
}

/** Splits a style attribute into declarations, respecting quotes and parentheses. */
export function splitDeclarations(style: string): Array<[string, string, boolean]> {
  const out: Array<[string, string, boolean]> = [];
  let depth = 0;
  let quote = '';
  let start = 0;
  const push = (chunk: string) => {
    const colon = chunk.indexOf(':');
    if (colon <= 0) {
      return;
    }
    let value = chunk.slice(colon + 1).trim();
    const important = /!\s*important\s*$/i.test(value);
    value = value.replace(/!\s*important\s*$/i, '').trim();
    out.push([chunk.slice(0, colon).trim(), value, important]);
  };
  for (let i = 0; i < style.length; i++) {
    const ch = style[i];
    if (quote) {
      if (ch === quote) {
        quote = '';
      }
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if (ch === '(') {
      depth++;
    } else if (ch === ')') {
      depth = Math.max(0, depth - 1);
    } else if (ch === ';' && depth === 0) {
      push(style.slice(start, i));
      start = i + 1;
    }
  }
  push(style.slice(start));
  return out;
}

export function sanitizeStyleAttribute(style: string, context: CssContext): string {
  const kept: string[] = [];
  for (const [prop, value, important] of splitDeclarations(style)) {
    const clean = sanitizeDeclaration(prop, value, context);
    if (clean !== undefined && clean !== '') {
      kept.push(`${prop.toLowerCase()}: ${clean}${important ? ' !important' : ''}`);
    }
  }
  return kept.join('; ');
}

function sanitizeContainer(container: Container, context: CssContext, inFontFace: boolean): void {
  container.each((node: ChildNode) => {
    if (node.type === 'comment') {
      node.remove();
    } else if (node.type === 'decl') {
      const decl = node as Declaration;
      const clean = sanitizeDeclaration(decl.prop, decl.value, context, inFontFace);
      if (clean === undefined || clean === '') {
        decl.remove();
      } else {
        decl.value = clean;
      }
    } else if (node.type === 'rule') {
      if (/[\\<>]|\/\*/.test(node.selector)) {
        node.remove();
        return;
      }
      sanitizeContainer(node, context, false);
      if (!node.nodes?.length) {
        node.remove();
      }
    } else if (node.type === 'atrule') {
      sanitizeAtRule(node as AtRule, context);
    }
  });
}

function sanitizeAtRule(rule: AtRule, context: CssContext): void {
  const name = rule.name.toLowerCase();
  if (name === 'media' && !/[\\<>]|\/\*|url/i.test(rule.params)) {
    sanitizeContainer(rule, context, false);
    if (!rule.nodes?.length) {
      rule.remove();
    }
    return;
  }
  if (name === 'font-face') {
    if (!context.allowRemote) {
      let remote = false;
      rule.walkDecls((d) => {
        if (/url\s*\(/i.test(d.value)) {
          remote = true;
          context.onRemoteBlocked(d.value);
        }
      });
      if (!remote) {
        sanitizeContainer(rule, context, true);
        if (rule.nodes?.length) {
          return;
        }
      }
      rule.remove();
      return;
    }
    sanitizeContainer(rule, context, true);
    return;
  }
  if (name === 'import') {
    const match = /(?:url\(\s*)?["']?([^"')\s]+)/i.exec(rule.params);
    if (match && /^(https?:)?\/\//i.test(match[1])) {
      context.onRemoteBlocked(match[1]);
    }
  }
  // @import (never followed: we do not fetch style sheets), @charset, @namespace, @keyframes,
  // @page, @supports, @layer, @document and whatever comes next
  rule.remove();
}

/** Sanitizes a <style> block; the result is safe to put between <style> tags. */
export function sanitizeStyleSheet(css: string, context: CssContext): string {
  let root;
  try {
    root = postcss.parse(css);
  } catch {
    return '';
  }
  sanitizeContainer(root, context, false);
  // Nothing may end the <style> element early: '<' has no legitimate use left in CSS here.
  return root.toString().replace(/</g, '\\3c ');
}
