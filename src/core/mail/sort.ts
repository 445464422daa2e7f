// Sorting a folder by date, sender, subject or size. With SORT (RFC 5256) the server orders the
// whole folder: with ESORT and CONTEXT=SORT (RFC 5267) one page at a time
// (`UID SORT RETURN (PARTIAL 1:50) ...`), else the sorted UID list once (`UID SORT ...`, a number
// per message) and pages of it. Without SORT only the loaded messages can be ordered, and the
// folder says so.
import { type ImapFlow } from 'imapflow';
import { type SearchKey, searchTokens } from '../search/compile';
import { esearchResult } from '../search/folderSearch';
import { UidSet } from '../search/uidSet';
import { responseNumbers, runCommand } from './command';
import { type MessageSummary } from './headers';

export type SortKey = 'date' | 'sender' | 'subject' | 'size';
export const SORT_KEYS: readonly SortKey[] = ['date', 'sender', 'subject', 'size'];

/** How a folder can be sorted on this server. */
export type SortMethod = 'partial' | 'server' | 'window';

export function sortMethod(capabilities: ReadonlySet<string> | ReadonlyMap<string, unknown>): SortMethod {
  if (!capabilities.has('SORT')) {
    return 'window';
  }
  // PARTIAL is RFC 5267's CONTEXT=SORT; Dovecot takes it in ESORT while announcing only
  // CONTEXT=SEARCH (which defines PARTIAL for SEARCH)
  return capabilities.has('ESORT') && (capabilities.has('CONTEXT=SORT') || capabilities.has('CONTEXT=SEARCH')) ? 'partial' : 'server';
}

/**
 * The RFC 5256 sort criteria: date is newest arrival first (the folder's default order), sender
 * A-Z by display name (DISPLAYFROM, RFC 5957) or mailbox, subject A-Z by base subject, size
 * largest first.
 */
export function sortCriteria(key: SortKey, capabilities: ReadonlySet<string> | ReadonlyMap<string, unknown>): string[] {
  switch (key) {
    case 'date':
      return ['REVERSE', 'ARRIVAL'];
    case 'sender':
      return capabilities.has('SORT=DISPLAY') ? ['DISPLAYFROM', 'REVERSE', 'ARRIVAL'] : ['FROM', 'REVERSE', 'ARRIVAL'];
    case 'subject':
      return ['SUBJECT', 'REVERSE', 'ARRIVAL'];
    case 'size':
      return ['REVERSE', 'SIZE', 'REVERSE', 'ARRIVAL'];
  }
}

function criteriaTokens(key: SortKey, client: ImapFlow) {
  return sortCriteria(key, client.capabilities).map((value) => ({ type: 'ATOM' as const, value }));
}

/**
 * One page of the folder in sort order: `UID SORT RETURN (COUNT PARTIAL from:to) (...) UTF-8 ALL`
 * (ESORT, CONTEXT=SORT). `from` and `to` count from 1.
 */
export async function sortPage(client: ImapFlow, key: SortKey, from: number, to: number, criteria: SearchKey = { op: 'all' }): Promise<{ uids: number[]; count: number }> {
  let partial: number[] = [];
  let count = 0;
  await runCommand(client, 'UID SORT', [
    { type: 'ATOM', value: 'RETURN' },
    [{ type: 'ATOM', value: 'COUNT' }, { type: 'ATOM', value: 'PARTIAL' }, { type: 'SEQUENCE', value: `${from}:${to}` }],
    criteriaTokens(key, client),
    { type: 'ATOM', value: 'UTF-8' },
    ...searchTokens(criteria),
  ], {
    ESEARCH: (response) => {
      const tokens = response.attributes ?? [];
      // PARTIAL (from:to uids): the uids in sort order (RFC 5267 4.4)
      for (let i = 0; i < tokens.length; i++) {
        const token = tokens[i];
        if (!Array.isArray(token) && String(token.value).toUpperCase() === 'PARTIAL' && Array.isArray(tokens[i + 1])) {
          const list = tokens[i + 1] as Array<{ value: unknown }>;
          const set = list[1] ? String(list[1].value) : '';
          partial = set && set !== 'NIL' ? expandOrdered(set) : [];
        }
      }
      count = esearchResult(response).count ?? count;
    },
  });
  return { uids: partial, count };
}

/** An ordered sequence set ("5,3,9:7") to numbers, in the order given (ESORT keeps sort order). */
function expandOrdered(set: string): number[] {
  const out: number[] = [];
  for (const part of set.split(',')) {
    const range = UidSet.parse(part);
    const [a, b] = part.split(':').map(Number);
    const values = range.newest(Number.MAX_SAFE_INTEGER);
    out.push(...(b !== undefined && a < b ? values.reverse() : values));
  }
  return out;
}

/** The whole folder in sort order: `UID SORT (...) UTF-8 ALL` (a UID per message). */
export async function sortAll(client: ImapFlow, key: SortKey, criteria: SearchKey = { op: 'all' }): Promise<number[]> {
  const uids: number[] = [];
  await runCommand(client, 'UID SORT', [criteriaTokens(key, client), { type: 'ATOM', value: 'UTF-8' }, ...searchTokens(criteria)], {
    SORT: (response) => {
      uids.push(...responseNumbers(response));
    },
  });
  return uids;
}

/**
 * RFC 5256 base subject, simplified: without leading "Re:", "Fwd:", "Fw:", "AW:", "WG:", "[list]"
 * tags and trailing "(fwd)", lower case, white space collapsed. Linear in the subject's length.
 */
export function baseSubject(subject: string): string {
  let s = subject.replace(/\s+/g, ' ').trim().toLowerCase();
  for (let changed = true; changed;) {
    changed = false;
    if (s.startsWith('[')) {
      const close = s.indexOf(']');
      if (close > 0 && close < s.length - 1) {
        s = s.slice(close + 1).trimStart();
        changed = true;
      }
    }
    for (const prefix of ['re:', 'fwd:', 'fw:', 'aw:', 'wg:', 'sv:', 'vs:']) {
      if (s.startsWith(prefix)) {
        s = s.slice(prefix.length).trimStart();
        changed = true;
      }
    }
  }
  if (s.endsWith('(fwd)')) {
    s = s.slice(0, -5).trimEnd();
  }
  return s;
}

function arrival(m: MessageSummary): number {
  const date = m.internalDate ?? m.date;
  return date ? date.getTime() : 0;
}

function sender(m: MessageSummary): string {
  const first = m.from[0];
  return ((first?.name || first?.address) ?? '').toLowerCase();
}

const collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });

/** The loaded messages in sort order (no SORT on the server): the same orders as sortCriteria(). */
export function sortWindow(messages: readonly MessageSummary[], key: SortKey): MessageSummary[] {
  const newest = (a: MessageSummary, b: MessageSummary) => arrival(b) - arrival(a) || b.uid - a.uid;
  const compare: Record<SortKey, (a: MessageSummary, b: MessageSummary) => number> = {
    date: newest,
    sender: (a, b) => collator.compare(sender(a), sender(b)) || newest(a, b),
    subject: (a, b) => collator.compare(baseSubject(a.subject), baseSubject(b.subject)) || newest(a, b),
    size: (a, b) => b.size - a.size || newest(a, b),
  };
  return [...messages].sort(compare[key]);
}
