// Tagged IMAP commands over a LineWire: send, collect the untagged answers, return the tagged
// status with its response code. Secrets go out as literals or SASL data the transcript never sees.
import { MailError } from '../errors';
import { parseCapabilities, responseCode } from './imapSyntax';
import { type CheckContext } from './steps';
import { type StepId } from './types';
import { type LineWire, type ReadOptions } from './wire';

export interface ImapReply {
  status: 'OK' | 'NO' | 'BAD';
  /** The response code of the tagged line (AUTHENTICATIONFAILED, CAPABILITY...). */
  code?: string;
  codeArgs?: string;
  text: string;
  untagged: string[];
  ms: number;
}

export interface CommandOptions extends ReadOptions {
  /** What the transcript shows for the command line. */
  shown?: string;
  /** Answers to "+" continuation requests, in order (a literal's bytes, a SASL response). */
  continuations?: Array<{ data: string; shown: string }>;
  /** Overrides the conversation's timeout (LOGOUT need not wait long). */
  timeoutMs?: number;
  /** Answers a "+" line itself (a SASL error challenge to read and cancel); undefined falls back to `continuations`. */
  onContinuation?: (line: string) => { data: string; shown: string } | undefined;
}

export class ImapConversation {
  private counter = 0;
  /** The last untagged BYE (RFC 3501 7.1.5): why the server is about to close the connection. */
  lastBye: string | undefined;

  constructor(
    private wire: LineWire,
    private readonly timeoutMs: number,
    private readonly tagPrefix = 'D',
  ) {}

  /** Continues on another wire (the TLS one after STARTTLS), keeping the tag sequence. */
  attach(wire: LineWire): void {
    this.wire = wire;
  }

  async command(command: string, options: CommandOptions = {}): Promise<ImapReply> {
    const tag = `${this.tagPrefix}${++this.counter}`;
    const started = Date.now();
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const continuations = [...(options.continuations ?? [])];
    this.wire.write(`${tag} ${command}`, options.shown ? `${tag} ${options.shown}` : undefined);
    const untagged: string[] = [];
    for (;;) {
      const line = await this.wire.readImapResponse(Math.max(1, timeoutMs - (Date.now() - started)), `the answer to ${command.split(' ')[0]}`, options);
      if (line.startsWith(`${tag} `)) {
        const rest = line.slice(tag.length + 1);
        const status = rest.slice(0, rest.indexOf(' ') >= 0 ? rest.indexOf(' ') : undefined).toUpperCase();
        if (status !== 'OK' && status !== 'NO' && status !== 'BAD') {
          throw new MailError('UNKNOWN', `Unexpected answer to ${command.split(' ')[0]}: "${line.slice(0, 120)}" is not an IMAP status (OK, NO or BAD).`);
        }
        const parsed = responseCode(rest.slice(status.length).trim());
        return { status, text: parsed.text, ...(parsed.code ? { code: parsed.code } : {}), ...(parsed.args ? { codeArgs: parsed.args } : {}), untagged, ms: Date.now() - started };
      }
      if (line.startsWith('+')) {
        const next = options.onContinuation?.(line) ?? continuations.shift();
        // a continuation nobody asked for: cancel, as RFC 3501 allows for AUTHENTICATE ("*")
        this.wire.write(next ? next.data : '*', next ? next.shown : '*');
        continue;
      }
      if (/^\* BYE\b/i.test(line)) {
        this.lastBye = line.slice(2);
      }
      untagged.push(line);
    }
  }
}

/** The capabilities an answer carries: a CAPABILITY line, or the [CAPABILITY ...] code of its tagged line. */
export function capabilitiesOf(reply: ImapReply): string[] {
  const line = reply.untagged.find((l) => /^\* CAPABILITY /i.test(l));
  if (line) {
    return parseCapabilities(line.slice('* CAPABILITY '.length));
  }
  return reply.code === 'CAPABILITY' && reply.codeArgs ? parseCapabilities(reply.codeArgs) : [];
}

/** Runs a command for a step; a lost connection or a timeout fails that step instead of the whole check. */
export async function runCommand(ctx: CheckContext, id: StepId, fn: () => Promise<ImapReply>): Promise<ImapReply | undefined> {
  const started = Date.now();
  try {
    return await fn();
  } catch (err) {
    ctx.rec.failed(id, started, err);
    return undefined;
  }
}
