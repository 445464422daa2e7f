// Keeping a loaded folder in step with the server: new mail (EXISTS), messages expunged by other
// clients (EXPUNGE / VANISHED), flags changed elsewhere (FETCH FLAGS), a new UIDVALIDITY; and the
// resync after a reconnect, which with CONDSTORE/QRESYNC (RFC 7162) asks only for what changed
// since the last known MODSEQ and otherwise re-reads the flags of the loaded range.
import { type ImapFlow } from 'imapflow';
import { type FolderMessages } from './folderModel';
import { HEADER_QUERY, type MessageSummary, toSummary } from './headers';
import { type MailboxEvent } from './session';

export interface FolderChange {
  /** Messages that arrived (newest first). */
  added: MessageSummary[];
  /** UIDs that disappeared. */
  removed: MessageSummary[];
  /** UIDs whose flags changed, with the flags they had before. */
  flagged: Array<{ uid: number; before: string[]; after: string[] }>;
  /** The folder was reset (UIDVALIDITY changed): everything loaded is gone. */
  reset: boolean;
}

export function emptyChange(): FolderChange {
  return { added: [], removed: [], flagged: [], reset: false };
}

export function isEmptyChange(change: FolderChange): boolean {
  return !change.reset && !change.added.length && !change.removed.length && !change.flagged.length;
}

/** What an event needs beyond updating the model in place. */
export interface EventOutcome {
  /** EXISTS grew: fetch the headers above the newest loaded UID. */
  fetchNew: boolean;
  /** Only a sequence number was given (no QRESYNC): re-read the loaded range to know which UID. */
  resync: boolean;
}

/** Applies one unsolicited event to the model (pure). */
export function applyEvent(model: FolderMessages, event: MailboxEvent, change: FolderChange): EventOutcome {
  switch (event.type) {
    case 'exists':
      return { fetchNew: event.count > event.prevCount, resync: false };
    case 'expunge':
      if (event.uid !== undefined) {
        change.removed.push(...model.remove([event.uid]));
        return { fetchNew: false, resync: false };
      }
      return { fetchNew: false, resync: true };
    case 'flags':
      if (event.uid !== undefined) {
        const before = model.replaceFlags(event.uid, event.flags);
        if (before) {
          change.flagged.push({ uid: event.uid, before, after: event.flags });
        }
        if (event.modseq !== undefined && (model.highestModseq === undefined || event.modseq > model.highestModseq)) {
          model.highestModseq = event.modseq;
        }
        return { fetchNew: false, resync: false };
      }
      return { fetchNew: false, resync: true };
    case 'opened':
      if (model.uidValidity !== undefined && model.uidValidity !== event.uidValidity) {
        // RFC 3501 2.3.1.1: every UID we held means nothing now
        model.reset();
        change.reset = true;
      }
      return { fetchNew: false, resync: false };
    default:
      return { fetchNew: false, resync: false };
  }
}

/** Fetches the messages above the newest loaded one (the caller holds the mailbox lock). */
export async function fetchNewer(client: ImapFlow, model: FolderMessages, change: FolderChange): Promise<void> {
  const above = model.maxUid + 1;
  const fresh: MessageSummary[] = [];
  // "n:*" with n above the highest UID still returns the highest message (RFC 3501 6.4.8): filter
  for await (const message of client.fetch(`${above}:*`, HEADER_QUERY, { uid: true })) {
    if (message.uid >= above) {
      fresh.push(toSummary(message));
    }
  }
  change.added.push(...model.addNewer(fresh));
}

/**
 * Brings the loaded range up to date after a reconnect or an event that named only a sequence
 * number. With CONDSTORE and a known MODSEQ: UID FETCH (FLAGS) (CHANGEDSINCE m VANISHED), so the
 * bytes follow the changes, not the folder. Otherwise: the flags of the loaded range.
 */
export async function resyncLoaded(client: ImapFlow, model: FolderMessages, change: FolderChange): Promise<void> {
  if (!model.messages.length) {
    return;
  }
  const range = `${model.minUid}:${model.maxUid}`;
  const mailbox = client.mailbox;
  const condstore = Boolean(mailbox && !mailbox.noModseq && client.enabled.has('CONDSTORE') && model.highestModseq !== undefined);
  const seen = new Set<number>();
  const vanished: number[] = [];
  const onExpunge = (e: { uid?: number; path: string }) => {
    if (e.uid !== undefined && mailbox && e.path === mailbox.path) {
      vanished.push(e.uid);
    }
  };
  client.on('expunge', onExpunge);
  try {
    const options = condstore ? { uid: true, changedSince: model.highestModseq } : { uid: true };
    for await (const message of client.fetch(range, { uid: true, flags: true }, options)) {
      seen.add(message.uid);
      const flags = [...(message.flags ?? [])];
      const before = model.replaceFlags(message.uid, flags);
      if (before) {
        change.flagged.push({ uid: message.uid, before, after: flags });
      }
    }
  } finally {
    client.off('expunge', onExpunge);
  }
  if (condstore) {
    change.removed.push(...model.remove(vanished));
  } else {
    // without CONDSTORE every loaded message answers; the silent ones are gone
    change.removed.push(...model.remove(model.messages.filter((m) => !seen.has(m.uid)).map((m) => m.uid)));
  }
  const modseq = client.mailbox ? client.mailbox.highestModseq : undefined;
  if (modseq !== undefined) {
    model.highestModseq = modseq;
  }
}
