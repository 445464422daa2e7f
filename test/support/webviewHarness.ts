// The message view's webview outside VS Code: the real shell HTML (same CSP, same bundled
// script), served from a loopback asset server, with acquireVsCodeApi() stubbed to record what
// the view posts. The test plays the host: it sends 'show' messages built by the real core.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { type Browser, type Frame, type Page } from 'playwright-core';
import { shellHtml } from '../../src/messageView/html';
import { type HostToView, type ViewToHost } from '../../src/messageView/protocol';

const ROOT = join(__dirname, '..', '..');
const TYPES: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.ttf': 'font/ttf', '.html': 'text/html' };

export interface ViewHarness {
  page: Page;
  /** Messages the view posted through acquireVsCodeApi().postMessage. */
  posted(): Promise<ViewToHost[]>;
  /** 'message' events any frame posted to the top window that were not ours. */
  foreignMessages(): Promise<unknown[]>;
  load(): Promise<void>;
  show(message: HostToView): Promise<Frame>;
  close(): Promise<void>;
}

/**
 * `csp: false` serves the shell without its Content Security Policy (tests that prove the
 * sanitizer alone blocks a vector also strip the body document's CSP, see withoutBodyCsp).
 */
export async function startViewHarness(browser: Browser, options: { csp?: boolean } = {}): Promise<ViewHarness> {
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/shell') {
      const origin = `http://${req.headers.host}`;
      const uri = (path: string) => ({ toString: () => `${origin}/${path}` });
      const html = shellHtml({ cspSource: origin } as never, { script: uri('dist/webview/messageView.js') as never, style: uri('media/messageView.css') as never, codicons: uri('dist/codicons/codicon.css') as never, roots: [] });
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(options.csp === false ? html.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, '') : html);
      return;
    }
    const file = normalize(join(ROOT, url.pathname));
    if (!file.startsWith(join(ROOT, 'dist')) && !file.startsWith(join(ROOT, 'media'))) {
      res.writeHead(404);
      res.end();
      return;
    }
    try {
      const body = readFileSync(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const context = await browser.newContext({ viewport: { width: 1000, height: 800 } });
  const page = await context.newPage();
  // A string, not a function: tsx's keepNames helpers (__name) do not exist in the page.
  await page.addInitScript(`
    if (window === window.top) {
      window.__posted = [];
      window.__foreign = [];
      window.acquireVsCodeApi = function () {
        return { postMessage: function (m) { window.__posted.push(m); }, setState: function () {}, getState: function () {} };
      };
      window.addEventListener('message', function (event) {
        var data = event.data;
        if (event.source !== window || (data && data.type === 'pwned')) { window.__foreign.push(data); }
      });
    }
  `);
  const harness: ViewHarness = {
    page,
    posted: () => page.evaluate(() => (window as unknown as { __posted: ViewToHost[] }).__posted.slice()),
    foreignMessages: () => page.evaluate(() => (window as unknown as { __foreign: unknown[] }).__foreign.slice()),
    load: async () => {
      await page.goto(`http://127.0.0.1:${port}/shell`);
      await page.waitForFunction(() => (window as unknown as { __posted: Array<{ type: string }> }).__posted.some((m) => m.type === "ready"), undefined, { timeout: 5000 });
    },
    show: async (message) => {
      await page.evaluate((m) => window.postMessage(m, '*'), message);
      const handle = await page.waitForSelector('iframe.body-frame');
      await page.waitForFunction(() => {
        const frame = document.querySelector('iframe.body-frame') as HTMLIFrameElement | null;
        return frame?.contentDocument?.readyState === 'complete' && frame.contentDocument.body !== null;
      });
      const frame = await handle.contentFrame();
      if (!frame) {
        throw new Error('the body frame did not load');
      }
      return frame;
    },
    close: async () => {
      await context.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return harness;
}

/** The body document without its own CSP: what the sanitizer's output alone lets the browser do. */
export function withoutBodyCsp(document: string): string {
  return document.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, '');
}
