// Searching one folder: the hits as a UID set (one round trip), then pages of their headers, newest
// UID first (one round trip each). With ESEARCH (RFC 4731) the answer is
// `RETURN (COUNT MIN MAX ALL)`: the count and a compact sequence set, so the bytes before the
// first page follow what the server sends for the set, never one line per message; without it a
// plain UID SEARCH lists every UID. The caller holds the folder's mailbox lock (EXAMINE).
import { type ImapFlow } from 'imapflow';
import { HEADER_QUERY, type MessageSummary, toSummary, uidSet } from '../mail/headers';
import { hasAttachments } from '../render/mime';
import { responseNumbers, runCommand, tokenText, type UntaggedResponse } from '../mail/command';
import { type CompiledSearch, type ImapToken, needsCharset, type SearchKey, searchTokens, withinUids } from './compile';
import { UidSet } from './uidSet';

/** What one folder answered. */
export interface FolderHits {
  uidValidity: string;
  /** UIDs to show (exact hits), or candidates to check on BODYSTRUCTURE (`exact` false). */
  uids: UidSet;
  exact: boolean;
  /** Candidates that match when they have an attachment / when they have none (exact false). */
  withAttachment?: UidSet;
  withoutAttachment?: UidSet;
  /** Whether the server answered with ESEARCH. */
  esearch: boolean;
  /**
   * Paged by the server (ESORT with PARTIAL, RFC 5267): only the hits fetched so far are in `uids`;
   * the server counted `count`, and `order` holds the UIDs taken so far, newest arrival first.
   */
  partial?: { key: SearchKey; count: number; order: number[] };
  /** After server paging gave up (positions moved): the hits not fetched yet, paged by UID. */
  pending?: UidSet;
}

/** How many hits the server counted. */
export function hitCount(hits: FolderHits): number {
  return hits.partial ? hits.partial.count : hits.uids.size;
}

/** Whether the server can page hits for us: ESORT with PARTIAL (RFC 5267; Dovecot announces it as CONTEXT=SEARCH). */
export function canPartial(client: ImapFlow): boolean {
  const caps = client.capabilities;
  return caps.has('ESORT') && (caps.has('CONTEXT=SORT') || caps.has('CONTEXT=SEARCH'));
}

/**
 * Hits `from` to `to` (counting from 1) in newest-arrival order, and the count:
 * `UID SORT RETURN (COUNT PARTIAL from:to) (REVERSE ARRIVAL) UTF-8 <criteria>`. One round trip
 * whose size does not depend on how many messages match.
 */
export async function sortedHits(client: ImapFlow, key: SearchKey, from: number, to: number): Promise<{ uids: number[]; count: number }> {
  let uids: number[] = [];
  let count = 0;
  await runCommand(client, 'UID SORT', [
    { type: 'ATOM', value: 'RETURN' },
    [{ type: 'ATOM', value: 'COUNT' }, { type: 'ATOM', value: 'PARTIAL' }, { type: 'SEQUENCE', value: `${from}:${to}` }],
    [{ type: 'ATOM', value: 'REVERSE' }, { type: 'ATOM', value: 'ARRIVAL' }],
    { type: 'ATOM', value: 'UTF-8' },
    ...searchTokens(key),
  ], {
    ESEARCH: (response) => {
      const result = esearchResult(response);
      count = result.count ?? count;
      uids = result.partial ?? uids;
    },
  });
  return { uids, count };
}

/** The criteria tokens of a SEARCH: CHARSET UTF-8 first when a value is 8-bit (RFC 3501 6.4.4). */
export function criteriaTokens(client: ImapFlow, key: SearchKey): ImapToken[] {
  const tokens = searchTokens(key);
  return needsCharset(tokens) && !client.enabled.has('UTF8=ACCEPT') ? [{ type: 'ATOM', value: 'CHARSET' }, { type: 'ATOM', value: 'UTF-8' }, ...tokens] : tokens;
}

/**
 * UID SEARCH for one key in the selected folder: `UID SEARCH RETURN (COUNT MIN MAX ALL) ...` when
 * the server has ESEARCH, else a plain `UID SEARCH`.
 *
 * @throws MailError SERVER_NO when the server refuses the criteria (BADCHARSET, a key it lacks).
 */
