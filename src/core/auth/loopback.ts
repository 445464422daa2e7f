// The loopback redirect of the authorization-code flow for native apps (RFC 8252 7.3): an HTTP
// listener on 127.0.0.1 and a port the system picks, open only while one sign-in waits. It takes
// exactly one redirect, the one that carries our `state`, answers it with a short page, and closes.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { MailError } from '../errors';

export interface LoopbackRedirect {
  /** `http://127.0.0.1:PORT/`: the redirect_uri of this sign-in. */
  redirectUri: string;
  port: number;
  /** The redirect's full URL (with code and state, or error), once the browser came back. */
  wait(options: { signal?: AbortSignal; timeoutMs: number }): Promise<URL>;
  close(): void;
  /** Whether the listener is still open (tests assert it closes). */
  readonly listening: boolean;
}

function page(title: string, text: string): string {
  const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'"><title>${escape(title)}</title>
<style>body{font:15px system-ui,sans-serif;margin:15vh auto;max-width:34em;padding:0 1em;color:#222;background:#fff}@media(prefers-color-scheme:dark){body{color:#ddd;background:#1e1e1e}}</style></head>
<body><h1>${escape(title)}</h1><p>${escape(text)}</p></body></html>`;
}

/**
 * Opens the listener. `expectedState` is the state of the authorization request: requests without
 * it (a favicon, a port scan, another local program guessing) get 404 and do not end the wait.
 */
export async function openLoopbackRedirect(expectedState: string): Promise<LoopbackRedirect> {
  let settle: ((url: URL) => void) | undefined;
  const arrived = new Promise<URL>((resolve) => (settle = resolve));
  let port = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    const carriesAnswer = url.searchParams.has('code') || url.searchParams.has('error');
    if (req.method !== 'GET' || url.pathname !== '/' || !carriesAnswer || url.searchParams.get('state') !== expectedState) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end('Not found');
      return;
    }
    const failed = url.searchParams.get('error');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'referrer-policy': 'no-referrer', connection: 'close' });
    res.end(
      failed
        ? page('Sign-in did not complete', `The provider answered: ${url.searchParams.get('error_description') ?? failed}. Return to VS Code to try again.`)
        : page('Signed in', 'You can close this tab and return to VS Code.'),
    );
    settle?.(url);
    settle = undefined;
    close();
  });
  const close = () => {
    if (server.listening) {
      server.close();
    }
    server.closeAllConnections?.();
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    redirectUri: `http://127.0.0.1:${port}/`,
    port,
    get listening() {
      return server.listening;
    },
    close,
    wait: ({ signal, timeoutMs }) =>
      new Promise<URL>((resolve, reject) => {
        const timer = setTimeout(() => {
          close();
          reject(new MailError('TIMEOUT', `The sign-in was not completed within ${Math.round(timeoutMs / 60000)} minutes.`));
        }, timeoutMs);
        const onAbort = () => {
          clearTimeout(timer);
          close();
          reject(new MailError('SIGN_IN_REQUIRED', 'The sign-in was cancelled.'));
        };
        if (signal?.aborted) {
          onAbort();
          return;
        }
        signal?.addEventListener('abort', onAbort, { once: true });
        void arrived.then((url) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          resolve(url);
        });
      }),
  };
}
