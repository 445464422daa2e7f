// Folder listing: LIST (with LIST-STATUS when the server has it; imapflow falls back to STATUS
// per folder otherwise), turned into the tree the user sees. Names arrive decoded from modified
// UTF-7 (RFC 3501 5.1.3) by imapflow.
import { type ImapFlow, type ListResponse } from 'imapflow';

export type SpecialUse = 'inbox' | 'sent' | 'drafts' | 'trash' | 'junk' | 'archive' | 'flagged' | 'all';

export interface FolderInfo {
  path: string;
  name: string;
  delimiter: string;
  specialUse?: SpecialUse;
  /** False for \Noselect / \NonExistent parents: they can be expanded but not opened. */
  selectable: boolean;
  subscribed: boolean;
  unseen?: number;
  total?: number;
  children: FolderInfo[];
}

const SPECIAL: Record<string, SpecialUse> = {
  '\\inbox': 'inbox',
  '\\sent': 'sent',
  '\\drafts': 'drafts',
  '\\trash': 'trash',
  '\\junk': 'junk',
  '\\archive': 'archive',
  '\\flagged': 'flagged',
  '\\all': 'all',
};

const ORDER: SpecialUse[] = ['inbox', 'drafts', 'sent', 'archive', 'flagged', 'all', 'junk', 'trash'];

function rank(folder: FolderInfo): number {
  return folder.specialUse ? ORDER.indexOf(folder.specialUse) : ORDER.length;
}

function compareFolders(a: FolderInfo, b: FolderInfo): number {
  return rank(a) - rank(b) || a.name.localeCompare(b.name, undefined, { sensitivity: 'base', numeric: true });
}

/**
 * Pure: builds the folder hierarchy from a flat LIST answer, inventing parents the server left out.
 * `personalPrefix` is the personal namespace (RFC 2342), e.g. "INBOX." on classic Cyrus and
 * Courier: its folders are shown at the top beside INBOX, as mail clients show them, not under it.
 */
export function buildFolderTree(list: ListResponse[], personalPrefix = ''): FolderInfo[] {
  const byPath = new Map<string, FolderInfo>();
  const roots: FolderInfo[] = [];
  const ensure = (path: string, name: string, delimiter: string): FolderInfo => {
    let folder = byPath.get(path);
    if (!folder) {
      folder = { path, name, delimiter, selectable: false, subscribed: false, children: [] };
      byPath.set(path, folder);
    }
    return folder;
  };
  for (const entry of list) {
    const flags = new Set([...entry.flags].map((f) => f.toLowerCase()));
    const folder = ensure(entry.path, entry.name, entry.delimiter || '/');
    folder.name = entry.name;
    folder.selectable = !flags.has('\\noselect') && !flags.has('\\nonexistent');
    folder.subscribed = entry.subscribed;
    const special = entry.specialUse ? SPECIAL[entry.specialUse.toLowerCase()] : undefined;
    if (special) {
      folder.specialUse = special;
    } else if (entry.path.toUpperCase() === 'INBOX') {
      folder.specialUse = 'inbox';
    }
    if (entry.status) {
      folder.unseen = entry.status.unseen;
      folder.total = entry.status.messages;
    }
  }
  const placed = new Set<string>();
  const place = (folder: FolderInfo): void => {
    if (placed.has(folder.path)) {
      return;
    }
    placed.add(folder.path);
    const d = folder.delimiter;
    const cut = d ? folder.path.lastIndexOf(d) : -1;
    if (cut <= 0) {
      roots.push(folder);
      return;
    }
    const parentPath = folder.path.slice(0, cut);
    if (personalPrefix && `${parentPath}${d}` === personalPrefix) {
      roots.push(folder);
      return;
    }
    const parent = byPath.get(parentPath) ?? ensure(parentPath, parentPath.slice(parentPath.lastIndexOf(d) + 1), d);
    place(parent);
    parent.children.push(folder);
  };
  [...byPath.values()].forEach(place);
  const sortDeep = (folders: FolderInfo[]) => {
    folders.sort(compareFolders);
    folders.forEach((f) => sortDeep(f.children));
  };
  sortDeep(roots);
  return roots;
}

export async function listFolders(client: ImapFlow, options: { subscribedOnly?: boolean } = {}): Promise<FolderInfo[]> {
  const list = await client.list({ statusQuery: { unseen: true, messages: true } });
  const visible = options.subscribedOnly ? list.filter((f) => f.subscribed || f.path.toUpperCase() === 'INBOX') : list;
  return buildFolderTree(visible, client.namespace?.prefix ?? '');
}

export function flattenFolders(folders: FolderInfo[]): FolderInfo[] {
  return folders.flatMap((f) => [f, ...flattenFolders(f.children)]);
}
