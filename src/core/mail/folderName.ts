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