export async function uidSearch(client: ImapFlow, key: SearchKey): Promise<{ uids: UidSet; esearch: boolean }> {
  if (key.op === 'none') {
    return { uids: UidSet.empty, esearch: false };
  }
  const criteria = criteriaTokens(client, key);
  if (client.capabilities.has('ESEARCH')) {
    let all: string | undefined;
    await runCommand(client, 'UID SEARCH', [{ type: 'ATOM', value: 'RETURN' }, [{ type: 'ATOM', value: 'COUNT' }, { type: 'ATOM', value: 'MIN' }, { type: 'ATOM', value: 'MAX' }, { type: 'ATOM', value: 'ALL' }], ...criteria], {
      ESEARCH: (response) => {
        all = esearchResult(response).all ?? all;
      },
    });
    // COUNT, MIN and MAX are asked for as the protocol trace shows them; ALL is what pages
    // are made of, so when a server's COUNT disagreed with it, ALL would win
    return { uids: all ? UidSet.parse(all) : UidSet.empty, esearch: true };
  }
  const found: number[] = [];
  await runCommand(client, 'UID SEARCH', criteria, {
    SEARCH: (response) => {
      for (const n of responseNumbers(response)) {
        found.push(n);
      }
    },
  });
  return { uids: UidSet.of(found), esearch: false };
}

/** Reads an ESEARCH response (RFC 4731 3): `* ESEARCH (TAG "A1") UID COUNT 5 MIN 1 MAX 9 ALL 1:3,8:9`. */
export function esearchResult(response: UntaggedResponse): { count?: number; min?: number; max?: number; all?: string; partial?: number[] } {
  const tokens = response.attributes ?? [];
  const out: { count?: number; min?: number; max?: number; all?: string; partial?: number[] } = {};
  let i = 0;
  if (Array.isArray(tokens[i])) {
    i++;
  }
  if (tokenText(tokens[i])?.toUpperCase() === 'UID') {
    i++;
  }
  for (; i + 1 < tokens.length; i += 2) {
    const name = tokenText(tokens[i])?.toUpperCase();
    const next = tokens[i + 1];
    if (name === 'PARTIAL' && Array.isArray(next)) {
      // PARTIAL (from:to uids), the UIDs in the order of the sort (RFC 5267 4.4)
      const set = tokenText(next[1]);
      out.partial = set && set.toUpperCase() !== 'NIL' ? orderedSet(set) : [];
      continue;
    }
    const value = tokenText(next);
    if (value === undefined) {
      continue;
    }
    switch (name) {
      case 'COUNT':
        out.count = Number(value);
        break;
      case 'MIN':
        out.min = Number(value);
        break;
      case 'MAX':
        out.max = Number(value);
        break;
      case 'ALL':
        out.all = value;
        break;
    }
  }
  return out;
}

/** An ordered sequence set ("5,3,9:7"), in the order given (a sort's order), at most `limit` numbers. */
function orderedSet(set: string, limit = 100_000): number[] {
  const out: number[] = [];
  for (const part of set.split(',')) {
    const [a, b] = part.split(':').map(Number);
    if (!Number.isInteger(a) || a < 1) {
      continue;
    }
    const end = Number.isInteger(b) && b >= 1 ? b : a;
    const step = end >= a ? 1 : -1;
    for (let uid = a; out.length < limit; uid += step) {
      out.push(uid);
      if (uid === end) {
        break;
      }
    }
  }
  return out;
}

/**
 * Runs a compiled query in the selected folder: one UID SEARCH, two for a split has:attachment.
 * With `pageSize` and a server that pages sorted results (canPartial), an exact query asks for
 * its first page of hits only (sortedHits), and later pages by position.
 */
export async function searchFolder(client: ImapFlow, compiled: CompiledSearch, pageSize?: number): Promise<FolderHits> {
  const uidValidity = String(client.mailbox ? client.mailbox.uidValidity : '');
  if (client.mailbox && client.mailbox.exists === 0) {
    return { uidValidity, uids: UidSet.empty, exact: true, esearch: client.capabilities.has('ESEARCH') };
  }
  if (compiled.exact && pageSize && canPartial(client) && compiled.key.op !== 'none') {
    const { uids, count } = await sortedHits(client, compiled.key, 1, pageSize);
    return { uidValidity, uids: UidSet.of(uids), exact: true, esearch: true, partial: { key: compiled.key, count, order: uids } };
  }
  if (compiled.exact) {
    const { uids, esearch } = await uidSearch(client, compiled.key);
    return { uidValidity, uids, exact: true, esearch };
  }
  const withAttachment = compiled.withAttachment ? await uidSearch(client, compiled.withAttachment) : undefined;
  const withoutAttachment = compiled.withoutAttachment ? await uidSearch(client, compiled.withoutAttachment) : undefined;
  const a = withAttachment?.uids ?? UidSet.empty;
  const b = withoutAttachment?.uids ?? UidSet.empty;
  return {
    uidValidity,
    uids: a.union(b),
    exact: false,
    withAttachment: a,
    withoutAttachment: b,
    esearch: Boolean(withAttachment?.esearch ?? withoutAttachment?.esearch),
  };
}

