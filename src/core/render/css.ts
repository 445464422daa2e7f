// CSS from mail, reduced to what cannot reach the network or run code. The CSS is parsed the way
// the browser will parse it (css-tree tokenizes by CSS Syntax Level 3: a string ends at a newline,
// a comment is a comment only where the browser sees one), every node of the tree is checked
// against an allow-list, and the output is generated from the checked tree only, never from the
// input's text: what was checked is exactly what the browser gets (issue 15.3).
//
// - url() is checked by checkResourceUrl: cid: images of the message and image data: stay; remote
//   references are counted and left out unless the host already fetched them after the user's
//   consent (then their data: form is used), so the webview itself never loads anything.
// - Functions are allow-listed by name (after decoding escapes), properties that bind behaviour
//   are refused, custom properties go (their values are unparsed text).
// - @import is inlined from the fetched, sanitized sheet after consent; @font-face keeps only
//   fonts that are inline or fetched; @media keeps checked rules; every other at-rule goes.
// - `html`, `body` and `:root` in selectors name the mail's own wrappers (mx-mail, mx-body), so the
//   mail's page background is drawn on its paper; selectors naming the view's own `mx-` things go.
import * as csstree from 'css-tree';
import { cleanUrl, parseHttpUrl } from './url';

export type ResourceKind = 'image' | 'font' | 'style';

/** A remote resource the host fetched after consent: images and fonts as data: URIs, style sheets as text. */
export type LoadedResource = { kind: 'image' | 'font'; dataUri: string } | { kind: 'style'; css: string };

export interface ResourceContext {
  /** cid (normalised: no brackets, lower-case) to a data: URI of the inline part. */
  inline: ReadonlyMap<string, string>;
  /** Remote URL (WHATWG href) to its fetched content; empty until the user allowed remote content. */
  remote: ReadonlyMap<string, LoadedResource>;
  /** Every remote reference met, by URL and kind; `loaded` when its fetched content was used. */
  onRemote(url: string, kind: ResourceKind, loaded: boolean): void;
  /** Every cid: reference met (inline parts nobody refers to are listed as attachments). */
  onCid(cid: string): void;
}

export interface CssContext extends ResourceContext {
  /** Called when a declaration sets colors or backgrounds (the mail paints itself). */
  onPaint(): void;
  /** CSS characters this document may still parse (shared by all sheets and style attributes). */
  budget: { chars: number };
}

/** Largest style attribute parsed (characters); a longer one is dropped whole. */
export const MAX_STYLE_ATTRIBUTE = 32 * 1024;
/** CSS characters parsed per message (style sheets, imported sheets and attributes together). */
export const MAX_CSS_PER_DOCUMENT = 1024 * 1024;
const MAX_IMPORT_DEPTH = 3;
/** Nesting of nodes inside one value or selector (calc((((...)))), :not(:not(...))). */
const MAX_NODE_DEPTH = 32;

const ALLOWED_FUNCTIONS = new Set([
  'rgb', 'rgba', 'hsl', 'hsla', 'hwb', 'lab', 'lch', 'oklab', 'oklch', 'color-mix', 'light-dark',
  'calc', 'min', 'max', 'clamp',
  'linear-gradient', 'radial-gradient', 'conic-gradient', 'repeating-linear-gradient', 'repeating-radial-gradient', 'repeating-conic-gradient',
  'translate', 'translatex', 'translatey', 'translatez', 'translate3d', 'rotate', 'rotatex', 'rotatey', 'rotatez', 'rotate3d',
  'scale', 'scalex', 'scaley', 'scalez', 'scale3d', 'skew', 'skewx', 'skewy', 'matrix', 'matrix3d', 'perspective',
  'cubic-bezier', 'steps', 'counter', 'counters', 'local', 'format', 'minmax', 'repeat', 'fit-content',
]);
const FONT_FACE_ONLY = new Set(['src', 'unicode-range', 'font-display']);
const FORBIDDEN_PROPERTIES = new Set(['behavior', '-ms-behavior', '-moz-binding', '-webkit-binding']);
const PAINT_PROPERTIES = new Set(['color', 'background', 'background-color', 'background-image']);
const VALUE_NODES = new Set(['Value', 'Identifier', 'Number', 'Dimension', 'Percentage', 'Hash', 'String', 'Operator', 'Parentheses', 'Function', 'Url', 'UnicodeRange']);
const SELECTOR_NODES = new Set(['SelectorList', 'Selector', 'TypeSelector', 'ClassSelector', 'IdSelector', 'AttributeSelector', 'PseudoClassSelector', 'PseudoElementSelector', 'Combinator', 'Nth', 'AnPlusB', 'Identifier', 'String']);
const MEDIA_NODES = new Set(['AtrulePrelude', 'MediaQueryList', 'MediaQuery', 'Condition', 'Feature', 'FeatureRange', 'Identifier', 'Number', 'Dimension', 'Ratio', 'Percentage']);
const SAFE_DATA_IMAGE = /^data:image\/(?:png|gif|jpe?g|webp|bmp);base64,[\s\d+/=a-z]+$/i;
const SAFE_DATA_FONT = /^data:(?:font\/(?:woff2?|ttf|otf|sfnt)|application\/(?:font-woff2?|x-font-ttf|x-font-opentype|vnd\.ms-opentype));base64,[\s\d+/=a-z]+$/i;

