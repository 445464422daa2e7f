// From a checked query (query.ts) to IMAP SEARCH keys (RFC 3501 6.4.4, RFC 9051 6.4.4), and from
// those to the tokens imapflow writes on the wire. One key tree serves SEARCH, UID SEARCH with
// ESEARCH (RFC 4731), SORT (RFC 5256) and THREAD (RFC 5256), which all take the same criteria.
//
// - Free text looks in the subject, the sender and the body: OR SUBJECT x OR FROM x BODY x. On
//   Gmail (X-GM-EXT-1) it goes to X-GM-RAW instead, Gmail's own search, which also finds words
//   the way Gmail's web search does.
// - Dates are calendar days of the user's time zone: with WITHIN (RFC 5032) as YOUNGER/OLDER
//   counted in seconds from the local midnight, without it as SINCE/BEFORE/ON of that date (which
//   the server compares in its own time zone, RFC 3501 6.4.4).
// - has:attachment has no IMAP key. On Gmail it is X-GM-RAW "has:attachment". Elsewhere the server
//   narrows to the messages whose top-level headers allow an attachment (multipart, a
//   Content-Disposition, a non-text type, a file name) and the client decides on BODYSTRUCTURE;
//   the query is split by the value of has:attachment (Shannon expansion) so that this stays exact
//   under OR and NOT: see AttachmentSplit.
import { type ParsedQuery, type QueryNode, startOfDay } from './query';

/** An IMAP SEARCH key (a small tree; `and` renders as a parenthesised list). */
export type SearchKey =
  | { op: 'all' }
  | { op: 'none' }
  | { op: 'and'; keys: SearchKey[] }
  | { op: 'or'; keys: SearchKey[] }
  | { op: 'not'; key: SearchKey }
  | { op: 'string'; name: 'FROM' | 'TO' | 'CC' | 'SUBJECT' | 'BODY' | 'TEXT' | 'X-GM-RAW'; value: string }
  | { op: 'header'; field: string; value: string }
  | { op: 'flag'; name: 'SEEN' | 'UNSEEN' | 'FLAGGED' | 'UNFLAGGED' | 'ANSWERED' | 'UNANSWERED' | 'DRAFT' }
  | { op: 'keyword'; keyword: string }
  | { op: 'date'; name: 'BEFORE' | 'SINCE' | 'ON'; date: Date }
  | { op: 'within'; name: 'OLDER' | 'YOUNGER'; seconds: number }
  | { op: 'size'; name: 'LARGER' | 'SMALLER'; bytes: number }
  | { op: 'uid'; set: string };

/** What the compiler needs to know of the server and the moment. */
export interface CompileTarget {
  /** Capabilities of the connection (upper case), e.g. from imapflow's `capabilities` map. */
  capabilities: ReadonlySet<string> | ReadonlyMap<string, unknown>;
  /** The moment relative dates count from (tests pass a fixed one). */
  now?: Date;
}

/**
 * The query compiled for one server. `exact` when the server's answer is the result; otherwise
 * the result is finished on each message's BODYSTRUCTURE (has:attachment):
 * a message matches when it has an attachment and is in `withAttachment`'s answer, or has none and
 * is in `withoutAttachment`'s answer (undefined: no message of that kind can match).
 */
export type CompiledSearch =
  | { exact: true; key: SearchKey }
  | { exact: false; withAttachment?: SearchKey; withoutAttachment?: SearchKey };

const has = (target: CompileTarget, capability: string) => target.capabilities.has(capability);

/** True on Gmail: X-GM-RAW is there (Gmail's IMAP extensions, X-GM-EXT-1). */
export function isGmail(target: CompileTarget): boolean {
  return has(target, 'X-GM-EXT-1');
}

/**
 * Compiles a parsed query's filter for a server. A query without a filter (only in:) is ALL.
 *
 * @throws never for a query parseQuery() accepted.
 */
