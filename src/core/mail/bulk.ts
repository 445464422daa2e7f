// The account's second connection, for transfers that take long (saving or opening an attachment,
// View Source, forwarding a big message): on the main connection they would hold the mailbox
// lock, and a click on another message would wait until they finished (31 s behind a 25 MB
// attachment at 50 ms RTT, measured by `npm run bench`). It opens on first use and closes after a
// minute unused; transfers on it take turns, so an account never has more than this one extra
// connection (plus the live-update watchers), well under the per-user limits servers set.
import { type ImapFlow, type MailboxObject } from 'imapflow';
import { type MailSession, type RunOptions } from './session';

export const BULK_IDLE_MS = 60_000;

export class BulkConnection {
  private session: MailSession | undefined;
  private users = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(
    private readonly create: () => MailSession,
    private readonly idleMs = BULK_IDLE_MS,
  ) {}

  /** Whether the second connection is open (or opening) right now. */
  get open(): boolean {
    return Boolean(this.session);
  }

  private acquire(): MailSession {
    if (this.closed) {
      throw new Error('closed');
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.session && this.users === 0 && this.session.state === 'failed') {
      // a failure is not kept for the next transfer: the user may have fixed it meanwhile
      void this.session.close();
      this.session = undefined;
    }
    this.users++;
    this.session ??= this.create();
    return this.session;
  }

  private release(): void {
    this.users = Math.max(0, this.users - 1);
    if (this.users === 0 && this.session) {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (this.users === 0) {
          const session = this.session;
          this.session = undefined;
          void session?.close();
        }
      }, this.idleMs);
      this.timer.unref?.();
    }
  }

  /** Like MailSession.withMailbox, on the second connection. */
  async withMailbox<T>(path: string, fn: (client: ImapFlow, mailbox: MailboxObject) => Promise<T>, options: RunOptions & { readOnly?: boolean } = {}): Promise<T> {
    const session = this.acquire();
    try {
      return await session.withMailbox(path, fn, options);
    } finally {
      this.release();
    }
  }

  /** Like MailSession.lockMailbox (for a stream read after the call returns), on the second connection. */
  async lockMailbox(path: string): Promise<{ client: ImapFlow; release(): void }> {
    const session = this.acquire();
    let lock;
    try {
      lock = await session.lockMailbox(path);
    } catch (err) {
      this.release();
      throw err;
    }
    let held = true;
    return {
      client: lock.client,
      release: () => {
        if (held) {
          held = false;
          lock.release();
          this.release();
        }
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    const session = this.session;
    this.session = undefined;
    await session?.close();
  }
}