/** A css-tree node as a plain object (children as arrays). */
type PlainNode = { type: string; [key: string]: unknown };

export type UrlVerdict = { keep: true; url: string } | { keep: false; remote: boolean };

function identName(raw: string): string {
  return csstree.ident.decode(raw).toLowerCase();
}

/**
 * The one place that decides what a URL inside mail may load (images, backgrounds, fonts, style
 * sheets). Returns the URL to put in the document (always a data: URI) or why it goes.
 * `remote: true` means the reference was counted as remote content (shown in the bar).
 */
export function checkResourceUrl(raw: string, context: ResourceContext, kind: ResourceKind = 'image'): UrlVerdict {
  const url = cleanUrl(raw);
  const lower = url.slice(0, 8).toLowerCase();
  if (lower.startsWith('cid:')) {
    const cid = normaliseCidRef(url.slice(4));
    context.onCid(cid);
    const data = kind === 'image' ? context.inline.get(cid) : undefined;
    return data ? { keep: true, url: data } : { keep: false, remote: false };
  }
  if (lower.startsWith('data:')) {
    const ok = kind === 'image' ? SAFE_DATA_IMAGE.test(url) : kind === 'font' ? SAFE_DATA_FONT.test(url) : false;
    return ok ? { keep: true, url } : { keep: false, remote: false };
  }
  const parsed = parseHttpUrl(url);
  if (!parsed) {
    // relative URLs (no base to resolve against), javascript:, file:, anything else
    return { keep: false, remote: false };
  }
  if (parsed.username || parsed.password) {
    // never fetched: a user name in a resource URL has no use in mail
    return { keep: false, remote: false };
  }
  const loaded = context.remote.get(parsed.href);
  if (loaded && loaded.kind === kind && loaded.kind !== 'style') {
    context.onRemote(parsed.href, kind, true);
    return { keep: true, url: loaded.dataUri };
  }
  context.onRemote(parsed.href, kind, false);
  return { keep: false, remote: true };
}

function normaliseCidRef(value: string): string {
  let text = value;
  try {
    text = decodeURIComponent(value);
  } catch {
    // keep it as written
  }
  text = text.trim();
  if (text.startsWith('<')) {
    text = text.slice(1);
  }
  if (text.endsWith('>')) {
    text = text.slice(0, -1);
  }
  return text.toLowerCase();
}

/** A url() token for a URL we produced (data: URIs): quoted, nothing can break out. */
export function cssUrl(url: string): string {
  return `url(${csstree.string.encode(url)})`;
}

interface CheckState {
  context: CssContext;
  inFontFace: boolean;
  property: string;
}

/**
 * Checks one value tree in place: every node type allow-listed, functions by decoded name, URLs
 * replaced by what they may load. False when the declaration must go.
 */
function checkValue(node: PlainNode, state: CheckState, depth: number): boolean {
  if (depth > MAX_NODE_DEPTH || !VALUE_NODES.has(node.type)) {
    return false;
  }
  if (node.type === 'Function') {
    const name = identName(String(node.name));
    if (!ALLOWED_FUNCTIONS.has(name) || ((name === 'local' || name === 'format') && !state.inFontFace)) {
      return false;
    }
    node.name = name;
  }
  if (node.type === 'Url') {
    const kind: ResourceKind = state.inFontFace && state.property === 'src' ? 'font' : 'image';
    const verdict = checkResourceUrl(String(node.value), state.context, kind);
    if (!verdict.keep) {
      return false;
    }
    node.value = verdict.url;
    return true;
  }
  const children = node.children as PlainNode[] | null | undefined;
  return !children || children.every((child) => checkValue(child, state, depth + 1));
}

