// A minimal IMAP client on a TLS socket, for the lower-bound scripts of the benchmark and for
// warming Dovecot's index: it writes exactly the commands it is given (several at once when the
// caller pipelines them) and reads responses without interpreting more than IMAP framing needs
// (lines, literals {n} and literal8 ~{n}, tagged completions). Literal bodies are counted, and
// kept only up to a limit, so a 25 MB part streams through without being buffered.
import { connect as tlsConnect, type TLSSocket } from 'node:tls';

export interface RawResponse {
  tag: string;
  status: 'OK' | 'NO' | 'BAD';
  text: string;
  /** Untagged lines received since the previous tagged completion (literals inlined up to keepLiteral). */
  untagged: string[];
  /** Literal bytes received for this command (the wire size, before any decoding). */
  literalBytes: number;
}

export interface RawImapOptions {
  host: string;
  port: number;
  ca?: string[];
  servername?: string;
  /** Literal bytes kept in `untagged` lines; larger literals are counted and dropped. Default 64 KB. */
  keepLiteral?: number;
}

interface Pending {
  tag: string;
  resolve(response: RawResponse): void;
  reject(err: Error): void;
}

export class RawImap {
  private buffer = Buffer.alloc(0);
  private line: Buffer[] = [];
  private literalLeft = 0;
  private literalKept = 0;
  private untagged: string[] = [];
  private literalBytes = 0;
  private readonly pending: Pending[] = [];
  private tagCounter = 0;
  private greetingWaiter: ((line: string) => void) | undefined;
  private greeting: string | undefined;
  private untaggedListener: ((line: string) => void) | undefined;
  private closedError: Error | undefined;
  private readonly keepLiteral: number;
  /** Counts untagged responses instead of keeping them (a FETCH of a whole 100k folder). */
  discardUntagged = false;
  /** Untagged responses received (kept or not). */
  untaggedCount = 0;

