// A loopback TCP proxy in front of a real server, for fault injection and benchmarks: adds a
// fixed delay each way, counts bytes, and can cut every connection (or the next one after N
// bytes) to simulate a dropped link.
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface ProxyOptions {
  targetPort: number;
  targetHost?: string;
  /** Delay added to each chunk, in each direction (so the round trip grows by twice this). */
  delayMs?: number;
}

export interface TcpProxy {
  port: number;
  /** Bytes sent client -> server and server -> client since the last reset. */
  bytes: { up: number; down: number };
  connections: number;
  resetCounters(): void;
  /** Destroys every open connection, as a network failure would. */
  cutAll(): void;
  /** Cuts the connection the next time the client sends something matching the pattern. */
  cutWhenClientSends(pattern: RegExp): Promise<void>;
  /** Stops accepting (connections are refused until resume()). */
  pause(): Promise<void>;
  resume(): Promise<void>;
  close(): Promise<void>;
}

export async function startProxy(options: ProxyOptions): Promise<TcpProxy> {
  const delay = options.delayMs ?? 0;
  const sockets = new Set<Socket>();
  const bytes = { up: 0, down: 0 };
  let connections = 0;
  let trigger: { pattern: RegExp; fired: () => void } | undefined;

  // Keeps chunk order per direction while delaying each chunk by `delay` ms from its arrival.
  const pipeDelayed = (from: Socket, to: Socket, count: (n: number) => void, inspect?: (chunk: Buffer) => boolean) => {
    let chain = Promise.resolve();
    from.on('data', (chunk: Buffer) => {
      count(chunk.length);
      if (inspect && inspect(chunk)) {
        return;
      }
      const due = Date.now() + delay;
      chain = chain.then(async () => {
        const wait = due - Date.now();
        if (wait > 0) {
          await new Promise((r) => setTimeout(r, wait));
        }
        if (!to.destroyed) {
          to.write(chunk);
        }
      });
    });
    from.on('end', () => void chain.then(() => to.end()));
  };

  const handle = (client: Socket) => {
    connections++;
    const upstream = connect(options.targetPort, options.targetHost ?? '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    const kill = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', kill).on('close', kill);
    upstream.on('error', kill).on('close', kill);
    pipeDelayed(client, upstream, (n) => (bytes.up += n), (chunk) => {
      if (trigger && trigger.pattern.test(chunk.toString('latin1'))) {
        const fired = trigger.fired;
        trigger = undefined;
        kill();
        fired();
        return true;
      }
      return false;
    });
    pipeDelayed(upstream, client, (n) => (bytes.down += n));
  };

  let server: Server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    port,
    bytes,
    get connections() {
      return connections;
    },
    resetCounters: () => {
      bytes.up = 0;
      bytes.down = 0;
    },
    cutAll: () => {
      for (const s of sockets) {
        s.destroy();
      }
      sockets.clear();
    },
    cutWhenClientSends: (pattern) => new Promise<void>((resolve) => (trigger = { pattern, fired: resolve })),
    pause: () => new Promise<void>((resolve) => server.close(() => resolve())),
    resume: async () => {
      server = createServer(handle);
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    },
    close: async () => {
      for (const s of sockets) {
        s.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
