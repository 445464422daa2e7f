// A loopback HTTPS server that serves fixed files by host name and path (autoconfig XML for the
// discovery tests) and records every request, so a test can tell which URLs were asked.
import { createServer } from 'node:https';
import { readFileSync } from 'node:fs';
import { type CertFiles } from './certs';

export interface FileServer {
  port: number;
  /** Requests as "host/path?query". */
  requests: string[];
  close(): Promise<void>;
}

/** `files` maps "host/path" (the Host header without port, and the path without query) to a body. */
export async function startHttpsFileServer(cert: CertFiles, files: Record<string, string>): Promise<FileServer> {
  const requests: string[] = [];
  const server = createServer({ cert: readFileSync(cert.cert), key: readFileSync(cert.key) }, (req, res) => {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    const url = req.url ?? '/';
    requests.push(`${host}${url}`);
    const body = files[`${host}${url.split('?')[0]}`];
    if (body === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/xml' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
