// Folder management: create, rename, delete, subscribe. Names are joined with the server's
// hierarchy delimiter; a name that contains the delimiter would silently create a hierarchy, so
// it is refused with a sentence instead. A refusal is told by what the server said (errors.ts):
// a name that is taken, subfolders in the way, a protected special-use folder.
import { type ImapFlow } from 'imapflow';
import { type ErrorContext, MailError, toMailError } from '../errors';
import { folderDisplayName, withoutPersonalPrefix } from './folderName';

async function delimiterOf(client: ImapFlow, near?: string): Promise<string> {
  const list = await client.list();
  const match = near ? list.find((f) => f.path === near) : undefined;
  return (match ?? list[0])?.delimiter || '/';
}

function checkName(name: string, delimiter: string): string {
  const trimmed = name.trim();
  if (!trimmed) {
    throw new MailError('INVALID_INPUT', 'A folder needs a name.');
  }
  if (trimmed.includes(delimiter)) {
    throw new MailError('INVALID_INPUT', `A folder name cannot contain "${delimiter}": this server uses it to separate folder levels.`);
  }
  return trimmed;
}

/** A path as the user reads it, "Triage / Confirmed", without the personal namespace prefix. */
function displayName(client: ImapFlow, path: string, delimiter: string): string {
  return folderDisplayName(withoutPersonalPrefix(path, client.namespace?.prefix), delimiter);
}

async function guarded<T>(work: () => Promise<T>, context: ErrorContext = {}): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw toMailError(err, context);
  }
}

/**
 * Creates `name` under `parent` (or at the top of the personal namespace) and returns its full
 * path. Throws MailError ALREADY_EXISTS when the name is taken (Dovecot says [ALREADYEXISTS], on
 * which imapflow reports created: false; Cyrus says "Mailbox already exists" without the code).
 */
export async function createFolder(client: ImapFlow, parent: string | undefined, name: string): Promise<string> {
  const delimiter = await delimiterOf(client, parent);
  const path = parent ? `${parent}${delimiter}${checkName(name, delimiter)}` : checkName(name, delimiter);
  const context: ErrorContext = { action: 'create', folder: displayName(client, path, delimiter) };
  const created = await guarded(() => client.mailboxCreate(path), context);
  if (!created.created) {
    throw toMailError({ message: 'Mailbox already exists', responseStatus: 'NO', serverResponseCode: 'ALREADYEXISTS', responseText: 'Mailbox already exists' }, context);
  }
  return created.path;
}

/** Renames the last level of `path`, keeping it where it is; returns the new path. */
export async function renameFolder(client: ImapFlow, path: string, newName: string): Promise<string> {
  const delimiter = await delimiterOf(client, path);
  const cut = path.lastIndexOf(delimiter);
  const target = `${cut >= 0 ? path.slice(0, cut + 1) : ''}${checkName(newName, delimiter)}`;
  const refusedAs = (err: unknown) => {
    // the taken name is the target's; any other refusal is about the folder being renamed
    const error = toMailError(err);
    return toMailError(err, { action: 'rename', folder: displayName(client, error.code === 'ALREADY_EXISTS' ? target : path, delimiter) });
  };
  try {
    return (await client.mailboxRename(path, target)).newPath;
  } catch (err) {
    throw refusedAs(err);
  }
}

/**
 * Deletes the folder. Throws MailError FOLDER_HAS_CHILDREN (RFC 5530 HASCHILDREN: Cyrus refuses a
 * folder with subfolders; Dovecot deletes it and keeps the children under a \Noselect name) or
 * FOLDER_PROTECTED (Cyrus refuses to delete a special-use folder) in plain words.
 */
export async function deleteFolder(client: ImapFlow, path: string): Promise<void> {
  const delimiter = await delimiterOf(client, path);
  await guarded(() => client.mailboxDelete(path), { action: 'delete', folder: displayName(client, path, delimiter) });
}

export async function setSubscribed(client: ImapFlow, path: string, subscribed: boolean): Promise<void> {
  const ok = await guarded(() => (subscribed ? client.mailboxSubscribe(path) : client.mailboxUnsubscribe(path)));
  if (!ok) {
    throw new MailError('SERVER_NO', `The server refused to ${subscribed ? 'subscribe to' : 'unsubscribe from'} "${path}".`);
  }
}

/** How many messages a folder holds (to say so before deleting it). */
export async function folderMessageCount(client: ImapFlow, path: string): Promise<number> {
  const status = await guarded(() => client.status(path, { messages: true }));
  return status ? (status.messages ?? 0) : 0;
}
