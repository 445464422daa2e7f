// The header cache: the folder list of each account and the newest loaded headers of each folder
// the user opened, kept on disk (in VS Code's extension storage) per (account, folder,
// UIDVALIDITY). Reopening VS Code shows them at once, before any connection, and then resyncs
// with QRESYNC / CONDSTORE (folderSync.resyncCached), so what crosses the wire is the changes.
// What is kept of a window is its newest UIDs (a UID range, so the cursor below it stays valid).
// A changed UIDVALIDITY makes a cached folder worthless (RFC 3501 2.3.1.1): it is dropped. Files
// are plain JSON written atomically; anything unreadable is ignored, never trusted.
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type AccountConfig } from '../account';
import { type FolderInfo, flattenFolders } from './folders';
import { type MessageSummary, type PageCursor } from './headers';
import { FolderWindow } from './window';

/** 2: messages carry their INTERNALDATE (rows are ordered by it). */
export const CACHE_VERSION = 2;
/** Newest messages kept per folder: a few pages, not the folder. */
export const MAX_CACHED_MESSAGES = 250;

export interface CachedFolder {
  path: string;
  uidValidity: string;
  highestModseq?: bigint;
  total: number;
  next?: PageCursor;
  messages: MessageSummary[];
  savedAt: number;
}

interface FolderFile {
  version: number;
  path: string;
  uidValidity: string;
  highestModseq?: string;
  total: number;
  next?: PageCursor;
  messages: Array<Omit<MessageSummary, 'date' | 'internalDate'> & { date?: string; internalDate?: string }>;
  savedAt: number;
}

