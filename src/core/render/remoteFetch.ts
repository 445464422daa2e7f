// Remote content, after the user's consent, fetched by the extension host and handed to the view
// as data: (images, fonts) or as text to sanitize (style sheets). The webview never makes a request
// itself, so the rule "no request carries a Referer or a cookie" holds by construction (issue 15.8):
// these requests are built here, with a fixed set of headers, no cookie jar, no Referer, no Origin.
//
// Guards: only http and https, at most MAX_REDIRECTS hops (each checked again), a size cap per
// resource and per message, a timeout, a content check per kind (image types; font files by their
// signature; CSS as text), and by default no loopback, private or link-local address (checked on
// the address actually connected to, so DNS cannot swap it afterwards): in a remote setup
// (code-server, SSH, a container) the extension host's network is not the reader's.
import { lookup as dnsLookup } from 'node:dns';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { type LoadedResource, type ResourceKind } from './css';

export interface RemoteFetchOptions {
  /** Allow loopback, private and link-local addresses (off by default; tests and local servers). */
  allowPrivateNetwork?: boolean;
  /** Bytes per resource (default 5 MB). */
  maxBytes?: number;
  /** Bytes per message, all resources together (default 25 MB). */
  maxTotalBytes?: number;
  /** Per resource, from the first byte sent to the last byte received (default 15 s). */
  timeoutMs?: number;
}

export type FetchOutcome = { ok: true; resource: LoadedResource } | { ok: false; reason: string };

const MAX_REDIRECTS = 5;
const PARALLEL = 6;
const USER_AGENT = 'Mozilla/5.0 (compatible; IMAP-Mailbox-Explorer)';
const ACCEPT: Record<ResourceKind, string> = {
  image: 'image/avif,image/webp,image/png,image/jpeg,image/gif,image/*;q=0.8',
  font: 'font/woff2,font/woff,font/ttf,font/otf,*/*;q=0.5',
  style: 'text/css,*/*;q=0.1',
};
const IMAGE_TYPES = new Set(['image/png', 'image/gif', 'image/jpeg', 'image/jpg', 'image/webp', 'image/bmp']);

const privateRanges = new BlockList();
for (const [network, prefix] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4]] as const) {
  privateRanges.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['64:ff9b::', 96]] as const) {
  privateRanges.addSubnet(network, prefix, 'ipv6');
}

