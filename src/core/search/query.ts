// The search query language: parsing a query typed by the user into a checked syntax tree, with
// the position of every error. The structure comes from a Peggy grammar (query.peggy, generated
// into queryGrammar.js); this file checks what each field may hold and names the folders.
//
//   login crash                 free text: subject, sender or body contain both words
//   "login crash"               a phrase
//   from:reporter is:unread     fields: from to cc subject body, is:, has:attachment, keyword:
//   after:7d before:2024-05-01  dates (INTERNALDATE) and ages: today yesterday 7d 2w 3m 1y
//   larger:1M smaller:10k       sizes (RFC822.SIZE), units of 1024
//   in:INBOX in:all in:any      one folder, every folder of the account, every account
//   a OR b, -a, NOT a, (a b)    boolean structure; AND is implied (and may be written)
import { type SearchKey } from './compile';
import { parse as parseGrammar, type SyntaxError as GrammarSyntaxError } from './queryGrammar.js';

/** Where something is in the query text: offsets in UTF-16 code units, end exclusive. */
export interface Span {
  start: number;
  end: number;
}

export type TextField = 'from' | 'to' | 'cc' | 'subject' | 'body';
export type FlagState = 'unread' | 'read' | 'flagged' | 'unflagged' | 'answered' | 'unanswered' | 'draft';

/** A calendar day (local time of the user) or an age counted back from now. */
export type DateSpec =
  | { type: 'absolute'; year: number; month: number; day: number }
  | { type: 'relative'; amount: number; unit: 'd' | 'w' | 'm' | 'y' };

/** The checked query: what a message must satisfy (folders are kept apart, in ParsedQuery.scope). */
export type QueryNode =
  | ({ kind: 'and' | 'or'; items: QueryNode[] } & Span)
  | ({ kind: 'not'; item: QueryNode } & Span)
  | ({ kind: 'text'; text: string } & Span)
  | ({ kind: 'field'; field: TextField; text: string } & Span)
  | ({ kind: 'flag'; flag: FlagState } & Span)
  | ({ kind: 'attachment' } & Span)
  | ({ kind: 'keyword'; keyword: string } & Span)
  | ({ kind: 'date'; op: 'before' | 'after' | 'on'; date: DateSpec } & Span)
  | ({ kind: 'size'; op: 'larger' | 'smaller'; bytes: number } & Span)
  /**
   * An IMAP search key made by the extension itself, never by the parser (a quick filter's
   * "This conversation": a UID set and the Message-IDs its new replies would name).
   */
  | ({ kind: 'key'; key: SearchKey } & Span);

/** Which folders a query runs in. */
export type SearchScope =
  /** No in: given: the folder (or account) the search was started from. */
  | { type: 'here' }
  /** in:<folder> (one or more): names as typed, resolved against the folder list by the caller. */
  | { type: 'folders'; folders: Array<{ name: string } & Span> }
  /** in:all: every folder of the account. */
  | { type: 'all' }
  /** in:any: every folder of every account. */
  | { type: 'any' };

export interface ParsedQuery {
  /** The query as typed, trimmed. */
  text: string;
  /** What messages must satisfy; undefined when the query is only in: (every message). */
  filter: QueryNode | undefined;
  scope: SearchScope;
}

/** A query that cannot run, with the span the message is about (for an underline or a caret). */
export class QueryError extends Error {
  constructor(
    message: string,
    readonly start: number,
    readonly end: number,
  ) {
    super(message);
    this.name = 'QueryError';
  }

  /** "message (at column n)", columns counted from 1 as an editor does. */
  get withColumn(): string {
    return `${this.message} (at column ${this.start + 1})`;
  }
}

/** Queries longer than this are refused: nobody types them, and each term costs a server scan. */
export const MAX_QUERY_LENGTH = 2000;
const MAX_TERMS = 100;
/** Most levels of parentheses and negations (`-`, `NOT`) one inside the other. */
export const MAX_NESTING = 32;

