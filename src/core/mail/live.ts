// Live updates for one account: a watcher connection IDLEs on INBOX, a second one on the folder
// being viewed (when that is not INBOX), so the user's own commands on the main connection never
// wait behind an IDLE. Servers without IDLE are polled (imapflow's NOOP fallback). A dropped or
// silently dead watcher is rebuilt by its session and resyncs what it missed.
import { type FolderMessages } from './folderModel';
import { applyEvent, emptyChange, fetchNewer, type FolderChange, isEmptyChange, resyncLoaded } from './folderSync';
import { type MessageSummary } from './headers';
import { type Logger } from '../log';
import { type MailboxEvent, type MailSession } from './session';

export interface LiveHost {
  /** The loaded model of a folder, or undefined when nobody loaded it (then only counts change). */
  folder(path: string): FolderMessages | undefined;
  /** A loaded folder changed. */
  changed(path: string, change: FolderChange): void;
  /** Unread messages in INBOX, whenever known anew. */
  inboxUnseen(count: number): void;
  /** Messages that arrived in INBOX while watching (not those of a first load). */
  newMail(messages: MessageSummary[]): void;
  /** An [ALERT] from the server: plain text for the user. */
  alert(text: string): void;
}

const INBOX = 'INBOX';

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
    this.inbox.watch(INBOX, () => this.resync(this.inbox!, INBOX));
    void this.countInbox();
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
    const viewer = this.viewer;
    viewer.watch(path, () => this.resync(viewer, path));
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

  /** Resolves when every queued update has been applied (tests, and before a resync). */
  settled(): Promise<void> {
    return this.running;
  }

  private async process(path: string): Promise<void> {
    const queue = this.queues.get(path);
    if (!queue || this.stopped) {
      return;
    }
    const events = queue.events.splice(0);
    const model = this.host.folder(path);
    const change = emptyChange();
    let fetchNew = false;
    let resync = false;
    for (const event of events) {
      if (!model) {
        fetchNew ||= event.type === 'exists';
        continue;
      }
      const outcome = applyEvent(model, event, change);
      fetchNew ||= outcome.fetchNew;
      resync ||= outcome.resync;
    }
    if (model && (fetchNew || resync)) {
      await queue.session.withMailbox(path, async (client) => {
        if (resync) {
          await resyncLoaded(client, model, change);
        }
        if (fetchNew) {
          await fetchNewer(client, model, change);
        }
      }, { idempotent: true });
    }
    if (model && !isEmptyChange(change)) {
      this.host.changed(path, change);
    }
    if (path.toUpperCase() === INBOX) {
      if (change.added.length) {
        this.host.newMail(change.added);
      }
      // any event: a flag change our own connection made is already in the model (an empty change
      // here) but still changes the count
      if (events.length > 0) {
        await this.countInbox();
      }
    }
  }

  private async resync(session: MailSession, path: string): Promise<void> {
    const model = this.host.folder(path);
    this.logger.info(`[${this.label}] watching ${path} again; resyncing`);
    if (model?.loaded) {
      const change = emptyChange();
      await session.withMailbox(path, async (client) => {
        await resyncLoaded(client, model, change);
        await fetchNewer(client, model, change);
      }, { idempotent: true });
      if (!isEmptyChange(change)) {
        this.host.changed(path, change);
        if (path.toUpperCase() === INBOX && change.added.length) {
          this.host.newMail(change.added);
        }
      }
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
      const count = await session.withMailbox(INBOX, async (client) => {
        // INBOX is selected on this connection: STATUS should not be used on it (RFC 3501 6.3.10)
        // ESEARCH COUNT answers with a number; without ESEARCH imapflow falls back to the UID list
        const result: unknown = await client.search({ seen: false }, { uid: true, returnOptions: ['COUNT'] });
        if (Array.isArray(result)) {
          return result.length;
        }
        return result && typeof result === 'object' ? ((result as { count?: number }).count ?? 0) : 0;
      }, { idempotent: true });
      this.host.inboxUnseen(count);
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
