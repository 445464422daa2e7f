// A loopback HTTP server that counts every request: the "remote server" of tracking pixels and
// hostile mail. Zero requests is what a blocked message must produce.
import { createServer, type IncomingMessage } from 'node:http';

export interface CountingServer {
  origin: string;
  /** host:port, for the {{REMOTE}} placeholder of the hostile corpus. */
  hostPort: string;
  requests: Array<{ method: string; url: string }>;
  reset(): void;
  close(): Promise<void>;
}

const PIXEL = Buffer.from('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64');

export async function startCountingServer(): Promise<CountingServer> {
  const requests: Array<{ method: string; url: string }> = [];
  const server = createServer((req: IncomingMessage, res) => {
    requests.push({ method: req.method ?? 'GET', url: req.url ?? '' });
    if (/\.(?:gif|png)$/.test(req.url ?? '')) {
      res.writeHead(200, { 'content-type': 'image/gif', 'cache-control': 'no-store' });
      res.end(PIXEL);
      return;
    }
    res.writeHead(404, { 'cache-control': 'no-store' });
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    origin: `http://127.0.0.1:${port}`,
    hostPort: `127.0.0.1:${port}`,
    requests,
    reset: () => void requests.splice(0),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