/** Whether a fetched candidate is a hit (exact hits always are; has:attachment decides on BODYSTRUCTURE). */
export function isHit(hits: Pick<FolderHits, 'exact' | 'withAttachment' | 'withoutAttachment'>, message: MessageSummary): boolean {
  if (hits.exact) {
    return true;
  }
  return message.hasAttachment ? Boolean(hits.withAttachment?.has(message.uid)) : Boolean(hits.withoutAttachment?.has(message.uid));
}

export interface HitPage {
  /** Hits of this page, highest UID first. */
  messages: MessageSummary[];
  /** Fetch the next page below this UID; undefined when every candidate was fetched. */
  below: number | undefined;
  /** Candidates fetched and found not to match (has:attachment). */
  rejected: number;
}

const MAX_FINISH_BATCH = 500;
const MAX_FINISH_ROUNDS = 8;

/**
 * Fetches the headers of the next `pageSize` hits below `below` (the newest first), in one UID
 * FETCH. When the result has to be finished on BODYSTRUCTURE, candidates that do not match are
 * dropped and more are fetched (in growing batches, at most a few rounds) until the page is full.
 */
export async function fetchHitPage(client: ImapFlow, hits: FolderHits, pageSize: number, below?: number): Promise<HitPage> {
  if (hits.partial) {
    return fetchPartialPage(client, hits, pageSize, below);
  }
  const messages: MessageSummary[] = [];
  let cursor = below;
  let rejected = 0;
  let batch = pageSize;
  for (let round = 0; round < (hits.exact ? 1 : MAX_FINISH_ROUNDS) && messages.length < pageSize; round++) {
    const uids = (hits.pending ?? hits.uids).newest(batch, cursor);
    if (!uids.length) {
      cursor = undefined;
      break;
    }
    cursor = uids[uids.length - 1];
    const fetched = await fetchSummaries(client, uids);
    let accepted = 0;
    for (const m of fetched) {
      if (isHit(hits, m)) {
        messages.push(m);
        accepted++;
      } else {
        rejected++;
      }
    }
    // fetch enough candidates next time for what is missing, at the rate they matched so far
    const rate = Math.max(0.1, accepted / Math.max(1, fetched.length));
    batch = Math.min(MAX_FINISH_BATCH, Math.ceil((pageSize - messages.length) / rate));
  }
  messages.sort((a, b) => b.uid - a.uid);
  const more = cursor !== undefined && (hits.pending ?? hits.uids).countBelow(cursor) > 0;
  return { messages, below: more ? cursor : undefined, rejected };
}

/**
 * A page of server-paged hits (ESORT PARTIAL). The first page's UIDs came with the search; later
 * pages ask for the next positions, starting one early: when that overlap is not the last hit
 * taken, messages arrived or left meanwhile and positions moved, so the folder's hits are asked
 * for whole (ESEARCH ALL) and the ones not fetched yet are paged by UID.
 */
async function fetchPartialPage(client: ImapFlow, hits: FolderHits, pageSize: number, below?: number): Promise<HitPage> {
  const partial = hits.partial!;
  let uids: number[];
  if (below === undefined) {
    uids = partial.order;
  } else {
    const taken = partial.order.length;
    const next = await sortedHits(client, partial.key, taken, taken + pageSize);
    if (next.uids[0] !== partial.order[taken - 1]) {
      const { uids: all } = await uidSearch(client, partial.key);
      hits.partial = undefined;
      hits.uids = all;
      hits.pending = all.without(partial.order);
      return fetchHitPage(client, hits, pageSize);
    }
    uids = next.uids.slice(1);
    partial.count = next.count;
    partial.order = [...partial.order, ...uids];
    hits.uids = hits.uids.with(uids);
  }
  const messages = (await fetchSummaries(client, uids)).sort((a, b) => b.uid - a.uid);
  const more = partial.order.length < partial.count;
  return { messages, below: more ? Math.min(...partial.order) : undefined, rejected: 0 };
}

