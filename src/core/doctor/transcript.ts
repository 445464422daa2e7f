// The protocol transcript of a diagnosis. Lines that carry a secret are never stored as sent: the
// caller hands in the text to show, and everything else still goes through redact(), so a password
// that slipped into a server echo is masked too.
import { redact } from '../log';
import { type Protocol, type TranscriptLine } from './types';

const MAX_LINES = 600;
const MAX_LINE_CHARS = 1000;

/** Server text is shown as text: control characters (a hostile greeting's ANSI codes) become \xNN. */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export class Transcript {
  readonly lines: TranscriptLine[] = [];
  private dropped = 0;

  constructor(private readonly startedAt: number) {}

  client(protocol: Protocol, text: string): void {
    this.add(protocol, 'C', text);
  }

  server(protocol: Protocol, text: string): void {
    this.add(protocol, 'S', text);
  }

  note(protocol: Protocol, text: string): void {
    this.add(protocol, '*', text);
  }

  private add(protocol: Protocol, dir: TranscriptLine['dir'], text: string): void {
    if (this.lines.length >= MAX_LINES) {
      this.dropped++;
      return;
    }
    // Client lines go through the log redaction rules; server lines do not (its LOGIN rule would eat
    // "Pre-login capabilities listed"): a password a server echoes is caught by runDoctor's final scrub.
    const line = text.replace(/\r?\n$/, '');
    let shown = printable(dir === 'C' ? redact(line) : line);
    if (shown.length > MAX_LINE_CHARS) {
      shown = `${shown.slice(0, MAX_LINE_CHARS)}... (${shown.length - MAX_LINE_CHARS} more characters)`;
    }
    this.lines.push({ protocol, dir, text: shown, atMs: Date.now() - this.startedAt });
  }

  /** The lines, with a closing note when some were left out. */
  result(): TranscriptLine[] {
    if (!this.dropped) {
      return this.lines;
    }
    const last = this.lines[this.lines.length - 1];
    return [...this.lines, { protocol: last?.protocol ?? 'imap', dir: '*', text: `${this.dropped} more lines not shown`, atMs: last?.atMs ?? 0 }];
  }
}
