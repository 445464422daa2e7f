// Keeping a loaded window in step with the server: new mail (EXISTS), messages expunged by other
// clients (EXPUNGE / VANISHED), flags changed elsewhere (FETCH FLAGS), a new UIDVALIDITY; and the
// resync after a reconnect or a restart, which with CONDSTORE/QRESYNC (RFC 7162) asks only for
// what changed since the window's MODSEQ and otherwise re-reads the flags of the loaded range.
// Nothing here changes a window: each function reads a snapshot and returns what the server said
// (a WindowDelta), and the store applies it (store.ts), so every change goes through one door.
import { type ImapFlow, type MailboxObject } from 'imapflow';
import { fetchHeaderPage, HEADER_QUERY, type HeaderPage, messageFlags, type MessageSummary, toSummary } from './headers';
import { type MailboxEvent } from './session';
import { type WindowDelta, type WindowSnapshot } from './window';

/** What a batch of unsolicited events means for a window, and what it needs from the server. */
export interface EventOutcome {
  delta: WindowDelta | undefined;
  /** EXISTS grew: fetch the headers above the newest loaded UID. */
  fetchNew: boolean;
  /** Only a sequence number was given (no QRESYNC): re-read the loaded range to know which UID. */
  resync: boolean;
  /** The folder came back with another UIDVALIDITY (RFC 3501 2.3.1.1): every UID we held means nothing. */
  reset: boolean;
}

/** Reads a burst of mailbox events (pure). Without a window only `fetchNew` (new mail) matters. */
export function eventsToDelta(snapshot: WindowSnapshot | undefined, events: readonly MailboxEvent[]): EventOutcome {
  const outcome: EventOutcome = { delta: undefined, fetchNew: false, resync: false, reset: false };
  const delta: WindowDelta = { uidValidity: snapshot?.uidValidity ?? '', flags: [], vanished: [] };
  for (const event of events) {
    switch (event.type) {
      case 'exists':
        outcome.fetchNew ||= event.count > event.prevCount;
        delta.total = event.count;
        break;
      case 'expunge':
        if (event.uid !== undefined) {
          delta.vanished!.push(event.uid);
        } else {
          outcome.resync = true;
        }
        break;
      case 'flags':
        if (event.uid !== undefined) {
          delta.flags!.push({ uid: event.uid, flags: event.flags, ...(event.modseq !== undefined ? { modseq: event.modseq } : {}) });
        } else {
          outcome.resync = true;
        }
        break;
      case 'opened':
        if (snapshot && snapshot.uidValidity !== event.uidValidity) {
          outcome.reset = true;
        }
        break;
      default:
        break;
    }
  }
  if (snapshot && !outcome.reset) {
    outcome.delta = delta;
  }
  return outcome;
}

/** The messages above the newest loaded one (the caller holds the mailbox lock). */
export async function fetchNewer(client: ImapFlow, snapshot: Pick<WindowSnapshot, 'maxUid'>): Promise<MessageSummary[]> {
  const above = snapshot.maxUid + 1;
  const fresh: MessageSummary[] = [];
  // "n:*" with n above the highest UID still returns the highest message (RFC 3501 6.4.8): filter
  for await (const message of client.fetch(`${above}:*`, HEADER_QUERY, { uid: true })) {
    if (message.uid >= above) {
      fresh.push(toSummary(message));
    }
  }
  return fresh.sort((a, b) => b.uid - a.uid);
}

/**
 * What changed in the loaded range, on a connection where the folder is selected (the caller
 * holds the lock). With CONDSTORE and a known MODSEQ: UID FETCH (FLAGS) (CHANGEDSINCE m VANISHED),
 * so the bytes follow the changes, not the folder. Otherwise: the flags of the whole range, and
 * a loaded message that does not answer is gone. Either way the result is complete up to the
 * mailbox's HIGHESTMODSEQ, which it carries.
 */
export async function resyncLoaded(client: ImapFlow, snapshot: WindowSnapshot): Promise<WindowDelta> {
  const delta: WindowDelta = { uidValidity: snapshot.uidValidity, flags: [], vanished: [] };
  if (!snapshot.uids.length) {
    return delta;
  }
  const range = `${snapshot.minUid}:${snapshot.maxUid}`;
  const mailbox = client.mailbox;
  const condstore = Boolean(mailbox && !mailbox.noModseq && client.enabled.has('CONDSTORE') && snapshot.highestModseq !== undefined);
  const seen = new Set<number>();
  const vanished: number[] = [];
  const onExpunge = (e: { uid?: number; path: string }) => {
    if (e.uid !== undefined && mailbox && e.path === mailbox.path) {
      vanished.push(e.uid);
    }
  };
  client.on('expunge', onExpunge);
  try {
    const options = condstore ? { uid: true, changedSince: snapshot.highestModseq } : { uid: true };
    for await (const message of client.fetch(range, { uid: true, flags: true }, options)) {
      seen.add(message.uid);
      delta.flags!.push({ uid: message.uid, flags: messageFlags(message.flags), ...(message.modseq !== undefined ? { modseq: BigInt(message.modseq) } : {}) });
    }
  } finally {
    client.off('expunge', onExpunge);
  }
  // without CONDSTORE every loaded message answers; the silent ones are gone
  delta.vanished = condstore ? vanished : snapshot.uids.filter((uid) => !seen.has(uid));
  const selected = client.mailbox;
  if (selected) {
    delta.total = selected.exists;
    if (selected.highestModseq !== undefined) {
      delta.highestModseq = selected.highestModseq;
    }
  }
  return delta;
}