export function compileQuery(query: Pick<ParsedQuery, 'filter'>, target: CompileTarget): CompiledSearch {
  const filter = query.filter;
  if (!filter) {
    return { exact: true, key: { op: 'all' } };
  }
  const gmail = isGmail(target);
  if (gmail || !mentionsAttachment(filter)) {
    return { exact: true, key: fold(compileNode(filter, target, 'gmail')) };
  }
  const ifAttachment = fold(compileNode(filter, target, true));
  const withoutAttachment = fold(compileNode(filter, target, false));
  if (sameKey(ifAttachment, withoutAttachment)) {
    // has:attachment does not change the answer (has:attachment OR -has:attachment)
    return { exact: true, key: ifAttachment };
  }
  const withAttachment = fold({ op: 'and', keys: [ATTACHMENT_CANDIDATES, ifAttachment] });
  return {
    exact: false,
    ...(withAttachment.op !== 'none' ? { withAttachment } : {}),
    ...(withoutAttachment.op !== 'none' ? { withoutAttachment } : {}),
  };
}

/**
 * The messages that may have an attachment, judged by their top-level header (RFC 2045, 2183):
 * multipart of any kind, a Content-Disposition, a file name, or a Content-Type that is not text.
 * A superset of what hasAttachments() says on BODYSTRUCTURE, so narrowing never loses one.
 */
export const ATTACHMENT_CANDIDATES: SearchKey = {
  op: 'or',
  keys: [
    { op: 'header', field: 'Content-Type', value: 'multipart/' },
    { op: 'header', field: 'Content-Disposition', value: '' },
    { op: 'header', field: 'Content-Type', value: 'name=' },
    { op: 'and', keys: [{ op: 'header', field: 'Content-Type', value: '' }, { op: 'not', key: { op: 'header', field: 'Content-Type', value: 'text/' } }] },
  ],
};

function mentionsAttachment(node: QueryNode): boolean {
  switch (node.kind) {
    case 'and':
    case 'or':
      return node.items.some(mentionsAttachment);
    case 'not':
      return mentionsAttachment(node.item);
    default:
      return node.kind === 'attachment';
  }
}

/** `attachment`: how has:attachment compiles: Gmail's own key, or a constant of the split. */
function compileNode(node: QueryNode, target: CompileTarget, attachment: 'gmail' | boolean): SearchKey {
  const now = target.now ?? new Date();
  switch (node.kind) {
    case 'and':
      return { op: 'and', keys: node.items.map((n) => compileNode(n, target, attachment)) };
    case 'or':
      return { op: 'or', keys: node.items.map((n) => compileNode(n, target, attachment)) };
    case 'not':
      return { op: 'not', key: compileNode(node.item, target, attachment) };
    case 'key':
      return node.key;
    case 'text':
      if (isGmail(target)) {
        return { op: 'string', name: 'X-GM-RAW', value: gmailPhrase(node.text) };
      }
      return {
        op: 'or',
        keys: [
          { op: 'string', name: 'SUBJECT', value: node.text },
          { op: 'string', name: 'FROM', value: node.text },
          { op: 'string', name: 'BODY', value: node.text },
        ],
      };
    case 'field':
      return { op: 'string', name: node.field.toUpperCase() as 'FROM' | 'TO' | 'CC' | 'SUBJECT' | 'BODY', value: node.text };
    case 'flag':
      return { op: 'flag', name: FLAG_KEYS[node.flag] };
    case 'attachment':
      if (attachment === 'gmail') {
        return { op: 'string', name: 'X-GM-RAW', value: 'has:attachment' };
      }
      return attachment ? { op: 'all' } : { op: 'none' };
    case 'keyword':
      return { op: 'keyword', keyword: node.keyword };
    case 'size':
      return { op: 'size', name: node.op === 'larger' ? 'LARGER' : 'SMALLER', bytes: node.bytes };
    case 'date':
      return compileDate(node.op, node.date, now, has(target, 'WITHIN'));
  }
}

