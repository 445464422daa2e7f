// Links to a message that work outside the mail client: "vscode://<publisher.name>/message/<Message-ID>"
// (RFC 5322 3.6.4 msg-id without its angle brackets, percent-encoded per RFC 3986), for commit
// messages, issues and code comments. The lookup that opens one is findMessageById: INBOX first,
// then the All and Archive folders, then every other folder, one SEARCH HEADER Message-ID each.
import { type ImapFlow } from 'imapflow';
import { toMailError } from '../errors';
import { type FolderInfo } from '../mail/folders';

/** The id goes in the path, not a query: VS Code hands a URI handler its query decoded, where a "+" or "&" of the id could no longer be told apart. */
export const MESSAGE_LINK_PATH = '/message/';
const MAX_MESSAGE_ID = 998;

/** "<a@b>" or "a@b" -> "a@b"; undefined when it cannot be a Message-ID (empty, too long, controls, brackets inside). */
export function bareMessageId(messageId: string | undefined): string | undefined {
  let id = (messageId ?? '').trim();
  if (id.startsWith('<') && id.endsWith('>')) {
    id = id.slice(1, -1);
  }
  if (!id || id.length > MAX_MESSAGE_ID || /[\u0000-\u001f\u007f<>]/.test(id)) {
    return undefined;
  }
  return id;
}

/**
 * The link for a message: `${uriScheme}://${extensionId}/message/<percent-encoded id>`. `uriScheme` is
 * vscode.env.uriScheme ("vscode", "vscode-insiders", "code-oss"...), `extensionId` the
 * publisher.name id the URI handler is registered under. Throws on an unusable Message-ID.
 */
export function messageLink(uriScheme: string, extensionId: string, messageId: string): string {
  const id = bareMessageId(messageId);
  if (!id) {
    throw new Error('This message has no usable Message-ID, so it cannot be linked to.');
  }
  return `${uriScheme}://${extensionId}${MESSAGE_LINK_PATH}${encodeURIComponent(id)}`;
}

/**
 * Reads a link's path as vscode.Uri gives it (percent-decoded). Returns the Message-ID with angle
 * brackets, or undefined for anything else.
 */
export function parseMessageLink(path: string): { messageId: string } | undefined {
  if (!path.startsWith(MESSAGE_LINK_PATH) || path.length > MESSAGE_LINK_PATH.length + MAX_MESSAGE_ID) {
    return undefined;
  }
  const id = bareMessageId(path.slice(MESSAGE_LINK_PATH.length));
  return id ? { messageId: `<${id}>` } : undefined;
}

/** Folders in the order a message is looked for: INBOX, All, Archive, then the rest as listed. */
export function lookupOrder(folders: FolderInfo[]): string[] {
  const flat: FolderInfo[] = [];
  const walk = (list: FolderInfo[]) => {
    for (const f of list) {
      flat.push(f);
      walk(f.children);
    }
  };
  walk(folders);
  const selectable = flat.filter((f) => f.selectable);
  const rank = (f: FolderInfo) => (f.specialUse === 'inbox' || f.path.toUpperCase() === 'INBOX' ? 0 : f.specialUse === 'all' ? 1 : f.specialUse === 'archive' ? 2 : 3);
  return selectable.map((f, i) => ({ f, i })).sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i).map(({ f }) => f.path);
}

export interface FoundMessage {
  path: string;
  uid: number;
  uidValidity: string;
}

/** The session calls findMessageById needs (a MailSession has them). */
export interface FolderSearcher {
  withMailbox<T>(path: string, fn: (client: ImapFlow, mailbox: { uidValidity: bigint | number | string }) => Promise<T>, options?: { readOnly?: boolean; idempotent?: boolean }): Promise<T>;
}

/**
 * Looks for the message with this Message-ID in `folders` (lookupOrder's order), one EXAMINE and
 * `UID SEARCH HEADER Message-ID` per folder (RFC 3501 6.4.4; imapflow quotes or sends a literal, so
 * any characters are safe), and stops at the first folder that has it. SEARCH HEADER matches
 * substrings, so each hit's envelope Message-ID is compared exactly. Returns undefined when no
 * folder has it. Folders that cannot be opened are skipped.
 */
export async function findMessageById(session: FolderSearcher, folders: string[], messageId: string): Promise<FoundMessage | undefined> {
  const bare = bareMessageId(messageId);
  if (!bare) {
    return undefined;
  }
  const wanted = `<${bare}>`;
  for (const path of folders) {
    let found: FoundMessage | undefined;
    try {
      found = await session.withMailbox(path, async (client, mailbox) => {
        const uids = await client.search({ header: { 'message-id': bare } }, { uid: true });
        if (!Array.isArray(uids) || !uids.length) {
          return undefined;
        }
        for await (const m of client.fetch(uids.slice(0, 50).join(','), { uid: true, envelope: true }, { uid: true })) {
          if (m.envelope?.messageId?.trim() === wanted) {
            return { path, uid: m.uid, uidValidity: String(mailbox.uidValidity) };
          }
        }
        return undefined;
      }, { readOnly: true, idempotent: true });
    } catch (err) {
      // a folder that cannot be opened (removed meanwhile, no rights) is skipped; a dead connection is not
      const code = toMailError(err).code;
      if (code !== 'SERVER_NO' && code !== 'NOT_FOUND') {
        throw err;
      }
      continue;
    }
    if (found) {
      return found;
    }
  }
  return undefined;
}