export type ResyncMethod = 'qresync' | 'changedsince' | 'flags' | 'reload';

/** A resync's answer: what changed, or (method 'reload') a first page that replaces the window. */
export type ResyncResult = { method: Exclude<ResyncMethod, 'reload'>; delta: WindowDelta } | { method: 'reload'; page: HeaderPage };

/**
 * Brings a window restored from the header cache up to date, on a connection where the folder is
 * not selected yet. With QRESYNC the changes ride in the SELECT itself (RFC 7162 3.2.5: FETCH for
 * changed flags, VANISHED (EARLIER) for expunges): no extra round trip, bytes proportional to the
 * changes. Otherwise the flags of the cached range are read again (CHANGEDSINCE where possible).
 * Messages that arrived meanwhile are fetched above the newest cached one; when more arrived than
 * two pages, or UIDVALIDITY changed, the cache is worthless and the first page is loaded afresh.
 */
export async function resyncCached(client: ImapFlow, snapshot: WindowSnapshot, pageSize: number): Promise<ResyncResult> {
  const { path } = snapshot;
  const changedFlags = new Map<number, { flags: string[]; modseq?: bigint }>();
  const vanished: number[] = [];
  const onFlags = (e: { path: string; uid?: number; flags: Set<string>; modseq?: bigint }) => {
    if (e.path === path && e.uid !== undefined) {
      changedFlags.set(e.uid, { flags: messageFlags(e.flags), ...(e.modseq !== undefined ? { modseq: BigInt(e.modseq) } : {}) });
    }
  };
  const onExpunge = (e: { path: string; uid?: number }) => {
    if (e.path === path && e.uid !== undefined) {
      vanished.push(e.uid);
    }
  };
  const alreadyOpen = client.mailbox && client.mailbox.path === path;
  const askQresync = !alreadyOpen && client.enabled.has('QRESYNC') && snapshot.highestModseq !== undefined;
  client.on('flags', onFlags);
  client.on('expunge', onExpunge);
  try {
    const lock = await client.getMailboxLock(path, askQresync ? { uidValidity: BigInt(snapshot.uidValidity), changedSince: snapshot.highestModseq } : {});
    try {
      const mailbox = client.mailbox;
      if (!mailbox) {
        throw new Error(`The folder "${path}" could not be opened.`);
      }
      if (String(mailbox.uidValidity) !== snapshot.uidValidity) {
        return { method: 'reload', page: await fetchHeaderPage(client, mailbox, pageSize) };
      }
      let delta: WindowDelta;
      let method: Exclude<ResyncMethod, 'reload'>;
      // imapflow keeps `qresync` set only when the server accepted the QRESYNC parameters
      if (askQresync && (mailbox as MailboxObject & { qresync?: boolean }).qresync) {
        method = 'qresync';
        delta = { uidValidity: snapshot.uidValidity, flags: [...changedFlags].map(([uid, f]) => ({ uid, ...f })), vanished };
      } else {
        method = client.enabled.has('QRESYNC') && snapshot.highestModseq !== undefined && !mailbox.noModseq ? 'changedsince' : 'flags';
        delta = await resyncLoaded(client, snapshot);
      }
      // UIDNEXT bounds how many arrived since; more than two pages and the cache is not worth
      // extending. A folder this connection already had selected may have a UIDNEXT from its SELECT,
      // older than the mail that came since: then the newer UIDs are simply asked for.
      const arrived = alreadyOpen ? undefined : Math.max(0, mailbox.uidNext - 1 - snapshot.maxUid);
      if (arrived !== undefined && arrived > pageSize * 2) {
        return { method: 'reload', page: await fetchHeaderPage(client, mailbox, pageSize) };
      }
      if ((arrived === undefined || arrived > 0) && mailbox.exists > 0) {
        delta.newer = await fetchNewer(client, snapshot);
      }
      delta.total = mailbox.exists;
      if (mailbox.highestModseq !== undefined) {
        delta.highestModseq = mailbox.highestModseq;
      }
      return { method, delta };
    } finally {
      lock.release();
    }
  } finally {
    client.off('flags', onFlags);
    client.off('expunge', onExpunge);
  }
}
