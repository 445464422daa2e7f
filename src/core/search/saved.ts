// Saved searches: what `imapExplorer.savedSearches` (user settings) holds, read defensively (it is
// edited by hand and synced between machines), and the unread count a saved search's row shows.
import { setMaxListeners } from 'node:events';
import { toMailError } from '../errors';
import { type ConnectionPool } from '../mail/pool';
import { compileQuery } from './compile';
import { countFolder } from './folderSearch';
import { type ParsedQuery, parseQuery, QueryError } from './query';
import { type FolderRef } from './scope';

export interface SavedSearch {
  /** What the row is called; the query when not given. */
  name: string;
  query: string;
  /** The account the search belongs to (its row is under it); undefined: under "Saved Searches". */
  accountId?: string;
}

export const MAX_SAVED = 100;

/**
 * The saved searches in a settings value, and what is wrong with the entries that were dropped
 * (not an object, no query, a query that does not parse, a duplicate).
 */
export function readSavedSearches(value: unknown): { searches: SavedSearch[]; problems: string[] } {
  const searches: SavedSearch[] = [];
  const problems: string[] = [];
  if (value === undefined || value === null) {
    return { searches, problems };
  }
  if (!Array.isArray(value)) {
    return { searches, problems: ['imapExplorer.savedSearches is not a list'] };
  }
  const seen = new Set<string>();
  for (const [i, entry] of value.slice(0, MAX_SAVED).entries()) {
    const e = entry as Partial<Record<keyof SavedSearch, unknown>> | null;
    if (!e || typeof e !== 'object' || typeof e.query !== 'string') {
      problems.push(`entry ${i + 1}: no query`);
      continue;
    }
    try {
      parseQuery(e.query);
    } catch (err) {
      problems.push(`entry ${i + 1}: ${err instanceof QueryError ? err.withColumn : String(err)}`);
      continue;
    }
    const accountId = typeof e.accountId === 'string' && e.accountId ? e.accountId : undefined;
    const key = `${accountId ?? ''}\u0000${e.query.trim()}`;
    if (seen.has(key)) {
      problems.push(`entry ${i + 1}: the same query twice`);
      continue;
    }
    seen.add(key);
    const name = typeof e.name === 'string' && e.name.trim() ? e.name.trim().slice(0, 200) : e.query.trim();
    searches.push({ name, query: e.query.trim(), ...(accountId ? { accountId } : {}) });
  }
  if (value.length > MAX_SAVED) {
    problems.push(`only the first ${MAX_SAVED} saved searches are used`);
  }
  return { searches, problems };
}

/** The settings value with one search added (or renamed, when its query was saved already). */
export function withSaved(current: readonly SavedSearch[], search: SavedSearch): SavedSearch[] {
  const same = (s: SavedSearch) => s.query === search.query && (s.accountId ?? '') === (search.accountId ?? '');
  return current.some(same) ? current.map((s) => (same(s) ? search : s)) : [...current, search];
}

/** The settings value without a search. */
export function withoutSaved(current: readonly SavedSearch[], search: Pick<SavedSearch, 'query' | 'accountId'>): SavedSearch[] {
  return current.filter((s) => !(s.query === search.query && (s.accountId ?? '') === (search.accountId ?? '')));
}

export interface SavedCount {
  /** Unread messages that match, over every folder of the search. */
  unread: number;
  /** False when has:attachment left more candidates than were checked (unread is then at most this). */
  exact: boolean;
  /** Folders that could not be counted. */
  failed: number;
}

/**
 * The unread count of a query over folders: one UID SEARCH RETURN (COUNT) UNSEEN per folder, the
 * folders in parallel over each account's pool.
 */
export async function countUnread(query: ParsedQuery, folders: FolderRef[], pool: (accountId: string) => ConnectionPool, signal?: AbortSignal, now = new Date()): Promise<SavedCount> {
  if (signal) {
    setMaxListeners(0, signal);
  }
  const results = await Promise.all(folders.map(async (ref) => {
    try {
      return await pool(ref.accountId).use((session) =>
        session.withMailbox(ref.path, (client) => countFolder(client, compileQuery(query, { capabilities: client.capabilities, now }), true), { readOnly: true, idempotent: true }), signal);
    } catch (err) {
      return toMailError(err);
    }
  }));
  let unread = 0;
  let exact = true;
  let failed = 0;
  for (const r of results) {
    if ('count' in r) {
      unread += r.count;
      exact &&= r.exact;
    } else {
      failed++;
    }
  }
  return { unread, exact, failed };
}
