// Live updates for one account: a watcher connection IDLEs on INBOX, a second one on the folder
// being viewed (when that is not INBOX), so the user's own commands on the main connection never
// wait behind an IDLE. Servers without IDLE are polled (imapflow's NOOP fallback). A dropped or
// silently dead watcher is rebuilt by its session and resyncs what it missed.
import { eventsToDelta, fetchNewer, resyncLoaded } from './folderSync';
import { type MessageSummary } from './headers';
import { type Logger } from '../log';
import { type MailboxEvent, type MailSession } from './session';
import { type MailStore } from './store';
import { type FolderChange, type WindowDelta, type WindowSnapshot } from './window';

export interface LiveHost {
  /** The loaded window of a folder, or undefined when nobody loaded it (then only counts change). */
  snapshot(path: string): WindowSnapshot | undefined;
  /**
   * What the server reported about a folder, for the store to apply: a delta against the
   * snapshot's window, 'drop' (a new UIDVALIDITY), or 'heard' (changes in a folder that had no
   * window: a page being loaded may predate them). Returns what that changed in the window.
   */
  apply(path: string, delta: WindowDelta | 'drop' | 'heard'): FolderChange | undefined;
  /** A ticket for a count about to be asked (MailStore.ticket). */
  ticket(): number;
  /** Unread messages in INBOX, asked at `asked`. */
  inboxUnseen(count: number, asked: number): void;
  /** Messages that arrived in INBOX while watching (not those of a first load). */
  newMail(messages: MessageSummary[]): void;
  /** An [ALERT] from the server: plain text for the user. */
  alert(text: string): void;
}

const INBOX = 'INBOX';

/**
 * The host that puts what the watchers learn into an account's store, through its one door (the
 * extension's, and the tests'). `reported` runs after every report about a folder (the extension
 * asks for counts again then).
 */
export function storeLiveHost(store: () => MailStore | undefined, hooks: Pick<LiveHost, 'newMail' | 'alert'> & { reported?(path: string): void }): LiveHost {
  return {
    snapshot: (path) => store()?.window(path)?.snapshot(),
    apply: (path, delta) => {
      const event = store()?.apply(delta === 'drop' || delta === 'heard' ? { type: delta, path } : { type: 'delta', path, delta });
      hooks.reported?.(path);
      return event?.changes.find((c) => c.path === path)?.change;
    },
    ticket: () => store()?.ticket() ?? 0,
    inboxUnseen: (count, asked) => void store()?.apply({ type: 'counts', counts: [{ path: INBOX, unseen: count }], asked }),
    newMail: (messages) => hooks.newMail(messages),
    alert: (text) => hooks.alert(text),
  };
}