/** True for loopback, private, link-local, shared, multicast and reserved addresses. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) {
    return privateRanges.check(address, 'ipv4');
  }
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    return mapped ? privateRanges.check(mapped[1], 'ipv4') : privateRanges.check(address, 'ipv6');
  }
  return true;
}

function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { all: true, family: options.family ?? 0 }, (err, addresses) => {
      if (err) {
        callback(err, '', 4);
        return;
      }
      const usable = addresses.filter((a) => allowPrivate || !isPrivateAddress(a.address));
      if (!usable.length) {
        callback(Object.assign(new Error(`${hostname} is a local or private address`), { code: 'EPRIVATE' }), '', 4);
        return;
      }
      if (options.all) {
        (callback as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, usable);
      } else {
        callback(null, usable[0].address, usable[0].family);
      }
    });
  };
}

function sniffFont(data: Buffer): string | undefined {
  const magic = data.subarray(0, 4).toString('latin1');
  if (magic === 'wOF2') {
    return 'font/woff2';
  }
  if (magic === 'wOFF') {
    return 'font/woff';
  }
  if (magic === 'OTTO') {
    return 'font/otf';
  }
  if (data.length >= 4 && data.readUInt32BE(0) === 0x00010000) {
    return 'font/ttf';
  }
  return undefined;
}

function toResource(kind: ResourceKind, contentType: string, data: Buffer): FetchOutcome {
  const type = contentType.split(';')[0].trim().toLowerCase();
  if (kind === 'image') {
    return IMAGE_TYPES.has(type) ? { ok: true, resource: { kind, dataUri: `data:${type === 'image/jpg' ? 'image/jpeg' : type};base64,${data.toString('base64')}` } } : { ok: false, reason: `not an image (${type || 'no type'})` };
  }
  if (kind === 'font') {
    const font = sniffFont(data);
    return font ? { ok: true, resource: { kind, dataUri: `data:${font};base64,${data.toString('base64')}` } } : { ok: false, reason: 'not a font file' };
  }
  return type === 'text/css' || type === 'text/plain' || type === '' ? { ok: true, resource: { kind: 'style', css: data.toString('utf8') } } : { ok: false, reason: `not a style sheet (${type})` };
}

interface Budget {
  total: number;
}

function fetchOnce(url: URL, kind: ResourceKind, options: Required<RemoteFetchOptions>, budget: Budget): Promise<{ redirect: string } | FetchOutcome> {
  return new Promise((resolve) => {
    const literal = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    if (isIP(literal) && !options.allowPrivateNetwork && isPrivateAddress(literal)) {
      resolve({ ok: false, reason: 'a local or private address' });
      return;
    }
    const requestOptions: RequestOptions = {
      method: 'GET',
      // exactly these headers: no Referer, no Cookie, no Origin (the request is ours, not the mail's)
      headers: { 'user-agent': USER_AGENT, accept: ACCEPT[kind], 'accept-encoding': 'identity' },
      lookup: guardedLookup(options.allowPrivateNetwork),
      agent: false,
      timeout: options.timeoutMs,
    };
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, requestOptions, (response: IncomingMessage) => {
      const status = response.statusCode ?? 0;
      if (status >= 300 && status < 400 && response.headers.location) {
        response.resume();
        resolve({ redirect: response.headers.location });
        return;
      }
      if (status !== 200) {
        response.resume();
        resolve({ ok: false, reason: `HTTP ${status}` });
        return;
      }
      const declared = Number(response.headers['content-length'] ?? 0);
      const cap = Math.min(options.maxBytes, budget.total);
      if (declared > cap) {
        response.destroy();
        resolve({ ok: false, reason: 'too large' });
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > cap) {
          response.destroy();
          resolve({ ok: false, reason: 'too large' });
          return;
        }
        chunks.push(chunk);
      });
      response.on('end', () => {
        budget.total -= size;
        resolve(toResource(kind, String(response.headers['content-type'] ?? ''), Buffer.concat(chunks)));
      });
      response.on('error', (err) => resolve({ ok: false, reason: err.message }));
    });
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', (err) => resolve({ ok: false, reason: err.message }));
    request.end();
  });
}

/** Fetches one remote resource (following checked redirects). Never rejects. */
export async function fetchRemoteResource(href: string, kind: ResourceKind, options: RemoteFetchOptions = {}, budget: Budget = { total: options.maxTotalBytes ?? 25 * 1024 * 1024 }): Promise<FetchOutcome> {
  const full: Required<RemoteFetchOptions> = {
    allowPrivateNetwork: options.allowPrivateNetwork ?? false,
    maxBytes: options.maxBytes ?? 5 * 1024 * 1024,
    maxTotalBytes: options.maxTotalBytes ?? 25 * 1024 * 1024,
    timeoutMs: options.timeoutMs ?? 15000,
  };
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return { ok: false, reason: 'not a URL' };
  }
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password) {
      return { ok: false, reason: 'not an http(s) address' };
    }
    const result = await fetchOnce(url, kind, full, budget);
    if (!('redirect' in result)) {
      return result;
    }
    try {
      url = new URL(result.redirect, url);
    } catch {
      return { ok: false, reason: 'bad redirect' };
    }
  }
  return { ok: false, reason: 'too many redirects' };
}

/**
 * Fetches the given remote references (PARALLEL at a time, one shared byte budget) and returns
 * the outcome for each URL. Never rejects.
 */
export async function fetchRemoteResources(references: ReadonlyArray<{ url: string; kind: ResourceKind }>, options: RemoteFetchOptions = {}): Promise<Map<string, FetchOutcome>> {
  const outcomes = new Map<string, FetchOutcome>();
  const budget: Budget = { total: options.maxTotalBytes ?? 25 * 1024 * 1024 };
  const queue = [...references];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      outcomes.set(next.url, await fetchRemoteResource(next.url, next.kind, options, budget));
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, queue.length) }, worker));
  return outcomes;
}
