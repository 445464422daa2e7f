// Folder management: create, rename, delete, subscribe. Names are joined with the server's
// hierarchy delimiter; a name that contains the delimiter would silently create a hierarchy, so
// it is refused with a sentence instead.
import { type ImapFlow } from 'imapflow';
import { MailError, toMailError } from '../errors';

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

async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw toMailError(err);
  }
}

/** Creates `name` under `parent` (or at the top) and returns its full path. */
export async function createFolder(client: ImapFlow, parent: string | undefined, name: string): Promise<string> {
  const delimiter = await delimiterOf(client, parent);
  const path = parent ? `${parent}${delimiter}${checkName(name, delimiter)}` : checkName(name, delimiter);
  const created = await guarded(() => client.mailboxCreate(path));
  return created.path;
}

/** Renames the last level of `path`, keeping it where it is; returns the new path. */
export async function renameFolder(client: ImapFlow, path: string, newName: string): Promise<string> {
  const delimiter = await delimiterOf(client, path);
  const cut = path.lastIndexOf(delimiter);
  const target = `${cut >= 0 ? path.slice(0, cut + 1) : ''}${checkName(newName, delimiter)}`;
  const renamed = await guarded(() => client.mailboxRename(path, target));
  return renamed.newPath;
}

export async function deleteFolder(client: ImapFlow, path: string): Promise<void> {
  await guarded(() => client.mailboxDelete(path));
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
