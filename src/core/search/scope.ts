// Which folders a query runs in: `in:` resolved against an account's folder list, or the folder
// (account) the search was started from.
import { type FolderInfo, flattenFolders, type SpecialUse } from '../mail/folders';
import { QueryError, type SearchScope } from './query';

/** One folder of one account to search. */
export interface FolderRef {
  accountId: string;
  path: string;
}

/** Where a search was started: a folder, an account, or nowhere in particular (palette, title bar). */
export type SearchOrigin = { accountId: string; path?: string } | undefined;

/** What the resolver knows of the accounts: their ids in order and each one's folders (undefined: not listed yet). */
export interface AccountFolders {
  accountIds: string[];
  folders(accountId: string): readonly FolderInfo[] | undefined;
}

const SPECIAL_NAMES: Record<string, SpecialUse> = {
  inbox: 'inbox',
  sent: 'sent',
  drafts: 'drafts',
  draft: 'drafts',
  trash: 'trash',
  junk: 'junk',
  spam: 'junk',
  archive: 'archive',
  all: 'all',
};

/**
 * The folders to search in every folder of an account: every selectable one, except that where the
 * server has an \All folder (Gmail's "All Mail", RFC 6154) it and Junk and Trash are enough: every
 * other folder's messages are in All Mail already, and searching them too would show each twice.
 */
export function foldersForAll(folders: readonly FolderInfo[]): FolderInfo[] {
  const flat = flattenFolders([...folders]).filter((f) => f.selectable);
  const all = flat.find((f) => f.specialUse === 'all');
  if (all) {
    return flat.filter((f) => f === all || f.specialUse === 'junk' || f.specialUse === 'trash');
  }
  return flat;
}

/**
 * Finds a folder by what a user types after in:, trying in turn: the exact path, the path in any
 * case, the special-use name (sent, trash, spam...), the folder's own name in any case.
 */
export function findFolder(folders: readonly FolderInfo[], typed: string): FolderInfo | undefined {
  const flat = flattenFolders([...folders]).filter((f) => f.selectable);
  const lower = typed.toLowerCase();
  const special = SPECIAL_NAMES[lower];
  return (
    flat.find((f) => f.path === typed) ??
    flat.find((f) => f.path.toLowerCase() === lower) ??
    (special ? flat.find((f) => f.specialUse === special) : undefined) ??
    flat.find((f) => f.name.toLowerCase() === lower)
  );
}

/**
 * The folders a scope names, most interesting first (the folder the search started from, then
 * INBOX, then the folder list's order).
 *
 * @throws QueryError at the in: value when a named folder exists in none of the accounts searched.
 */
export function resolveScope(scope: SearchScope, origin: SearchOrigin, accounts: AccountFolders): FolderRef[] {
  const accountIds = origin && scope.type !== 'any' ? [origin.accountId] : accounts.accountIds;
  const out: FolderRef[] = [];
  const add = (accountId: string, path: string) => {
    if (!out.some((r) => r.accountId === accountId && r.path === path)) {
      out.push({ accountId, path });
    }
  };
  if (scope.type === 'here' && origin?.path) {
    add(origin.accountId, origin.path);
    return out;
  }
  switch (scope.type) {
    // started from an account, or from nowhere in particular: every folder (of the account, or of every account)
    case 'here':
    case 'all':
    case 'any':
      for (const accountId of accountIds) {
        const list = foldersForAll(accounts.folders(accountId) ?? []);
        const first = [list.find((f) => f.path === origin?.path), list.find((f) => f.specialUse === 'inbox' || f.path.toUpperCase() === 'INBOX')];
        for (const folder of [...first, ...list]) {
          if (folder) {
            add(accountId, folder.path);
          }
        }
      }
      break;
    case 'folders':
      for (const named of scope.folders) {
        let found = false;
        for (const accountId of accountIds) {
          const folder = findFolder(accounts.folders(accountId) ?? [], named.name);
          if (folder) {
            add(accountId, folder.path);
            found = true;
          }
        }
        if (!found) {
          throw new QueryError(`No folder "${named.name}"${accountIds.length > 1 ? ' in any account' : ''}`, named.start, named.end);
        }
      }
      break;
  }
  return out;
}
