// The raw connection under the doctor: a TCP connect that tells refused from filtered, a tap that
// keeps the first bytes a server sent (so "wrong version number" can become "this port speaks
// plain IMAP"), and a line reader whose every line lands in the transcript.
import { connect as netConnect, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { MailError } from '../errors';
import { type Transcript } from './transcript';
import { type Protocol } from './types';

const MAX_LINE = 256 * 1024;
const MAX_LITERAL = 16 * 1024 * 1024;
const TAP_BYTES = 512;

export interface TcpAttempt {
  address: string;
  ms: number;
  /** undefined when it connected. */
  error?: MailError;
}

/** Connects to the first address that accepts, trying them in the order DNS gave them, one after the other. */
export async function connectTcp(addresses: string[], port: number, timeoutMs: number): Promise<{ socket?: Socket; address?: string; attempts: TcpAttempt[] }> {
  const attempts: TcpAttempt[] = [];
  for (const address of addresses) {
    const started = Date.now();
    try {
      const socket = await connectOne(address, port, timeoutMs);
      attempts.push({ address, ms: Date.now() - started });
      return { socket, address, attempts };
    } catch (err) {
      attempts.push({ address, ms: Date.now() - started, error: err as MailError });
    }
  }
  return { attempts };
}

/** One TCP connection; rejects with a MailError that tells refused from filtered. */
export function connectOne(address: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: address, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new MailError('TIMEOUT', `No answer from ${address}:${port} within ${timeoutMs} ms: a firewall probably drops the connection (filtered), or the host is down.`, { host: address, port }));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      // whoever reads the socket next reports its errors; until then an error must not crash the process
      socket.removeAllListeners('error');
      socket.on('error', () => undefined);
      resolve(socket);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      reject(tcpError(err, address, port));
    });
  });
}

function tcpError(err: NodeJS.ErrnoException, address: string, port: number): MailError {
  const where = { host: address, port };
  switch (err.code) {
    case 'ECONNREFUSED':
      return new MailError('CONNECTION_REFUSED', `${address} refused the connection on port ${port}: nothing listens there (or a firewall rejects it).`, where, { cause: err });
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new MailError('TIMEOUT', `There is no route to ${address} (${err.code}): the network or a firewall blocks it.`, where, { cause: err });
    case 'ETIMEDOUT':
      return new MailError('TIMEOUT', `The connection to ${address}:${port} timed out: a firewall probably drops it (filtered).`, where, { cause: err });
    default:
      return new MailError('UNKNOWN', `Cannot connect to ${address}:${port}: ${err.message}`, where, { cause: err });
  }
}

/**
 * A pass-through over a TCP socket that remembers the first bytes the server sent. TLS runs on top
 * of it; when the handshake fails, those bytes say what the port really speaks.
 */
export class TappedStream extends Duplex {
  private tapped: Buffer = Buffer.alloc(0);
  /** Sees every chunk the server sends while set (the handshake capture of sentChain.ts). */
  onChunk: ((chunk: Buffer) => void) | undefined;

  constructor(readonly inner: Socket) {
    super();
    inner.on('data', (chunk: Buffer) => {
      if (this.tapped.length < TAP_BYTES) {
        this.tapped = Buffer.concat([this.tapped, chunk.subarray(0, TAP_BYTES - this.tapped.length)]);
      }
      this.onChunk?.(chunk);
      if (!this.push(chunk)) {
        inner.pause();
      }
    });
    inner.on('end', () => this.push(null));
    inner.on('error', (err) => this.destroy(err));
    inner.on('close', () => this.destroy());
  }

  get firstBytes(): Buffer {
    return this.tapped;
  }

  override _read(): void {
    this.inner.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.inner.write(chunk, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.inner.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.inner.destroy();
    callback(error);
  }
}

export interface ReadOptions {
  /** What the transcript shows instead of the line(s) read; undefined shows them as they are. */
  show?: (text: string) => string | undefined;
}

/** Line-oriented reading and writing over any duplex (a TCP socket before STARTTLS, a TLS socket after). */
export class LineWire {
  private buffer: Buffer = Buffer.alloc(0);
  private ended = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private detached = false;