/** The checked declaration, or undefined when it must go. */
function checkDeclaration(node: PlainNode, context: CssContext, inFontFace: boolean): PlainNode | undefined {
  if (node.type !== 'Declaration') {
    return undefined;
  }
  const property = identName(String(node.property));
  if (property.startsWith('--') || !/^-?[a-z][\da-z-]*$/.test(property) || FORBIDDEN_PROPERTIES.has(property)) {
    return undefined;
  }
  if (FONT_FACE_ONLY.has(property) && !inFontFace) {
    return undefined;
  }
  const value = node.value as PlainNode;
  if (!value || value.type !== 'Value' || !checkValue(value, { context, inFontFace, property }, 0)) {
    return undefined;
  }
  if (!(value.children as PlainNode[]).length) {
    return undefined;
  }
  if (PAINT_PROPERTIES.has(property)) {
    context.onPaint();
  }
  return { type: 'Declaration', important: Boolean(node.important), property, value };
}

function checkDeclarations(list: PlainNode[], context: CssContext, inFontFace: boolean): PlainNode[] {
  const kept: PlainNode[] = [];
  for (const child of list) {
    const decl = checkDeclaration(child, context, inFontFace);
    if (decl) {
      kept.push(decl);
    }
  }
  return kept;
}

const WRAPPER_FOR: Record<string, string> = { html: 'mx-mail', body: 'mx-body' };

/** Checks and rewrites a selector tree in place; false when the rule must go. */
function checkSelector(node: PlainNode, depth: number): boolean {
  if (depth > MAX_NODE_DEPTH || !SELECTOR_NODES.has(node.type)) {
    return false;
  }
  switch (node.type) {
    case 'TypeSelector': {
      const name = identName(String(node.name));
      if (name.startsWith('mx-')) {
        return false;
      }
      if (WRAPPER_FOR[name]) {
        node.name = WRAPPER_FOR[name];
      }
      return true;
    }
    case 'ClassSelector':
    case 'IdSelector':
      return !identName(String(node.name)).startsWith('mx-');
    case 'PseudoClassSelector':
      if (identName(String(node.name)) === 'root' && !node.children) {
        // :root is the mail's own root here
        node.type = 'TypeSelector';
        node.name = 'mx-mail';
        return true;
      }
      break;
    case 'AttributeSelector': {
      const name = node.name as PlainNode;
      const value = node.value as PlainNode | null;
      return name?.type === 'Identifier' && (!value || value.type === 'String' || value.type === 'Identifier');
    }
    default:
      break;
  }
  for (const key of ['children', 'nth', 'selector'] as const) {
    const sub = node[key] as PlainNode | PlainNode[] | null | undefined;
    if (Array.isArray(sub)) {
      if (!sub.every((child) => checkSelector(child, depth + 1))) {
        return false;
      }
    } else if (sub && typeof sub === 'object' && !checkSelector(sub, depth + 1)) {
      return false;
    }
  }
  return true;
}

function checkMediaPrelude(node: PlainNode, depth: number): boolean {
  if (depth > MAX_NODE_DEPTH || !MEDIA_NODES.has(node.type)) {
    return false;
  }
  for (const [key, sub] of Object.entries(node)) {
    if (key === 'loc') {
      continue;
    }
    if (Array.isArray(sub)) {
      if (!sub.every((child: PlainNode) => checkMediaPrelude(child, depth + 1))) {
        return false;
      }
    } else if (sub && typeof sub === 'object' && 'type' in sub && !checkMediaPrelude(sub as PlainNode, depth + 1)) {
      return false;
    }
  }
  return true;
}

function parsePlain(css: string, context: 'stylesheet' | 'declarationList'): PlainNode | undefined {
  try {
    return csstree.toPlainObject(csstree.parse(css, { context, parseCustomProperty: false, positions: false })) as unknown as PlainNode;
  } catch {
    return undefined;
  }
}

function generate(node: PlainNode): string {
  // '<' has no use left in the checked CSS but could end a <style> element: escape it everywhere
  return csstree.generate(csstree.fromPlainObject(node as unknown as csstree.CssNodePlain)).replace(/</g, '\\3c ');
}

function takeBudget(css: string, context: CssContext): string {
  const allowed = Math.max(0, Math.min(css.length, context.budget.chars));
  context.budget.chars -= allowed;
  return css.slice(0, allowed);
}

