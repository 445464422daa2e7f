// The one IMAP APPEND of the extension (drafts, copies in Sent, anything stored later): the message
// passes the canonical check first, so a server as strict as Cyrus never sees bare newlines, and
// a refusal comes back in the server's words. ESLint keeps other code from calling append().
import { MailError, toMailError } from '../errors';
import { type MailSession } from '../mail/session';
import { requireCanonical } from './canonical';

export interface Appended {
  /** The new message's UID (RFC 4315 APPENDUID), when the server says. */
  uid?: number;
}

/**
 * Stores `raw` in `folder` with `flags` (RFC 3501 6.3.11). `purpose` words the errors
 * ("saved in Drafts"). Throws MailError: INVALID_INPUT when the message is not canonical (nothing
 * is sent to the server), SERVER_NO with the server's text when it refuses, or a connection error.
 */
export async function appendMessage(session: MailSession, folder: string, raw: Buffer, flags: string[], purpose: string): Promise<Appended> {
  await requireCanonical(raw, purpose);
  const { host, port } = session.account.imap;
  const appended = await session.run(async (client) => {
    try {
      return await client.append(folder, raw, flags);
    } catch (err) {
      // imapflow throws on a NO with the server's words (responseText) and code (serverResponseCode);
      // mapped here, where the folder is known
      throw toMailError(err, { host, port, folder });
    }
  });
  if (!appended) {
    throw new MailError('SERVER_NO', `The message was not ${purpose}: the server did not confirm it.`, { host, port });
  }
  return appended.uid !== undefined ? { uid: appended.uid } : {};
}