/**
 * The deepest nesting of parentheses and negations in `input`, and where it is first reached, by
 * one pass over the characters (phrases skipped with their escapes). The grammar parses by
 * recursion, one level per "(", "-" or NOT: a run of 2,000 of them cost super-linear time (the
 * garbage collector scans the deep stack at every allocation), so parseQuery refuses deep queries
 * before parsing. Counts what the grammar nests: "-" only at the start of a term, "NOT" as a word.
 *
 * @returns the deepest nesting, and the offset (UTF-16) of the character that first goes deeper
 *   than `limit`, or -1
 */
export function nestingDepth(input: string, limit = MAX_NESTING): { depth: number; overAt: number } {
  let base = 0;
  let chain = 0;
  const saved: number[] = [];
  let depth = 0;
  let overAt = -1;
  const note = (at: number) => {
    depth = Math.max(depth, base + chain);
    if (overAt < 0 && depth > limit) {
      overAt = at;
    }
  };
  let i = 0;
  while (i < input.length) {
    const c = input[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (c === '"') {
      i++;
      while (i < input.length && input[i] !== '"') {
        i += input[i] === '\\' ? 2 : 1;
      }
      i++;
      chain = 0;
    } else if (c === '(') {
      saved.push(chain);
      base += chain + 1;
      chain = 0;
      note(i);
      i++;
    } else if (c === ')') {
      const outer = saved.pop();
      if (outer !== undefined) {
        base -= outer + 1;
      }
      chain = 0;
      i++;
    } else if (c === '-') {
      chain++;
      note(i);
      i++;
    } else {
      const start = i;
      while (i < input.length && !' \t\n\r"()'.includes(input[i])) {
        i++;
      }
      if (input.slice(start, i) === 'NOT') {
        chain++;
        note(start);
      } else {
        chain = 0;
      }
    }
  }
  return { depth, overAt };
}

export const TEXT_FIELDS: readonly TextField[] = ['from', 'to', 'cc', 'subject', 'body'];
export const IS_VALUES: Readonly<Record<string, FlagState>> = {
  unread: 'unread',
  unseen: 'unread',
  read: 'read',
  seen: 'read',
  flagged: 'flagged',
  starred: 'flagged',
  unflagged: 'unflagged',
  answered: 'answered',
  replied: 'answered',
  unanswered: 'unanswered',
  draft: 'draft',
};
/** Every field name the language knows, for completion and for the "unknown field" message. */
export const FIELD_NAMES = ['from', 'to', 'cc', 'subject', 'body', 'is', 'has', 'keyword', 'before', 'after', 'on', 'larger', 'smaller', 'in'] as const;

// ---- what the grammar returns ----

interface RawValue extends Span {
  text: string;
  quoted: boolean;
}

type RawNode =
  | ({ type: 'and' | 'or'; items: RawNode[]; grouped?: boolean } & Span)
  | ({ type: 'not'; item: RawNode; grouped?: boolean } & Span)
  | ({ type: 'term'; field?: { text: string } & Span; value: RawValue; grouped?: boolean } & Span);

/** The last white-space-separated token of `text` (a keyword the parser stopped after, a field). */
function lastToken(text: string): { token: string; start: number } {
  let end = text.length;
  while (end > 0 && ' \t\r\n\u00a0\u3000'.includes(text[end - 1])) {
    end--;
  }
  let start = end;
  while (start > 0 && !' \t\r\n\u00a0\u3000()"'.includes(text[start - 1])) {
    start--;
  }
  return { token: text.slice(start, end), start };
}

const TERM_STARTS = new Set(['a word', '"""', '"("', '"-"', '"NOT"']);

/**
 * A syntax error in words: what was expected where, grouped the way a person thinks of a query
 * ("a search term", "a closing quote") rather than as the grammar's alternatives.
 */
function syntaxError(err: GrammarSyntaxError, input: string): QueryError {
  const at = err.location.start.offset;
  const found = err.found === null || err.found === undefined ? 'the end of the query' : `"${err.found}"`;
  const before = input.slice(0, at);
  const previous = lastToken(before);
  if (previous.token === 'OR' || previous.token === 'AND' || previous.token === 'NOT') {
    const needs = previous.token === 'NOT' ? 'a search term after it' : 'a search term on each side';
    return new QueryError(`${previous.token} needs ${needs}`, previous.start, previous.start + previous.token.length);
  }
  if (err.found === ')' && !before.includes('(')) {
    return new QueryError('A ")" without a "(" before it', at, at + 1);
  }
  if (before.endsWith(':') && /^[A-Z]+:$/i.test(previous.token)) {
    return new QueryError(`Expected a value after "${previous.token}"`, at, at + 1);
  }
  const wanted: string[] = [];
  let term = false;
  for (const e of err.expected) {
    const text = e.type === 'other' ? e.description : e.type === 'literal' ? `"${e.text}"` : '';
    if (TERM_STARTS.has(text)) {
      term = true;
    } else if (text === 'a closing quote' || text === 'a closing parenthesis' || text === 'a value') {
      wanted.push(text);
    }
  }
  if (term) {
    wanted.push('a search term');
  }
  const unique = [...new Set(wanted)];
  const expected = unique.length ? unique.join(' or ') : 'a search term';
  return new QueryError(`Expected ${expected}, found ${found}`, at, Math.max(at + 1, err.location.end.offset));
}

function grammarError(err: unknown, input: string, base = 0): QueryError {
  const e = err as GrammarSyntaxError;
  if (e && typeof e === 'object' && 'location' in e && e.location) {
    const error = syntaxError(e, input);
    return base ? new QueryError(error.message, base + error.start, base + error.end) : error;
  }
  throw err;
}

/**
 * Parses a query (see the file comment and the README's "Search" section).
 *
 * @returns the checked tree and the scope (`in:`); folder names are not resolved here.
 * @throws QueryError with a message for people and the span it is about: a syntax error
 *   ("Expected a closing quote, found the end of the query"), an unknown field, a value a field
 *   cannot take (`is:maybe`, `before:2024-13-01`, `larger:huge`), `in:` inside OR or NOT, an
 *   empty query, or one longer than MAX_QUERY_LENGTH.
 */
export function parseQuery(input: string): ParsedQuery {
  if (input.length > MAX_QUERY_LENGTH) {
    throw new QueryError(`The query is too long (${input.length} characters; at most ${MAX_QUERY_LENGTH})`, MAX_QUERY_LENGTH, input.length);
  }
  const nesting = nestingDepth(input);
  if (nesting.overAt >= 0) {
    throw new QueryError(`The query nests parentheses and negations too deep (at most ${MAX_NESTING} levels)`, nesting.overAt, nesting.overAt + 1);
  }
  let raw: RawNode | null;
  try {
    raw = parseGrammar(input, { startRule: 'Query' }) as RawNode | null;
  } catch (err) {
    throw grammarError(err, input);
  }
  const text = input.trim();
  if (!raw) {
    throw new QueryError('Type what to search for, e.g. from:someone is:unread', 0, Math.max(1, input.length));
  }
  const checker = new Checker();
  const filter = checker.node(raw, true);
  return { text, filter, scope: checker.scope() };
}

class Checker {
  private folders: Array<{ name: string } & Span> = [];
  private special: ({ type: 'all' | 'any' } & Span) | undefined;
  private terms = 0;

  scope(): SearchScope {
    if (this.special) {
      return { type: this.special.type };
    }
    return this.folders.length ? { type: 'folders', folders: this.folders } : { type: 'here' };
  }

  /** Checks a node; `top` is true for the query itself and the items of a top-level AND. */
  node(raw: RawNode, top: boolean): QueryNode | undefined {
    if (++this.terms > MAX_TERMS) {
      throw new QueryError(`Too many terms (at most ${MAX_TERMS})`, raw.start, raw.end);
    }
    switch (raw.type) {
      case 'and': {
        const items = raw.items.map((item) => this.node(item, top && !raw.grouped)).filter((n): n is QueryNode => n !== undefined);
        return items.length === 0 ? undefined : items.length === 1 ? items[0] : { kind: 'and', items, start: raw.start, end: raw.end };
      }
      case 'or':
        return { kind: 'or', items: raw.items.map((item) => this.required(item, 'OR')), start: raw.start, end: raw.end };
      case 'not':
        return { kind: 'not', item: this.required(raw.item, 'NOT'), start: raw.start, end: raw.end };
      case 'term':
        return raw.field ? this.field(raw.field, raw.value, raw, top) : { kind: 'text', text: this.text(raw.value), start: raw.start, end: raw.end };
    }
  }

  private required(raw: RawNode, operator: string): QueryNode {
    const node = this.node(raw, false);
    if (!node) {
      throw new QueryError(`in: cannot be used inside ${operator}`, raw.start, raw.end);
    }
    return node;
  }

  private text(value: RawValue): string {
    // IMAP strings cannot carry CR, LF or NUL (RFC 3501 9, quoted and literal8 aside)
    const text = value.text.replace(/[\r\n\0]+/g, ' ');
    if (!text.trim()) {
      throw new QueryError('An empty phrase matches nothing: put something between the quotes', value.start, value.end);
    }
    return text;
  }

  private field(name: { text: string } & Span, value: RawValue, raw: Span, top: boolean): QueryNode | undefined {
    const field = name.text.toLowerCase();
    const span = { start: raw.start, end: raw.end };
    switch (field) {
      case 'from':
      case 'to':
      case 'cc':
      case 'subject':
      case 'body':
        return { kind: 'field', field, text: this.text(value), ...span };
      case 'is': {
        const flag = IS_VALUES[value.text.toLowerCase()];
        if (!flag) {
          throw new QueryError(`is: takes unread, read, flagged, unflagged, answered, unanswered or draft, not "${value.text}"`, value.start, value.end);
        }
        return { kind: 'flag', flag, ...span };
      }
      case 'has': {
        const what = value.text.toLowerCase();
        if (what !== 'attachment' && what !== 'attachments') {
          throw new QueryError(`has: takes attachment, not "${value.text}"`, value.start, value.end);
        }
        return { kind: 'attachment', ...span };
      }
      case 'keyword':
        return { kind: 'keyword', keyword: checkKeyword(value), ...span };
      case 'before':
      case 'after':
      case 'on':
        return { kind: 'date', op: field, date: this.date(value), ...span };
      case 'larger':
      case 'smaller':
        return { kind: 'size', op: field, bytes: this.size(value), ...span };
      case 'in':
        this.scopeTerm(value, raw, top);
        return undefined;
      default:
        throw new QueryError(`Unknown field "${name.text}:" (fields: ${FIELD_NAMES.join(', ')}). To search for the text, put it in quotes`, name.start, name.end + 1);
    }
  }

  private scopeTerm(value: RawValue, raw: Span, top: boolean): void {
    if (!top) {
      throw new QueryError('in: applies to the whole query: it cannot be inside OR, NOT or parentheses', raw.start, raw.end);
    }
    const lower = value.quoted ? '' : value.text.toLowerCase();
    if (lower === 'all' || lower === 'any') {
      if (this.special || this.folders.length) {
        throw new QueryError(`in:${lower} already names every folder${lower === 'any' ? ' of every account' : ''}: remove the other in:`, raw.start, raw.end);
      }
      this.special = { type: lower, start: raw.start, end: raw.end };
      return;
    }
    if (this.special) {
      throw new QueryError(`in:${this.special.type} already names every folder: remove the other in:`, raw.start, raw.end);
    }
    if (!value.text.trim()) {
      throw new QueryError('in: needs a folder name', value.start, value.end);
    }
    this.folders.push({ name: value.text, start: value.start, end: value.end });
  }

  private date(value: RawValue): DateSpec {
    let spec: DateSpec;
    try {
      spec = parseGrammar(value.text, { startRule: 'DateValue' }) as DateSpec;
    } catch (err) {
      const error = grammarError(err, value.text, value.start + (value.quoted ? 1 : 0));
      throw new QueryError(`Not a date: "${value.text}" (use 2024-05-01, or an age: today, yesterday, 7d, 2w, 3m, 1y)`, error.start, value.end);
    }
    if (spec.type === 'absolute') {
      const { year, month, day } = spec;
      const probe = new Date(Date.UTC(year, month - 1, day));
      if (month < 1 || month > 12 || day < 1 || probe.getUTCMonth() !== month - 1 || year < 1900 || year > 9999) {
        throw new QueryError(`No such date: ${value.text}`, value.start, value.end);
      }
    }
    return spec;
  }

  private size(value: RawValue): number {
    let spec: { number: number; unit: string };
    try {
      spec = parseGrammar(value.text, { startRule: 'SizeValue' }) as { number: number; unit: string };
    } catch (err) {
      const error = grammarError(err, value.text, value.start + (value.quoted ? 1 : 0));
      throw new QueryError(`Not a size: "${value.text}" (use 500, 10k, 1.5M or 1G)`, error.start, value.end);
    }
    const factor = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[spec.unit] ?? 1;
    const bytes = Math.round(spec.number * factor);
    // RFC 3501 number: 32-bit unsigned
    if (bytes > 0xffffffff) {
      throw new QueryError('That size is larger than any message (at most 4G)', value.start, value.end);
    }
    return bytes;
  }
}

/** A keyword is an IMAP atom (RFC 3501 9 flag-keyword): no spaces, parentheses, quotes, %, *, ], \. */
function checkKeyword(value: RawValue): string {
  const text = value.text;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code <= 0x20 || code >= 0x7f || '(){%*"\\]'.includes(text[i])) {
      throw new QueryError(`A keyword cannot contain "${text[i] === ' ' ? 'a space' : text[i]}"`, value.start + (value.quoted ? 1 : 0) + i, value.start + (value.quoted ? 2 : 1) + i);
    }
  }
  if (!text) {
    throw new QueryError('keyword: needs a name, e.g. keyword:$label1', value.start, value.end);
  }
  return text;
}