/** Sanitizes a style attribute; the result is a declaration list safe inside a quoted attribute once escaped. */
export function sanitizeStyleAttribute(style: string, context: CssContext): string {
  if (style.length > MAX_STYLE_ATTRIBUTE) {
    return '';
  }
  const root = parsePlain(takeBudget(style, context), 'declarationList');
  if (!root) {
    return '';
  }
  const kept = checkDeclarations(root.children as PlainNode[], context, false);
  return kept.length ? generate({ type: 'DeclarationList', children: kept }) : '';
}

function importTarget(rule: PlainNode): { url: string; media?: PlainNode } | undefined {
  const prelude = rule.prelude as PlainNode | null;
  const children = (prelude?.type === 'AtrulePrelude' ? (prelude.children as PlainNode[]) : []) ?? [];
  const first = children[0];
  if (!first || (first.type !== 'Url' && first.type !== 'String')) {
    return undefined;
  }
  const media = children[1];
  return { url: String(first.value), ...(media && media.type === 'MediaQueryList' ? { media } : {}) };
}

function sanitizeRules(list: PlainNode[], context: CssContext, depth: number, top: boolean): PlainNode[] {
  const imported: PlainNode[] = [];
  const kept: PlainNode[] = [];
  for (const node of list) {
    if (node.type === 'Rule') {
      const prelude = node.prelude as PlainNode;
      const block = node.block as PlainNode;
      if (prelude?.type !== 'SelectorList' || !checkSelector(prelude, 0)) {
        continue;
      }
      const decls = checkDeclarations((block?.children as PlainNode[]) ?? [], context, false);
      if (decls.length) {
        kept.push({ type: 'Rule', prelude, block: { type: 'Block', children: decls } });
      }
      continue;
    }
    if (node.type !== 'Atrule') {
      continue; // Raw text the parser could not place: never printed
    }
    const name = identName(String(node.name));
    const block = node.block as PlainNode | null;
    if (name === 'media' && block && node.prelude && checkMediaPrelude(node.prelude as PlainNode, 0)) {
      const inner = sanitizeRules(block.children as PlainNode[], context, depth, false);
      if (inner.length) {
        kept.push({ type: 'Atrule', name: 'media', prelude: node.prelude, block: { type: 'Block', children: inner } });
      }
    } else if (name === 'font-face' && block) {
      const decls = checkDeclarations(block.children as PlainNode[], context, true);
      if (decls.some((d) => d.property === 'src') && decls.some((d) => d.property === 'font-family')) {
        kept.push({ type: 'Atrule', name: 'font-face', prelude: null, block: { type: 'Block', children: decls } });
      }
    } else if (name === 'import' && top) {
      const target = importTarget(node);
      const sheet = target ? importedSheet(target.url, context, depth) : undefined;
      if (sheet?.length) {
        if (target?.media && checkMediaPrelude(target.media, 0)) {
          imported.push({ type: 'Atrule', name: 'media', prelude: { type: 'AtrulePrelude', children: [target.media] }, block: { type: 'Block', children: sheet.filter((n) => n.type === 'Rule' || n.name === 'media') } });
        } else if (!target?.media) {
          imported.push(...sheet);
        }
      }
    }
    // @charset, @namespace, @keyframes, @page, @supports, @layer, @document and whatever comes next go
  }
  // an imported sheet comes before the rules of the sheet that imports it (CSS Cascade 4, 6.4)
  return [...imported, ...kept];
}

function importedSheet(raw: string, context: CssContext, depth: number): PlainNode[] | undefined {
  const parsed = parseHttpUrl(cleanUrl(raw));
  if (!parsed || parsed.username || parsed.password) {
    return undefined;
  }
  const loaded = context.remote.get(parsed.href);
  if (!loaded || loaded.kind !== 'style' || depth >= MAX_IMPORT_DEPTH) {
    context.onRemote(parsed.href, 'style', false);
    return undefined;
  }
  context.onRemote(parsed.href, 'style', true);
  const root = parsePlain(takeBudget(loaded.css, context), 'stylesheet');
  return root ? sanitizeRules(root.children as PlainNode[], context, depth + 1, true) : undefined;
}

/** Sanitizes a <style> block; the result is safe to put between <style> tags. */
export function sanitizeStyleSheet(css: string, context: CssContext): string {
  const root = parsePlain(takeBudget(css, context), 'stylesheet');
  if (!root) {
    return '';
  }
  const kept = sanitizeRules(root.children as PlainNode[], context, 0, true);
  return kept.length ? generate({ type: 'StyleSheet', children: kept }) : '';
}
