// The one way a folder is named to a user: its path cut at the server's hierarchy delimiter and
// joined with " / " ("Triage.Confirmed" on a "."-server reads "Triage / Confirmed"), in every
// notification, picker, dialog, status message and undo label. Paths arrive decoded from
// modified UTF-7 (RFC 3501 5.1.3) by imapflow; each level is made plain text.
import { plainLabel } from '../text';

/**
 * The display name of a folder path. `delimiter` is the one the server gave in LIST (RFC 3501
 * 7.2.2); when unknown (undefined) the path is shown whole. At most `max` characters.
 */
export function folderDisplayName(path: string, delimiter: string | null | undefined, max = 200): string {
  const levels = delimiter ? path.split(delimiter) : [path];
  return plainLabel(levels.map((level) => plainLabel(level, max)).filter(Boolean).join(' / '), max);
}

/** A folder of a folder tree (FolderInfo of buildFolderTree), as much as naming needs. */
export interface NamedFolder {
  path: string;
  /** The last level of the path, as LIST gave it. */
  name: string;
  children: readonly NamedFolder[];
}

/**
 * The display name of every folder of a folder tree, by IMAP path: the names from the top of the
 * tree down, joined with " / ", as the Mail tree shows them. A personal namespace prefix (RFC 2342,
 * "INBOX." on classic Cyrus and Courier) is therefore not a level: buildFolderTree puts its folders
 * at the top, so "INBOX.Triage.Confirmed" reads "Triage / Confirmed". Each at most `max` characters.
 */
export function folderTreeNames(roots: readonly NamedFolder[], max = 200): Map<string, string> {
  const names = new Map<string, string>();
  const stack: Array<{ folder: NamedFolder; above: string }> = roots.map((folder) => ({ folder, above: '' }));
  for (let next = stack.pop(); next; next = stack.pop()) {
    const level = plainLabel(next.folder.name, max) || plainLabel(next.folder.path, max);
    const name = next.above ? `${next.above} / ${level}` : level;
    names.set(next.folder.path, plainLabel(name, max));
    for (const child of next.folder.children) {
      stack.push({ folder: child, above: name });
    }
  }
  return names;
}

/** The delimiter of `path` among known folders (LIST results), if the folder is known. */
export function delimiterOf(folders: ReadonlyArray<{ path: string; delimiter: string }> | undefined, path: string): string | undefined {
  return folders?.find((f) => f.path === path)?.delimiter;
}

/**
 * `path` without the personal namespace prefix (RFC 2342), "INBOX." on classic Cyrus and Courier:
 * "INBOX.Triage" reads "Triage", as the tree shows it beside INBOX. INBOX itself stays.
 */
export function withoutPersonalPrefix(path: string, prefix: string | undefined): string {
  return prefix && path.startsWith(prefix) && path.length > prefix.length ? path.slice(prefix.length) : path;
}
