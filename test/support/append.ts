// Seeding Dovecot over IMAP, as another mail client would: APPEND with flags and an INTERNALDATE
// (what search by date and conversations need), and a client of its own for changes "made
// elsewhere" while a test watches.
import { ImapFlow } from 'imapflow';
import { DEFAULT_USER, type DovecotServer } from './dovecot';

export interface AppendMessage {
  folder: string;
  raw: Buffer;
  flags?: string[];
  /** INTERNALDATE (the received date searches and the tree order by). */
  date?: Date;
}

/** A logged-in imapflow client as "another client" (the caller logs out). */
export async function otherClient(server: DovecotServer): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: server.host,
    port: server.imapsPort,
    secure: true,
    auth: { user: DEFAULT_USER.name, pass: DEFAULT_USER.password },
    tls: { ca: server.ca ? [server.ca.pem] : [] },
    logger: false,
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** APPENDs the messages in order (folders are created when missing); returns their UIDs. */
export async function appendMessages(server: DovecotServer, messages: AppendMessage[]): Promise<number[]> {
  const client = await otherClient(server);
  const uids: number[] = [];
  try {
    const known = new Set((await client.list()).map((f) => f.path));
    for (const m of messages) {
      if (!known.has(m.folder)) {
        await client.mailboxCreate(m.folder);
        known.add(m.folder);
      }
      const result = await client.append(m.folder, m.raw, m.flags ?? [], m.date);
      if (!result || !result.uid) {
        throw new Error(`APPEND to ${m.folder} failed`);
      }
      uids.push(result.uid);
    }
  } finally {
    await client.logout();
  }
  return uids;
}