/** One UID FETCH of the header data of these UIDs (messages expunged meanwhile are simply absent). */
export async function fetchSummaries(client: ImapFlow, uids: number[]): Promise<MessageSummary[]> {
  if (!uids.length) {
    return [];
  }
  const out: MessageSummary[] = [];
  for await (const message of client.fetch(uidSet(uids), HEADER_QUERY, { uid: true })) {
    out.push(toSummary(message));
  }
  return out;
}

/**
 * Which of these UIDs match a compiled query: for live updates, one UID SEARCH restricted to the
 * UIDs (and the fetched BODYSTRUCTURE for has:attachment, by the caller with isHit()).
 */
export async function matchUids(client: ImapFlow, compiled: CompiledSearch, uids: number[]): Promise<FolderHits> {
  const set = uidSet(uids);
  const uidValidity = String(client.mailbox ? client.mailbox.uidValidity : '');
  if (!set) {
    return { uidValidity, uids: UidSet.empty, exact: true, esearch: false };
  }
  if (compiled.exact) {
    const { uids: found, esearch } = await uidSearch(client, withinUids(compiled.key, set));
    return { uidValidity, uids: found, exact: true, esearch };
  }
  return searchFolder(client, {
    exact: false,
    ...(compiled.withAttachment ? { withAttachment: withinUids(compiled.withAttachment, set) } : {}),
    ...(compiled.withoutAttachment ? { withoutAttachment: withinUids(compiled.withoutAttachment, set) } : {}),
  });
}

const MAX_COUNT_CHECKS = 500;

/**
 * How many messages of the selected folder match, optionally only the unread ones (a saved
 * search's count): `UID SEARCH RETURN (COUNT) UNSEEN <criteria>` with ESEARCH, else the length of a
 * plain answer. For has:attachment the candidates' BODYSTRUCTURE decides, up to 500 of them; past
 * that the count is the candidates' (an upper bound, `exact` false).
 */
export async function countFolder(client: ImapFlow, compiled: CompiledSearch, unreadOnly: boolean): Promise<{ count: number; exact: boolean }> {
  const unseen: SearchKey = { op: 'flag', name: 'UNSEEN' };
  const narrow = (key: SearchKey | undefined): SearchKey | undefined => (key && unreadOnly ? { op: 'and', keys: [unseen, key] } : key);
  if (client.mailbox && client.mailbox.exists === 0) {
    return { count: 0, exact: true };
  }
  if (compiled.exact) {
    const key = narrow(compiled.key)!;
    if (client.capabilities.has('ESEARCH')) {
      let count = 0;
      await runCommand(client, 'UID SEARCH', [{ type: 'ATOM', value: 'RETURN' }, [{ type: 'ATOM', value: 'COUNT' }], ...criteriaTokens(client, key)], {
        ESEARCH: (response) => {
          count = esearchResult(response).count ?? count;
        },
      });
      return { count, exact: true };
    }
    return { count: (await uidSearch(client, key)).uids.size, exact: true };
  }
  const withAttachment = narrow(compiled.withAttachment);
  const withoutAttachment = narrow(compiled.withoutAttachment);
  const hits = await searchFolder(client, { exact: false, ...(withAttachment ? { withAttachment } : {}), ...(withoutAttachment ? { withoutAttachment } : {}) });
  if (hits.uids.size > MAX_COUNT_CHECKS) {
    return { count: hits.uids.size, exact: false };
  }
  let count = 0;
  for (const m of await fetchStructures(client, hits.uids.newest(MAX_COUNT_CHECKS))) {
    count += isHit(hits, m) ? 1 : 0;
  }
  return { count, exact: true };
}

/** UID and BODYSTRUCTURE only: what has:attachment needs to decide. */
async function fetchStructures(client: ImapFlow, uids: number[]): Promise<MessageSummary[]> {
  if (!uids.length) {
    return [];
  }
  const out: MessageSummary[] = [];
  for await (const message of client.fetch(uidSet(uids), { uid: true, bodyStructure: true }, { uid: true })) {
    out.push({ uid: message.uid, seq: message.seq, flags: [], subject: '', from: [], to: [], cc: [], replyTo: [], size: 0, hasAttachment: hasAttachments(message.bodyStructure) });
  }
  return out;
}
