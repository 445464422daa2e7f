// Searching one folder: the hits as a UID set (one round trip), then pages of their headers, newest
// UID first (one round trip each). With ESEARCH (RFC 4731) the answer is
// `RETURN (COUNT MIN MAX ALL)`: the count and a compact sequence set, so the bytes before the
// first page follow what the server sends for the set, never one line per message; without it a
// plain UID SEARCH lists every UID. The caller holds the folder's mailbox lock (EXAMINE).
import { type ImapFlow } from 'imapflow';
import { HEADER_QUERY, type MessageSummary, toSummary, uidSet } from '../mail/headers';
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
export function esearchResult(response: UntaggedResponse): { count?: number; min?: number; max?: number; all?: string } {
  const tokens = response.attributes ?? [];
  const out: { count?: number; min?: number; max?: number; all?: string } = {};
  let i = 0;
  if (Array.isArray(tokens[i])) {
    i++;
  }
  if (tokenText(tokens[i])?.toUpperCase() === 'UID') {
    i++;
  }
  for (; i + 1 < tokens.length; i += 2) {
    const name = tokenText(tokens[i])?.toUpperCase();
    const value = tokenText(tokens[i + 1]);
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

/** Runs a compiled query in the selected folder: one UID SEARCH, two for a split has:attachment. */
export async function searchFolder(client: ImapFlow, compiled: CompiledSearch): Promise<FolderHits> {
  const uidValidity = String(client.mailbox ? client.mailbox.uidValidity : '');
  if (client.mailbox && client.mailbox.exists === 0) {
    return { uidValidity, uids: UidSet.empty, exact: true, esearch: client.capabilities.has('ESEARCH') };
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
  const messages: MessageSummary[] = [];
  let cursor = below;
  let rejected = 0;
  let batch = pageSize;
  for (let round = 0; round < (hits.exact ? 1 : MAX_FINISH_ROUNDS) && messages.length < pageSize; round++) {
    const uids = hits.uids.newest(batch, cursor);
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
  const more = cursor !== undefined && hits.uids.countBelow(cursor) > 0;
  return { messages, below: more ? cursor : undefined, rejected };
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
