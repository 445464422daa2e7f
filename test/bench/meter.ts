// Measuring one operation through the delay proxy: wall time, round trips and bytes.
//
// Round trips are counted at the proxy as client "flights": a chunk the client sends after it
// received something from the server since its previous chunk (so pipelined commands count once,
// and every wait for the server counts). Each new connection adds one for the TCP handshake,
// which the proxy simulates in time with `connectDelayMs` (loopback would complete it at once).
// Bytes are the proxy's counters: TLS records included, both directions.
import { type ChunkEvent, startProxy, type TcpProxy } from '../support/proxy';
import { type Logger } from '../../src/core/log';

export interface Sample {
  ms: number;
  roundTrips: number;
  up: number;
  down: number;
  connections: number;
  /** Metric-specific numbers (heap bytes, payload bytes...). */
  extra: Record<string, number>;
}

export interface MeteredProxy {
  port: number;
  rttMs: number;
  proxy: TcpProxy;
  measure(fn: () => Promise<Record<string, number> | void>): Promise<Sample>;
  close(): Promise<void>;
}

export async function meteredProxy(targetPort: number, rttMs: number): Promise<MeteredProxy> {
  let flights = 0;
  let newConnections = 0;
  const waiting = new Map<number, boolean>();
  const onChunk = (event: ChunkEvent) => {
    if (event.direction === 'up' && event.phase === 'received') {
      if (!waiting.has(event.connection)) {
        newConnections++;
        flights++; // the TCP handshake
        waiting.set(event.connection, true);
      }
      if (waiting.get(event.connection)) {
        flights++;
        waiting.set(event.connection, false);
      }
    } else if (event.direction === 'down' && event.phase === 'delivered') {
      waiting.set(event.connection, true);
    }
  };
  const proxy = await startProxy({ targetPort, delayMs: rttMs / 2, connectDelayMs: rttMs, noDelay: true, onChunk });
  return {
    port: proxy.port,
    rttMs,
    proxy,
    measure: async (fn) => {
      proxy.resetCounters();
      flights = 0;
      newConnections = 0;
      // connections already open keep their state: their next send after server data is a flight
      for (const id of waiting.keys()) {
        waiting.set(id, true);
      }
      const started = performance.now();
      const extra = (await fn()) ?? {};
      const ms = performance.now() - started;
      return { ms, roundTrips: flights, up: proxy.bytes.up, down: proxy.bytes.down, connections: newConnections, extra };
    },
    close: () => proxy.close(),
  };
}

export function median(values: number[]): number {
  if (!values.length) {
    return NaN;
  }
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function medianSample(samples: Sample[]): Sample {
  const keys = new Set(samples.flatMap((s) => Object.keys(s.extra)));
  const extra: Record<string, number> = {};
  for (const key of keys) {
    extra[key] = median(samples.map((s) => s.extra[key]).filter((v) => v !== undefined));
  }
  return {
    ms: median(samples.map((s) => s.ms)),
    roundTrips: median(samples.map((s) => s.roundTrips)),
    up: median(samples.map((s) => s.up)),
    down: median(samples.map((s) => s.down)),
    connections: median(samples.map((s) => s.connections)),
    extra,
  };
}

/** A Logger that keeps imapflow's protocol lines with the time they were logged. */
export interface TimedLogger extends Logger {
  lines: Array<{ at: number; line: string }>;
  clear(): void;
}

export function timedLogger(): TimedLogger {
  const lines: Array<{ at: number; line: string }> = [];
  const push = (level: string) => (m: string) => void lines.push({ at: performance.now(), line: `${level} ${m}` });
  return {
    lines,
    clear: () => void lines.splice(0),
    trace: push('trace'),
    debug: push('debug'),
    info: push('info'),
    warn: push('warn'),
    error: push('error'),
  };
}

/** The commands the client wrote, with the time each waited for before the next one was sent. */
export function commandTimeline(logger: TimedLogger, start: number): Array<{ command: string; atMs: number }> {
  return logger.lines
    .filter((l) => / C: /.test(l.line))
    .map((l) => ({ command: l.line.replace(/^\w+ \[[^\]]*\] C: /, ''), atMs: l.at - start }));
}