const FLAG_KEYS = {
  unread: 'UNSEEN',
  read: 'SEEN',
  flagged: 'FLAGGED',
  unflagged: 'UNFLAGGED',
  answered: 'ANSWERED',
  unanswered: 'UNANSWERED',
  draft: 'DRAFT',
} as const;

/** Gmail's search syntax for a text term: a phrase in quotes (Gmail has no escape for a quote in one). */
function gmailPhrase(text: string): string {
  const clean = text.replace(/"/g, ' ').trim();
  return /\s/.test(clean) ? `"${clean}"` : clean;
}

function compileDate(op: 'before' | 'after' | 'on', spec: Parameters<typeof startOfDay>[0], now: Date, within: boolean): SearchKey {
  const start = startOfDay(spec, now);
  const next = new Date(start.getFullYear(), start.getMonth(), start.getDate() + 1);
  // the calendar day as IMAP dates carry it (day, month and year, no time)
  const day = new Date(Date.UTC(start.getFullYear(), start.getMonth(), start.getDate()));
  const ago = (d: Date) => Math.floor((now.getTime() - d.getTime()) / 1000);
  if (within) {
    // RFC 5032: OLDER n / YOUNGER n take a non-zero number of seconds before now
    switch (op) {
      case 'after':
        return ago(start) >= 1 ? { op: 'within', name: 'YOUNGER', seconds: ago(start) } : { op: 'none' };
      case 'before':
        return ago(start) >= 1 ? { op: 'within', name: 'OLDER', seconds: ago(start) } : { op: 'all' };
      case 'on': {
        if (ago(start) < 1) {
          return { op: 'none' };
        }
        const younger: SearchKey = { op: 'within', name: 'YOUNGER', seconds: ago(start) };
        return ago(next) >= 1 ? { op: 'and', keys: [younger, { op: 'within', name: 'OLDER', seconds: ago(next) }] } : younger;
      }
    }
  }
  return { op: 'date', name: op === 'after' ? 'SINCE' : op === 'before' ? 'BEFORE' : 'ON', date: day };
}

/** Removes the constants ALL and NONE where they can be folded, and flattens nested AND / OR. */
export function fold(key: SearchKey): SearchKey {
  switch (key.op) {
    case 'and': {
      const keys: SearchKey[] = [];
      for (const k of key.keys.map(fold)) {
        if (k.op === 'none') {
          return k;
        }
        if (k.op === 'and') {
          keys.push(...k.keys);
        } else if (k.op !== 'all') {
          keys.push(k);
        }
      }
      return keys.length === 0 ? { op: 'all' } : keys.length === 1 ? keys[0] : { op: 'and', keys };
    }
    case 'or': {
      const keys: SearchKey[] = [];
      for (const k of key.keys.map(fold)) {
        if (k.op === 'all') {
          return k;
        }
        if (k.op === 'or') {
          keys.push(...k.keys);
        } else if (k.op !== 'none') {
          keys.push(k);
        }
      }
      return keys.length === 0 ? { op: 'none' } : keys.length === 1 ? keys[0] : { op: 'or', keys };
    }
    case 'not': {
      const inner = fold(key.key);
      if (inner.op === 'all') {
        return { op: 'none' };
      }
      if (inner.op === 'none') {
        return { op: 'all' };
      }
      return inner.op === 'not' ? inner.key : { op: 'not', key: inner };
    }
    default:
      return key;
  }
}

function sameKey(a: SearchKey, b: SearchKey): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

// ---- tokens ----

/** The command tokens imapflow's exec() writes (its compiler quotes strings and sends literals). */
export type ImapToken =
  | { type: 'ATOM'; value: string }
  | { type: 'STRING'; value: string }
  | { type: 'LITERAL'; value: Buffer }
  | { type: 'SEQUENCE'; value: string }
  | ImapToken[];

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 3501 date: 1-May-2024 (the calendar day of a UTC-midnight Date). */
export function imapDate(date: Date): string {
  return `${date.getUTCDate()}-${MONTHS[date.getUTCMonth()]}-${date.getUTCFullYear()}`;
}

function atom(value: string): ImapToken {
  return { type: 'ATOM', value };
}

function isAscii(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    if (value.charCodeAt(i) > 0x7e) {
      return false;
    }
  }
  return true;
}

