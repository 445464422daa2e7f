// Message actions on a set of UIDs of the selected folder, one IMAP command per action, never one
// per message. Moves never lose or duplicate mail: MOVE when the server has it; otherwise COPY,
// then STORE \Deleted and UID EXPUNGE of exactly those UIDs (UIDPLUS); without UIDPLUS a bare
// EXPUNGE would also remove what other clients marked \Deleted, so the originals are only marked.
import { type ImapFlow } from 'imapflow';
import { MailError } from '../errors';
import { uidSet } from './headers';

export interface ActionTarget {
  client: ImapFlow;
  /** The server's words for the last refused command (MailSession.takeRefusal). */
  refusal(): string | undefined;
}

function refused(target: ActionTarget, what: string): MailError {
  // imapflow answers `false` both for a NO and for a connection lost mid-command: tell them apart,
  // a lost connection means the outcome is unknown and must be looked up, not reported as refused
  if (!target.client.usable) {
    return new MailError('DISCONNECTED', `The connection was lost while trying to ${what}.`);
  }
  const text = target.refusal();
  return new MailError('SERVER_NO', text ? `The server refused to ${what}: ${text}` : `The server refused to ${what}.`, text ? { serverText: text } : {});
}

export async function setFlags(target: ActionTarget, uids: number[], flags: string[], on: boolean): Promise<void> {
  if (!uids.length || !flags.length) {
    return;
  }
  const set = uidSet(uids);
  const ok = on ? await target.client.messageFlagsAdd(set, flags, { uid: true }) : await target.client.messageFlagsRemove(set, flags, { uid: true });
  if (!ok) {
    throw refused(target, `${on ? 'set' : 'clear'} ${flags.join(' ')}`);
  }
}

export interface CopyResult {
  /** Source UID to the UID of the copy (UIDPLUS COPYUID), when the server says. */
  uidMap?: Map<number, number>;
}

export async function copyMessages(target: ActionTarget, uids: number[], destination: string): Promise<CopyResult> {
  const result = await target.client.messageCopy(uidSet(uids), destination, { uid: true });
  if (!result) {
    throw refused(target, `copy the messages to "${destination}"`);
  }
  return result.uidMap ? { uidMap: result.uidMap } : {};
}

export type MoveMethod = 'MOVE' | 'COPY+EXPUNGE' | 'COPY+DELETED';

export interface MoveResult extends CopyResult {
  method: MoveMethod;
  /** True when the originals stay in the source folder, marked \Deleted (no UIDPLUS). */
  leftMarkedDeleted: boolean;
}

/** Removes exactly these messages: STORE \Deleted, then UID EXPUNGE (needs UIDPLUS). */
export async function expungeUids(target: ActionTarget, uids: number[]): Promise<{ expunged: boolean }> {
  if (!uids.length) {
    return { expunged: true };
  }
  if (!target.client.capabilities.has('UIDPLUS')) {
    await setFlags(target, uids, ['\\Deleted'], true);
    return { expunged: false };
  }
  // with UIDPLUS, messageDelete() is STORE +FLAGS \Deleted then UID EXPUNGE of this set only
  const ok = await target.client.messageDelete(uidSet(uids), { uid: true });
  if (!ok) {
    throw refused(target, 'expunge the messages');
  }
  return { expunged: true };
}

export async function moveMessages(target: ActionTarget, uids: number[], destination: string): Promise<MoveResult> {
  const { client } = target;
  if (client.capabilities.has('MOVE')) {
    const result = await client.messageMove(uidSet(uids), destination, { uid: true });
    if (!result) {
      throw refused(target, `move the messages to "${destination}"`);
    }
    return { method: 'MOVE', leftMarkedDeleted: false, ...(result.uidMap ? { uidMap: result.uidMap } : {}) };
  }
  const copied = await copyMessages(target, uids, destination);
  const { expunged } = await expungeUids(target, uids);
  return { ...copied, method: expunged ? 'COPY+EXPUNGE' : 'COPY+DELETED', leftMarkedDeleted: !expunged };
}

/**
 * Finds messages in the selected folder by Message-ID (to undo or verify a move without COPYUID):
 * one SEARCH for all of them, one FETCH to tell which is which.
 */
export async function findByMessageId(client: ImapFlow, messageIds: string[]): Promise<Map<string, number>> {
  const wanted = new Set(messageIds.filter(Boolean));
  const found = new Map<string, number>();
  if (!wanted.size) {
    return found;
  }
  const terms = [...wanted].map((id) => ({ header: { 'message-id': id } }));
  const uids = await client.search(terms.length === 1 ? terms[0] : { or: terms }, { uid: true });
  if (!Array.isArray(uids) || !uids.length) {
    return found;
  }
  for await (const message of client.fetch(uidSet(uids), { uid: true, envelope: true }, { uid: true })) {
    const id = message.envelope?.messageId;
    if (id && wanted.has(id)) {
      found.set(id, Math.max(found.get(id) ?? 0, message.uid));
    }
  }
  return found;
}

/** Which of these UIDs still exist in the selected folder. */
export async function existingUids(client: ImapFlow, uids: number[]): Promise<Set<number>> {
  if (!uids.length) {
    return new Set();
  }
  const found = await client.search({ uid: uidSet(uids) }, { uid: true });
  return new Set(Array.isArray(found) ? found : []);
}