/** The first day of a date spec in the user's time zone, as a Date at local midnight. */
export function startOfDay(spec: DateSpec, now: Date): Date {
  if (spec.type === 'absolute') {
    return new Date(spec.year, spec.month - 1, spec.day);
  }
  const d = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  switch (spec.unit) {
    case 'd':
      d.setDate(d.getDate() - spec.amount);
      break;
    case 'w':
      d.setDate(d.getDate() - spec.amount * 7);
      break;
    case 'm':
      d.setMonth(d.getMonth() - spec.amount);
      break;
    case 'y':
      d.setFullYear(d.getFullYear() - spec.amount);
      break;
  }
  return d;
}

/** Every text value a query looks for (to highlight matches, or to seed a "From this sender" filter). */
export function queryTerms(node: QueryNode | undefined): string[] {
  if (!node) {
    return [];
  }
  switch (node.kind) {
    case 'and':
    case 'or':
      return node.items.flatMap(queryTerms);
    case 'text':
    case 'field':
      return [node.text];
    default:
      return [];
  }
}

/** Quotes a value for a query when it has to be (spaces, parentheses, quotes, a leading "-"). */
export function quoteValue(value: string): string {
  let plain = value.length > 0 && !value.startsWith('-');
  for (const ch of value) {
    if (' \t\r\n\u00a0\u3000()"\\'.includes(ch)) {
      plain = false;
      break;
    }
  }
  return plain ? value : `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}
