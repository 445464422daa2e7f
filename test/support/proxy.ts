// A loopback TCP proxy in front of a real server, for fault injection and benchmarks: adds a
// fixed delay each way, counts bytes, and can cut every connection (or the next one after N
// bytes) to simulate a dropped link.
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface ProxyOptions {
  targetPort: number;
  targetHost?: string;
  /** Delay added to each chunk, in each direction (so the round trip grows by twice this). */
  delayMs?: number;
  /**
   * Extra delay for the first chunk a client sends on each connection: the TCP handshake a real
   * network would cost before the client can send anything (loopback completes it at once).
   */
  connectDelayMs?: number;
  /**
   * Sees every chunk twice: when the proxy receives it, and when it hands it on after the delay.
   * `connection` numbers connections from 1. For counting round trips (client sends that follow
   * server data) and per-connection bytes.
   */
  onChunk?: (event: ChunkEvent) => void;
  /**
   * TCP_NODELAY on both sockets. Without it, Nagle's algorithm holds a chunk written right after
   * another until the client's delayed ACK (about 40 ms on Linux): an artefact of the proxy
   * writing the server's bytes in the pieces they arrived in, which costs an extra apparent
   * round trip on some responses once a delay is added.
   */
  noDelay?: boolean;
}

/** Holds a client's command back before the server sees it (so its answer comes that much later). */
export interface CommandDelay {
  /** Matched against each chunk the client sends (plain text: only without TLS). */
  pattern: RegExp;
  ms: number;
}

export interface ChunkEvent {
  direction: 'up' | 'down';
  phase: 'received' | 'delivered';
  bytes: number;
  connection: number;
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
  /**
   * Cuts the connection when the server's answer matches the pattern, before the client sees it:
   * the server did the work, the client never learns.
   */
  cutWhenServerSends(pattern: RegExp): Promise<void>;
  /** Stops forwarding on every open connection without closing it: a silently dead link. */
  freezeAll(): void;
  /**
   * Delays matching client commands by their own amount (on top of `delayMs`); later chunks of the
   * same connection wait behind them, as on a slow server. Replaces the previous list.
   */
  setCommandDelays(delays: CommandDelay[]): void;
  /** Stops accepting (connections are refused until resume()). */
  pause(): Promise<void>;
  resume(): Promise<void>;
  close(): Promise<void>;
}

export async function startProxy(options: ProxyOptions): Promise<TcpProxy> {
  const delay = options.delayMs ?? 0;
  const onChunk = options.onChunk;
  const sockets = new Set<Socket>();
  const bytes = { up: 0, down: 0 };
  let connections = 0;
  let trigger: { pattern: RegExp; fired: () => void } | undefined;
  let serverTrigger: { pattern: RegExp; fired: () => void } | undefined;
  const frozen = new WeakSet<Socket>();
  let commandDelays: CommandDelay[] = [];

  // Keeps chunk order per direction while delaying each chunk by `delay` ms from its arrival.
  const pipeDelayed = (from: Socket, to: Socket, count: (n: number) => void, inspect?: (chunk: Buffer) => boolean, tap?: { direction: 'up' | 'down'; connection: number; firstExtraMs: number }) => {
    let chain = Promise.resolve();
    let extra = tap?.firstExtraMs ?? 0;
    from.on('data', (chunk: Buffer) => {
      count(chunk.length);
      if (inspect && inspect(chunk)) {
        return;
      }
      if (tap && onChunk) {
        onChunk({ direction: tap.direction, phase: 'received', bytes: chunk.length, connection: tap.connection });
      }
      const held = tap?.direction === 'up' ? commandDelays.filter((d) => d.pattern.test(chunk.toString('latin1'))).reduce((sum, d) => sum + d.ms, 0) : 0;
      const due = Date.now() + delay + extra + held;
      extra = 0;
      chain = chain.then(async () => {
        const wait = due - Date.now();
        if (wait > 0) {
          await new Promise((r) => setTimeout(r, wait));
        }
        if (!to.destroyed && !frozen.has(to)) {
          to.write(chunk);
          if (tap && onChunk) {
            onChunk({ direction: tap.direction, phase: 'delivered', bytes: chunk.length, connection: tap.connection });
          }
        }
      });
    });
    from.on('end', () => void chain.then(() => to.end()));
  };

  const handle = (client: Socket) => {
    connections++;
    const id = connections;
    const upstream = connect(options.targetPort, options.targetHost ?? '127.0.0.1');
    if (options.noDelay) {
      client.setNoDelay(true);
      upstream.setNoDelay(true);
    }
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
    }, { direction: 'up', connection: id, firstExtraMs: options.connectDelayMs ?? 0 });
    pipeDelayed(upstream, client, (n) => (bytes.down += n), (chunk) => {
      if (serverTrigger && serverTrigger.pattern.test(chunk.toString('latin1'))) {
        const fired = serverTrigger.fired;
        serverTrigger = undefined;
        kill();
        fired();
        return true;
      }
      return false;
    }, { direction: 'down', connection: id, firstExtraMs: 0 });
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
    cutWhenServerSends: (pattern) => new Promise<void>((resolve) => (serverTrigger = { pattern, fired: resolve })),
    setCommandDelays: (delays) => {
      commandDelays = delays;
    },
    freezeAll: () => {
      for (const s of sockets) {
        frozen.add(s);
      }
    },
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