  private constructor(private readonly socket: TLSSocket, keepLiteral: number) {
    this.keepLiteral = keepLiteral;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    const fail = (err: Error) => {
      this.closedError = err;
      for (const p of this.pending.splice(0)) {
        p.reject(err);
      }
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed')));
  }

  /** Opens the TLS connection; resolves once the handshake is done (the greeting may still be on its way). */
  static async connect(options: RawImapOptions): Promise<RawImap> {
    const socket = tlsConnect({ host: options.host, port: options.port, ca: options.ca, servername: options.servername, minVersion: 'TLSv1.2' });
    socket.setNoDelay(true);
    const client = new RawImap(socket, options.keepLiteral ?? 64 * 1024);
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', () => resolve());
      socket.once('error', reject);
    });
    return client;
  }

  /** The negotiated TLS version ("TLSv1.3"). */
  get protocol(): string | null {
    return this.socket.getProtocol();
  }

  /** The server greeting (waits for it). */
  async waitGreeting(): Promise<string> {
    if (this.greeting !== undefined) {
      return this.greeting;
    }
    return new Promise((resolve) => (this.greetingWaiter = resolve));
  }

  /** Called for every untagged line as it arrives (IDLE notifications). */
  onUntagged(listener: ((line: string) => void) | undefined): void {
    this.untaggedListener = listener;
  }

  nextTag(): string {
    return `b${++this.tagCounter}`;
  }

  /**
   * Writes all commands in one socket write (pipelining) and resolves with their responses, in
   * order. Each command is given without tag and CRLF.
   */
  async pipeline(commands: string[]): Promise<RawResponse[]> {
    if (this.closedError) {
      throw this.closedError;
    }
    const tags = commands.map(() => this.nextTag());
    const promises = tags.map((tag) => new Promise<RawResponse>((resolve, reject) => this.pending.push({ tag, resolve, reject })));
    this.socket.write(commands.map((c, i) => `${tags[i]} ${c}\r\n`).join(''));
    const responses = await Promise.all(promises);
    for (const r of responses) {
      if (r.status !== 'OK') {
        throw new Error(`${r.tag} ${r.status} ${r.text}`);
      }
    }
    return responses;
  }

  async command(command: string): Promise<RawResponse> {
    return (await this.pipeline([command]))[0];
  }

  /** Starts IDLE; resolves when the server accepted it (+ continuation). done() ends it. */
  async idle(): Promise<{ done(): Promise<RawResponse> }> {
    const tag = this.nextTag();
    const finished = new Promise<RawResponse>((resolve, reject) => this.pending.push({ tag, resolve, reject }));
    const accepted = new Promise<void>((resolve) => (this.continuation = resolve));
    this.socket.write(`${tag} IDLE\r\n`);
    await accepted;
    return {
      done: async () => {
        this.socket.write('DONE\r\n');
        return finished;
      },
    };
  }

  private continuation: (() => void) | undefined;

  async logout(): Promise<void> {
    try {
      await Promise.race([this.command('LOGOUT'), new Promise((r) => setTimeout(r, 1000))]);
    } catch {
      // closing anyway
    }
    this.socket.destroy();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    let data = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    this.buffer = Buffer.alloc(0);
    while (data.length) {
      if (this.literalLeft > 0) {
        const take = Math.min(this.literalLeft, data.length);
        const keep = Math.max(0, Math.min(take, this.keepLiteral - this.literalKept));
        if (keep > 0) {
          this.line.push(data.subarray(0, keep));
          this.literalKept += keep;
        }
        this.literalBytes += take;
        this.literalLeft -= take;
        data = data.subarray(take);
        continue;
      }
      const eol = data.indexOf('\r\n');
      if (eol < 0) {
        this.buffer = Buffer.from(data);
        return;
      }
      const piece = data.subarray(0, eol);
      data = data.subarray(eol + 2);
      this.line.push(piece);
      const literal = /~?\{(\d+)\}$/.exec(piece.toString('latin1'));
      if (literal) {
        this.literalLeft = Number(literal[1]);
        this.literalKept = 0;
        this.line.push(Buffer.from('\r\n'));
        continue;
      }
      const full = Buffer.concat(this.line).toString('latin1');
      this.line = [];
      this.onLine(full);
    }
  }

  private onLine(line: string): void {
    if (this.greeting === undefined && line.startsWith('* ')) {
      this.greeting = line;
      this.greetingWaiter?.(line);
      this.greetingWaiter = undefined;
      return;
    }
    if (line.startsWith('+')) {
      this.continuation?.();
      this.continuation = undefined;
      return;
    }
    if (line.startsWith('* ')) {
      this.untaggedCount++;
      if (!this.discardUntagged) {
        this.untagged.push(line);
      }
      this.untaggedListener?.(line);
      return;
    }
    const match = /^(\S+) (OK|NO|BAD) ?(.*)$/s.exec(line);
    const index = match ? this.pending.findIndex((p) => p.tag === match[1]) : -1;
    if (!match || index < 0) {
      this.untagged.push(line);
      return;
    }
    const [p] = this.pending.splice(index, 1);
    const response: RawResponse = { tag: p.tag, status: match[2] as RawResponse['status'], text: match[3], untagged: this.untagged, literalBytes: this.literalBytes };
    this.untagged = [];
    this.literalBytes = 0;
    p.resolve(response);
  }
}

/** An IMAP quoted string (the benchmark's names and passwords are plain ASCII). */
export function quote(value: string): string {
  return `"${value.replace(/(["\\])/g, '\\$1')}"`;
}

/** SASL PLAIN initial response (RFC 4616), for AUTHENTICATE PLAIN with SASL-IR (RFC 4959). */
export function saslPlain(user: string, password: string): string {
  return Buffer.from(`\0${user}\0${password}`).toString('base64');
}

/** A response code such as UIDNEXT or HIGHESTMODSEQ from SELECT's untagged OK lines. */
export function responseCode(response: RawResponse, code: string): string | undefined {
  for (const line of [...response.untagged, `* OK ${response.text}`]) {
    const m = new RegExp(`\\[${code} ([^\\]]+)\\]`, 'i').exec(line);
    if (m) {
      return m[1];
    }
  }
  return undefined;
}