/** A search string: quoted when 7-bit, else a literal (8-bit text in a quoted string is a BAD on strict servers). */
function searchString(value: string): ImapToken {
  return isAscii(value) ? { type: 'STRING', value } : { type: 'LITERAL', value: Buffer.from(value, 'utf8') };
}

/**
 * The tokens of a key as search criteria (RFC 3501 search-key). A top-level AND is a plain list
 * of keys; inside OR and NOT it is parenthesised. NONE, which IMAP has no key for, is NOT ALL.
 */
export function searchTokens(key: SearchKey): ImapToken[] {
  const out: ImapToken[] = [];
  // one search-key: an AND of several is parenthesised, a single key keeps its arguments flat
  const one = (k: SearchKey): ImapToken[] => (k.op === 'and' ? [searchTokens(k)] : searchTokens(k));
  switch (key.op) {
    case 'all':
      out.push(atom('ALL'));
      break;
    case 'none':
      out.push(atom('NOT'), atom('ALL'));
      break;
    case 'and':
      for (const k of key.keys) {
        out.push(...searchTokens(k));
      }
      break;
    case 'or': {
      // OR takes two keys (RFC 3501): a OR b OR c is OR a (OR b c)
      const [first, ...rest] = key.keys;
      if (!rest.length) {
        return searchTokens(first);
      }
      out.push(atom('OR'), ...one(first), ...one(rest.length === 1 ? rest[0] : { op: 'or', keys: rest }));
      break;
    }
    case 'not':
      out.push(atom('NOT'), ...one(key.key));
      break;
    case 'string':
      out.push(atom(key.name), searchString(key.value));
      break;
    case 'header':
      out.push(atom('HEADER'), searchString(key.field), searchString(key.value));
      break;
    case 'flag':
      out.push(atom(key.name));
      break;
    case 'keyword':
      out.push(atom('KEYWORD'), atom(key.keyword));
      break;
    case 'date':
      out.push(atom(key.name), atom(imapDate(key.date)));
      break;
    case 'within':
      out.push(atom(key.name), atom(String(key.seconds)));
      break;
    case 'size':
      out.push(atom(key.name), atom(String(key.bytes)));
      break;
    case 'uid':
      out.push(atom('UID'), { type: 'SEQUENCE', value: key.set });
      break;
  }
  return out;
}

/** Whether the tokens carry 8-bit text (then SEARCH needs CHARSET UTF-8, RFC 3501 6.4.4). */
export function needsCharset(tokens: ImapToken[]): boolean {
  return tokens.some((t) => (Array.isArray(t) ? needsCharset(t) : t.type === 'LITERAL'));
}

/** The key ANDed with a UID set (live updates: "which of these new messages match?"). */
export function withinUids(key: SearchKey, set: string): SearchKey {
  return fold({ op: 'and', keys: [{ op: 'uid', set }, key] });
}

/**
 * The criteria as IMAP text, for logs, tooltips and tests: `OR SUBJECT "x" FROM "x"`. Literals
 * are shown as quoted UTF-8 (on the wire they go as {n} literals).
 */
export function renderTokens(tokens: ImapToken[]): string {
  return tokens
    .map((t): string => {
      if (Array.isArray(t)) {
        return `(${renderTokens(t)})`;
      }
      switch (t.type) {
        case 'ATOM':
        case 'SEQUENCE':
          return t.value;
        case 'STRING':
          return `"${t.value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
        case 'LITERAL':
          return `"${t.value.toString('utf8').replace(/["\\]/g, (c) => `\\${c}`)}"`;
      }
    })
    .join(' ');
}

/** renderTokens(searchTokens(key)). */
export function renderKey(key: SearchKey): string {
  return renderTokens(searchTokens(key));
}