export class AccountLive {
  private inbox: MailSession | undefined;
  private viewer: MailSession | undefined;
  private viewed: string | undefined;
  private readonly queues = new Map<string, { session: MailSession; events: MailboxEvent[]; timer?: ReturnType<typeof setTimeout> }>();
  private stopped = false;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly createWatcher: () => MailSession,
    private readonly host: LiveHost,
    private readonly logger: Logger,
    private readonly label: string,
  ) {}

  start(): void {
    this.inbox = this.createWatcher();
    this.attach(this.inbox);
    this.follow(this.inbox, INBOX);
  }

  /**
   * Keeps `path` selected on the watcher and catches up once it is: IDLE reports only what
   * happens after the SELECT, so what changed between the window's load and the SELECT (and
   * after a reconnect, while it was away) is asked for once.
   */
  private follow(session: MailSession, path: string): void {
    const catchUp = () => this.enqueue(() => this.resync(session, path));
    session.watch(path, async () => catchUp());
    catchUp();
  }

  /** Follows the folder the user is looking at, on its own connection. */
  view(path: string | undefined): void {
    if (this.stopped || path === this.viewed) {
      return;
    }
    this.viewed = path;
    if (!path || path.toUpperCase() === INBOX) {
      void this.viewer?.close();
      this.viewer = undefined;
      return;
    }
    if (!this.viewer) {
      this.viewer = this.createWatcher();
      this.attach(this.viewer);
    }
    this.follow(this.viewer, path);
  }

  private attach(session: MailSession): void {
    session.onMailboxEvent((event) => {
      if (event.type === 'alert') {
        this.host.alert(event.text);
        return;
      }
      const queue = this.queues.get(event.path) ?? { session, events: [] };
      queue.session = session;
      queue.events.push(event);
      this.queues.set(event.path, queue);
      // coalesce a burst (a VANISHED of 50 UIDs arrives as 50 events) into one pass
      if (!queue.timer) {
        queue.timer = setTimeout(() => {
          queue.timer = undefined;
          this.enqueue(() => this.process(event.path));
        }, 30);
      }
    });
  }

  /** Runs updates one after another so two passes never interleave on one model. */
  private enqueue(work: () => Promise<void>): void {
    this.running = this.running.then(work).catch((err) => this.logger.warn(`[${this.label}] live update failed: ${err instanceof Error ? err.message : String(err)}`));
  }

  /** Resolves when every update queued so far has been applied (tests). */
  settled(): Promise<void> {
    return this.running;
  }

  private async process(path: string): Promise<void> {
    const queue = this.queues.get(path);
    if (!queue || this.stopped) {
      return;
    }
    const events = queue.events.splice(0);
    const snapshot = this.host.snapshot(path);
    const outcome = eventsToDelta(snapshot, events);
    let change: FolderChange | undefined;
    if (outcome.reset) {
      this.host.apply(path, 'drop');
    } else {
      const delta = outcome.delta;
      if (snapshot && delta && (outcome.fetchNew || outcome.resync)) {
        await queue.session.withMailbox(path, async (client) => {
          if (outcome.resync) {
            const resynced = await resyncLoaded(client, snapshot);
            delta.flags = [...(delta.flags ?? []), ...(resynced.flags ?? [])];
            delta.vanished = [...(delta.vanished ?? []), ...(resynced.vanished ?? [])];
          }
          if (outcome.fetchNew) {
            delta.newer = await fetchNewer(client, snapshot);
          }
        }, { idempotent: true });
      }
      if (events.some((e) => e.type === 'exists' || e.type === 'expunge' || e.type === 'flags')) {
        change = this.host.apply(path, delta ?? 'heard');
      }
    }
    if (path.toUpperCase() === INBOX) {
      if (change?.added.length) {
        this.host.newMail(change.added);
      }
      // any event: a flag change our own connection made is already in the store (nothing to
      // apply here) but still changes the count
      if (events.length > 0) {
        await this.countInbox();
      }
    }
  }

  private async resync(session: MailSession, path: string): Promise<void> {
    if (this.stopped) {
      return;
    }
    const snapshot = this.host.snapshot(path);
    if (snapshot) {
      const delta = await session.withMailbox(path, async (client) => {
        const resynced = await resyncLoaded(client, snapshot);
        resynced.newer = await fetchNewer(client, snapshot);
        return resynced;
      }, { idempotent: true });
      const change = this.host.apply(path, delta);
      if (path.toUpperCase() === INBOX && change?.added.length) {
        this.host.newMail(change.added);
      }
    } else {
      // selected, and reporting from now on: a page still on its way may predate this moment
      await session.withMailbox(path, async () => undefined, { idempotent: true });
      this.host.apply(path, 'heard');
    }
    if (path.toUpperCase() === INBOX) {
      await this.countInbox();
    }
  }

  private async countInbox(): Promise<void> {
    const session = this.inbox;
    if (!session || this.stopped) {
      return;
    }
    try {
      const asked = this.host.ticket();
      const count = await session.withMailbox(INBOX, async (client) => {
        // INBOX is selected on this connection: STATUS should not be used on it (RFC 3501 6.3.10)
        // ESEARCH COUNT answers with a number; without ESEARCH imapflow falls back to the UID list
        const result: unknown = await client.search({ seen: false }, { uid: true, returnOptions: ['COUNT'] });
        if (Array.isArray(result)) {
          return result.length;
        }
        return result && typeof result === 'object' ? ((result as { count?: number }).count ?? 0) : 0;
      }, { idempotent: true });
      this.host.inboxUnseen(count, asked);
    } catch (err) {
      this.logger.warn(`[${this.label}] cannot count unread mail: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const queue of this.queues.values()) {
      if (queue.timer) {
        clearTimeout(queue.timer);
      }
    }
    await Promise.all([this.inbox?.close(), this.viewer?.close()]);
  }
}