  constructor(
    readonly stream: Duplex,
    private readonly transcript: Transcript,
    readonly protocol: Protocol,
  ) {
    stream.on('data', this.onData);
    stream.on('end', this.onEnd);
    stream.on('close', this.onEnd);
    stream.on('error', this.onError);
  }

  private readonly onData = (chunk: Buffer): void => {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    this.wake?.();
  };

  private readonly onEnd = (): void => {
    this.ended = true;
    this.wake?.();
  };

  private readonly onError = (err: Error): void => {
    this.failure = err;
    this.wake?.();
  };

  private async waitForData(deadline: number, what: string): Promise<void> {
    if (this.failure) {
      throw this.failure;
    }
    if (this.ended) {
      throw new MailError('DISCONNECTED', `The server closed the connection while we waited for ${what}.`);
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new MailError('TIMEOUT', `The server did not send ${what} in time.`);
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, left);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
    this.wake = undefined;
  }

  /** One line without its CRLF (a bare LF is accepted too: some servers send them). */
  async readLine(timeoutMs: number, what = 'an answer', options: ReadOptions = {}): Promise<string> {
    const line = await this.takeLine(Date.now() + timeoutMs, what);
    this.record(line, options);
    return line;
  }

  private async takeLine(deadline: number, what: string): Promise<string> {
    for (;;) {
      const end = this.buffer.indexOf(10);
      if (end >= 0) {
        const line = this.buffer.subarray(0, end > 0 && this.buffer[end - 1] === 13 ? end - 1 : end).toString('utf8');
        this.buffer = this.buffer.subarray(end + 1);
        return line;
      }
      if (this.buffer.length > MAX_LINE) {
        throw new MailError('UNKNOWN', `The server sent a line longer than ${MAX_LINE} bytes.`);
      }
      await this.waitForData(deadline, what);
    }
  }

  private async takeBytes(count: number, deadline: number, what: string): Promise<Buffer> {
    if (count > MAX_LITERAL) {
      throw new MailError('UNKNOWN', `The server announced ${count} bytes of data, more than this check reads.`);
    }
    while (this.buffer.length < count) {
      await this.waitForData(deadline, what);
    }
    const bytes = this.buffer.subarray(0, count);
    this.buffer = this.buffer.subarray(count);
    return bytes;
  }

  /**
   * One IMAP response: a line, and when it ends in a literal announcement {n}, the n bytes and the
   * rest of the response after them (RFC 3501 4.3). Literals stay inline as "{n}\r\n<bytes>".
   */
  async readImapResponse(timeoutMs: number, what = 'an answer', options: ReadOptions = {}): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let text = await this.takeLine(deadline, what);
    for (let match = /\{(\d+)\+?\}$/.exec(text); match; match = /\{(\d+)\+?\}$/.exec(text)) {
      const literal = await this.takeBytes(Number(match[1]), deadline, what);
      text += `\r\n${literal.toString('utf8')}${await this.takeLine(deadline, what)}`;
    }
    this.record(text, options);
    return text;
  }

  private record(text: string, options: ReadOptions): void {
    const shown = options.show ? options.show(text) : undefined;
    this.transcript.server(this.protocol, shown ?? text.replace(/\{(\d+)\+?\}\r\n/g, (_m, n: string) => `{${n}} `));
  }

  /** Writes one line; `shown` replaces it in the transcript (a LOGIN with its password, say). */
  write(line: string, shown?: string): void {
    this.transcript.client(this.protocol, shown ?? line);
    this.stream.write(`${line}\r\n`);
  }

  /**
   * Stops reading so that TLS can take over the stream (STARTTLS). Bytes the server sent after its
   * "go ahead" and before the handshake are dropped: they could be injected by an attacker on the
   * path and must not be read as if they had come over TLS (the 2011 STARTTLS injection bugs).
   */
  detach(): { stream: Duplex; discarded: number } {
    this.detached = true;
    this.stream.off('data', this.onData);
    this.stream.off('end', this.onEnd);
    this.stream.off('close', this.onEnd);
    this.stream.off('error', this.onError);
    const discarded = this.buffer.length;
    this.buffer = Buffer.alloc(0);
    return { stream: this.stream, discarded };
  }

  close(): void {
    if (!this.detached) {
      this.stream.destroy();
    }
  }
}
