// A loopback HTTP server that counts every request: the "remote server" of tracking pixels and
// hostile mail. Zero requests is what a blocked message must produce. Each request is kept with
// its headers, so a test can also see what a request carried (Referer, Cookie, User-Agent).
import { createServer, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';

export interface CountedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

export interface CountingServer {
  origin: string;
  /** host:port, for the {{REMOTE}} placeholder of the hostile corpus. */
  hostPort: string;
  requests: CountedRequest[];
  reset(): void;
  close(): Promise<void>;
}

/** A response for one path: content type and body. `{{REMOTE}}` in a text body becomes the server's host:port. */
export interface Route {
  type: string;
  body: string | Buffer;
}

const PIXEL = Buffer.from('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64');
/** The first bytes of a WOFF2 file: enough for a font check by signature. */
export const WOFF2 = Buffer.concat([Buffer.from('wOF2', 'latin1'), Buffer.alloc(60)]);

export async function startCountingServer(routes: Record<string, Route> = {}): Promise<CountingServer> {
  const requests: CountedRequest[] = [];
  let hostPort = '';
  const server = createServer((req: IncomingMessage, res) => {
    requests.push({ method: req.method ?? 'GET', url: req.url ?? '', headers: req.headers });
    const path = (req.url ?? '').split('?')[0];
    const route = routes[path];
    if (route) {
      const body = typeof route.body === 'string' ? route.body.split('{{REMOTE}}').join(hostPort) : route.body;
      res.writeHead(200, { 'content-type': route.type, 'cache-control': 'no-store' });
      res.end(body);
      return;
    }
    if (/\.(?:gif|png)$/.test(path)) {
      res.writeHead(200, { 'content-type': 'image/gif', 'cache-control': 'no-store' });
      res.end(PIXEL);
      return;
    }
    if (/\.woff2?$/.test(path)) {
      res.writeHead(200, { 'content-type': 'font/woff2', 'cache-control': 'no-store' });
      res.end(WOFF2);
      return;
    }
    res.writeHead(404, { 'cache-control': 'no-store' });
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  hostPort = `127.0.0.1:${port}`;
  return {
    origin: `http://127.0.0.1:${port}`,
    hostPort,
    requests,
    reset: () => void requests.splice(0),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
