// URLs as the browser reads them, in linear time: the one cleaning step every URL from mail goes
// through before any decision (WHATWG URL Standard, "basic URL parser": leading and trailing C0
// controls and spaces are stripped, tabs and newlines anywhere are removed).

/** Longest http(s) URL we act on (characters); longer ones are refused, never cut. */
export const MAX_URL_LENGTH = 8192;

/** `raw` as the URL parser will see it: no leading/trailing C0 controls or spaces, no tabs or newlines. */
export function cleanUrl(raw: string): string {
  let start = 0;
  let end = raw.length;
  while (start < end && raw.charCodeAt(start) <= 0x20) {
    start++;
  }
  while (end > start && raw.charCodeAt(end - 1) <= 0x20) {
    end--;
  }
  return raw.slice(start, end).replace(/[\t\n\r]/g, '');
}

/**
 * An absolute http(s) URL (a scheme-relative `//host/...` is taken as https), parsed by the WHATWG
 * URL parser; undefined for anything else, for URLs over MAX_URL_LENGTH and for unparsable ones.
 * `cleaned` must come from cleanUrl().
 */
export function parseHttpUrl(cleaned: string): URL | undefined {
  if (cleaned.length > MAX_URL_LENGTH) {
    return undefined;
  }
  const absolute = cleaned.startsWith('//') ? `https:${cleaned}` : cleaned;
  if (!/^https?:/i.test(absolute)) {
    return undefined;
  }
  try {
    const url = new URL(absolute);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}
