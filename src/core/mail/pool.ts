// A capped set of extra connections of one account, for work that fans out over folders (a search
// of every folder, the replies in Sent of a conversation). Each folder needs its own SELECT, so
// folders searched one after another on one connection cost a round trip each for SELECT plus the
// server's search time; N connections do N folders at once. The cap keeps an account well under
// the connection limits servers set per user and address (Dovecot's default
// mail_max_userip_connections is 10, Gmail allows 15): with the main connection, the bulk one and
// two IDLE watchers, the default of 3 makes 7. Connections open on first use and close after a
// minute unused; a task that is cancelled while its command runs on the server has its connection
// closed (IMAP has no way to stop a running SEARCH), and the next task opens a new one.
import { MailError } from '../errors';
import { type MailSession } from './session';

export const POOL_IDLE_MS = 60_000;
export const DEFAULT_POOL_SIZE = 3;

interface Slot {
  session: MailSession;
  busy: boolean;
}

interface Waiter {
  resolve(slot: Slot): void;
  reject(error: unknown): void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/** The error a task of a cancelled request ends with. */
export function cancelled(): MailError {
  return new MailError('UNKNOWN', 'Cancelled.', {}, { cause: 'cancelled' });
}

export function isCancelled(err: unknown): boolean {
  return err instanceof MailError && err.cause === 'cancelled';
}

export class ConnectionPool {
  private readonly slots: Slot[] = [];
  private readonly waiting: Waiter[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private peak = 0;

  /**
   * @param create builds one more session of the account (one that logs in after the main one did)
   * @param size the most connections open at once (at least 1)
   */
  constructor(
    private readonly create: () => MailSession,
    readonly size = DEFAULT_POOL_SIZE,
    private readonly idleMs = POOL_IDLE_MS,
  ) {}

  /** Connections open (or opening) now. */
  get open(): number {
    return this.slots.length;
  }

  /** The most connections that were open at once (tests check the cap with it). */
  get peakOpen(): number {
    return this.peak;
  }

  /**
   * Runs `task` on a free connection, waiting for one when all are busy (first come, first
   * served). When `signal` aborts, a waiting task ends at once with cancelled(), and a running one
   * has its connection closed and ends with cancelled() too.
   */
  async use<T>(task: (session: MailSession) => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) {
      throw cancelled();
    }
    const slot = await this.acquire(signal);
    const first = this.slots[0];
    if (first && first !== slot && slot.session.state === 'idle' && first.session.state === 'connecting') {
      // a second login at the same moment only slows the first one (TLS on a busy machine, the
      // server's login process): the first folder's results come sooner when the others wait for it
      await first.session.connection().catch(() => undefined);
    }
    let aborted = false;
    const onAbort = () => {
      aborted = true;
      this.discard(slot);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const result = await task(slot.session);
      if (aborted) {
        throw cancelled();
      }
      return result;
    } catch (err) {
      throw aborted ? cancelled() : err;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.release(slot);
    }
  }

  private acquire(signal?: AbortSignal): Promise<Slot> {
    if (this.closed) {
      return Promise.reject(new MailError('DISCONNECTED', 'The account was closed.'));
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    const free = this.slots.find((s) => !s.busy);
    if (free) {
      free.busy = true;
      return Promise.resolve(free);
    }
    if (this.slots.length < Math.max(1, this.size)) {
      const slot = { session: this.create(), busy: true };
      this.slots.push(slot);
      this.peak = Math.max(this.peak, this.slots.length);
      return Promise.resolve(slot);
    }
    return new Promise<Slot>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, ...(signal ? { signal } : {}) };
      if (signal) {
        waiter.onAbort = () => {
          const i = this.waiting.indexOf(waiter);
          if (i >= 0) {
            this.waiting.splice(i, 1);
          }
          reject(cancelled());
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.waiting.push(waiter);
    });
  }

  private release(slot: Slot): void {
    if (!this.slots.includes(slot)) {
      // discarded (cancelled): a waiter may take the place it left
      this.wakeOne();
      return;
    }
    if (slot.session.state === 'failed') {
      // a failure is not kept for the next task: the user may have fixed it meanwhile
      this.discard(slot);
      this.wakeOne();
      return;
    }
    const waiter = this.waiting.shift();
    if (waiter) {
      if (waiter.onAbort) {
        waiter.signal?.removeEventListener('abort', waiter.onAbort);
      }
      waiter.resolve(slot);
      return;
    }
    slot.busy = false;
    this.scheduleIdle();
  }

  private wakeOne(): void {
    if (!this.waiting.length || this.closed || this.slots.length >= Math.max(1, this.size)) {
      return;
    }
    const waiter = this.waiting.shift()!;
    if (waiter.onAbort) {
      waiter.signal?.removeEventListener('abort', waiter.onAbort);
    }
    const slot = { session: this.create(), busy: true };
    this.slots.push(slot);
    this.peak = Math.max(this.peak, this.slots.length);
    waiter.resolve(slot);
  }

  private discard(slot: Slot): void {
    const i = this.slots.indexOf(slot);
    if (i >= 0) {
      this.slots.splice(i, 1);
    }
    void slot.session.close();
  }

  private scheduleIdle(): void {
    if (this.slots.some((s) => s.busy)) {
      return;
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      for (const slot of [...this.slots]) {
        if (!slot.busy) {
          this.discard(slot);
        }
      }
    }, this.idleMs);
    this.timer.unref?.();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    for (const waiter of this.waiting.splice(0)) {
      waiter.reject(new MailError('DISCONNECTED', 'The account was closed.'));
    }
    await Promise.all(this.slots.splice(0).map((s) => s.session.close()));
  }
}
