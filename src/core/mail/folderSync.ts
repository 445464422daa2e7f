// Keeping a loaded folder in step with the server: new mail (EXISTS), messages expunged by other
// clients (EXPUNGE / VANISHED), flags changed elsewhere (FETCH FLAGS), a new UIDVALIDITY; and the
// resync after a reconnect, which with CONDSTORE/QRESYNC (RFC 7162) asks only for what changed
// since the last known MODSEQ and otherwise re-reads the flags of the loaded range.
import { type ImapFlow, type MailboxObject } from 'imapflow';
import { type FolderMessages } from './folderModel';
import { fetchHeaderPage, HEADER_QUERY, messageFlags, type MessageSummary, toSummary } from './headers';
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
      const flags = messageFlags(message.flags);
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

export type ResyncMethod = 'qresync' | 'changedsince' | 'flags' | 'reload';

/**
 * Brings a model restored from the header cache up to date, on a connection where the folder is
 * not selected yet. With QRESYNC the changes ride in the SELECT itself (RFC 7162 3.2.5: FETCH for
 * changed flags, VANISHED (EARLIER) for expunges): no extra round trip, bytes proportional to the
 * changes. Otherwise the flags of the cached range are read again (CHANGEDSINCE where possible).
 * Messages that arrived meanwhile are fetched above the newest cached one; when more arrived than
 * two pages, or UIDVALIDITY changed, the cache is worthless and the first page is loaded afresh.
 */
export async function resyncCached(client: ImapFlow, path: string, model: FolderMessages, pageSize: number): Promise<{ change: FolderChange; method: ResyncMethod }> {
  const change = emptyChange();
  const changedFlags = new Map<number, string[]>();
  const vanished: number[] = [];
  const onFlags = (e: { path: string; uid?: number; flags: Set<string> }) => {
    if (e.path === path && e.uid !== undefined) {
      changedFlags.set(e.uid, messageFlags(e.flags));
    }
  };
  const onExpunge = (e: { path: string; uid?: number }) => {
    if (e.path === path && e.uid !== undefined) {
      vanished.push(e.uid);
    }
  };
  const alreadyOpen = client.mailbox && client.mailbox.path === path;
  const askQresync = !alreadyOpen && client.enabled.has('QRESYNC') && model.highestModseq !== undefined && model.uidValidity !== undefined;
  client.on('flags', onFlags);
  client.on('expunge', onExpunge);
  let method: ResyncMethod;
  try {
    const lock = await client.getMailboxLock(path, askQresync ? { uidValidity: BigInt(model.uidValidity!), changedSince: model.highestModseq } : {});
    try {
      const mailbox = client.mailbox;
      if (!mailbox) {
        throw new Error(`The folder "${path}" could not be opened.`);
      }
      if (String(mailbox.uidValidity) !== model.uidValidity) {
        return { change: await reloadFirstPage(client, mailbox, model, pageSize, change), method: 'reload' };
      }
      // imapflow keeps `qresync` set only when the server accepted the QRESYNC parameters
      if (askQresync && (mailbox as MailboxObject & { qresync?: boolean }).qresync) {
        method = 'qresync';
        for (const [uid, flags] of changedFlags) {
          const before = model.replaceFlags(uid, flags);
          if (before) {
            change.flagged.push({ uid, before, after: flags });
          }
        }
        change.removed.push(...model.remove(vanished));
      } else {
        method = client.enabled.has('QRESYNC') && model.highestModseq !== undefined && !mailbox.noModseq ? 'changedsince' : 'flags';
        await resyncLoaded(client, model, change);
      }
      // UIDNEXT bounds how many arrived since; more than two pages and the cache is not worth extending
      const arrived = Math.max(0, mailbox.uidNext - 1 - model.maxUid);
      if (arrived > pageSize * 2) {
        return { change: await reloadFirstPage(client, mailbox, model, pageSize, change), method: 'reload' };
      }
      if (arrived > 0 && mailbox.exists > 0) {
        await fetchNewer(client, model, change);
      }
      model.total = mailbox.exists;
      if (mailbox.highestModseq !== undefined) {
        model.highestModseq = mailbox.highestModseq;
      }
      return { change, method };
    } finally {
      lock.release();
    }
  } finally {
    client.off('flags', onFlags);
    client.off('expunge', onExpunge);
  }
}

async function reloadFirstPage(client: ImapFlow, mailbox: MailboxObject, model: FolderMessages, pageSize: number, change: FolderChange): Promise<FolderChange> {
  model.reset();
  change.reset = true;
  const page = await fetchHeaderPage(client, mailbox, pageSize);
  model.addPage(page, true);
  change.added = [...model.messages];
  return change;
}