/** What the cache of an account is keyed by: the same id on another server or user is another mailbox. */
export function cacheKeyOf(account: AccountConfig): string {
  return `${account.id}\n${account.imap.host.toLowerCase()}:${account.imap.port}\n${account.imap.user}`;
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

function isCursor(value: unknown): value is PageCursor {
  const c = value as PageCursor;
  return Boolean(c) && Number.isInteger(c.beforeUid) && Number.isInteger(c.seqHint);
}

function isSummary(value: unknown): boolean {
  const m = value as Record<string, unknown>;
  return Boolean(m) && Number.isInteger(m.uid) && (m.uid as number) > 0 && Array.isArray(m.flags) && typeof m.subject === 'string' && Array.isArray(m.from) && Array.isArray(m.to) && typeof m.size === 'number';
}

export class HeaderCache {
  private readonly writes = new Map<string, Promise<void>>();

  constructor(private readonly root: string) {}

  private accountDir(accountKey: string): string {
    return join(this.root, `v${CACHE_VERSION}`, hash(accountKey));
  }

  private folderFile(accountKey: string, path: string): string {
    return join(this.accountDir(accountKey), `${hash(path)}.json`);
  }

  /** Writes one file atomically; writes of the same file are queued, the last one wins. */
  private write(file: string, data: unknown): Promise<void> {
    const previous = this.writes.get(file) ?? Promise.resolve();
    const next = previous.then(async () => {
      await mkdir(join(file, '..'), { recursive: true });
      const temp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      await writeFile(temp, JSON.stringify(data), { mode: 0o600 });
      await rename(temp, file);
    }).catch(() => undefined);
    this.writes.set(file, next);
    void next.finally(() => {
      if (this.writes.get(file) === next) {
        this.writes.delete(file);
      }
    });
    return next;
  }

  private async read(file: string): Promise<unknown> {
    try {
      return JSON.parse(await readFile(file, 'utf8')) as unknown;
    } catch {
      return undefined;
    }
  }

  async loadFolders(accountKey: string): Promise<FolderInfo[] | undefined> {
    const data = (await this.read(join(this.accountDir(accountKey), 'folders.json'))) as { version?: number; folders?: unknown } | undefined;
    return data?.version === CACHE_VERSION && Array.isArray(data.folders) ? (data.folders as FolderInfo[]) : undefined;
  }

  /**
   * Keeps the folder list the server just gave, and forgets the headers of every folder not in it
   * (deleted or renamed here or by another client), so nothing stale stays on disk.
   */
  async saveFolders(accountKey: string, folders: FolderInfo[]): Promise<void> {
    const dir = this.accountDir(accountKey);
    await this.write(join(dir, 'folders.json'), { version: CACHE_VERSION, folders });
    const kept = new Set(flattenFolders(folders).map((f) => `${hash(f.path)}.json`));
    const files = await readdir(dir).catch(() => [] as string[]);
    await Promise.all(files
      .filter((name) => /^[0-9a-f]+\.json$/.test(name) && !kept.has(name))
      .map((name) => rm(join(dir, name), { force: true })));
  }

  async load(accountKey: string, path: string): Promise<CachedFolder | undefined> {
    const data = (await this.read(this.folderFile(accountKey, path))) as FolderFile | undefined;
    if (!data || data.version !== CACHE_VERSION || data.path !== path || typeof data.uidValidity !== 'string' || !Array.isArray(data.messages) || !data.messages.every(isSummary)) {
      return undefined;
    }
    let highestModseq: bigint | undefined;
    try {
      highestModseq = data.highestModseq !== undefined ? BigInt(data.highestModseq) : undefined;
    } catch {
      return undefined;
    }
    return {
      path,
      uidValidity: data.uidValidity,
      ...(highestModseq !== undefined ? { highestModseq } : {}),
      total: Number(data.total) || data.messages.length,
      ...(isCursor(data.next) ? { next: data.next } : {}),
      messages: data.messages.map((m) => ({ ...m, ...(m.date ? { date: new Date(m.date) } : {}), ...(m.internalDate ? { internalDate: new Date(m.internalDate) } : {}) }) as MessageSummary),
      savedAt: Number(data.savedAt) || 0,
    };
  }

  /** Saves the newest loaded messages of a window (at most MAX_CACHED_MESSAGES, by UID). */
  save(accountKey: string, window: FolderWindow): Promise<void> {
    const kept = window.newestByUid(MAX_CACHED_MESSAGES);
    const oldest = kept[kept.length - 1];
    // when messages were cut, the next page starts below the oldest kept one
    const next = kept.length < window.size && oldest ? { beforeUid: oldest.uid, seqHint: Math.max(1, oldest.seq) } : window.next;
    const file: FolderFile = {
      version: CACHE_VERSION,
      path: window.path,
      uidValidity: window.uidValidity,
      ...(window.highestModseq !== undefined ? { highestModseq: window.highestModseq.toString() } : {}),
      total: window.total,
      ...(next ? { next } : {}),
      messages: kept.map(({ date, internalDate, ...m }) => ({ ...m, ...(date ? { date: date.toISOString() } : {}), ...(internalDate ? { internalDate: internalDate.toISOString() } : {}) })),
      savedAt: Date.now(),
    };
    return this.write(this.folderFile(accountKey, window.path), file);
  }

  /** Removes what older versions of the cache left (their files are never read again). */
  async pruneOldVersions(): Promise<void> {
    const versions = await readdir(this.root).catch(() => [] as string[]);
    await Promise.all(versions.filter((name) => /^v\d+$/.test(name) && name !== `v${CACHE_VERSION}`).map((name) => rm(join(this.root, name), { recursive: true, force: true })));
  }

  /** Forgets one folder (deleted, renamed, or its UIDVALIDITY changed). */
  async forget(accountKey: string, path: string): Promise<void> {
    await rm(this.folderFile(accountKey, path), { force: true });
  }

  /** Forgets everything of an account (removed, or its server changed). */
  async clearAccount(accountKey: string): Promise<void> {
    await rm(this.accountDir(accountKey), { recursive: true, force: true });
  }

  /** Forgets everything (the user turned the cache off). */
  async clearAll(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }

  /** Resolves when every queued write is on disk. */
  async flush(): Promise<void> {
    await Promise.all([...this.writes.values()]);
  }
}

/** A window from what the cache kept: shown at once, then resynced (folderSync.resyncCached). */
export function restoreWindow(cached: CachedFolder): FolderWindow {
  return new FolderWindow(cached.path, cached.uidValidity, cached);
}
