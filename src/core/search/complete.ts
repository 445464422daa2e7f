// Completion for the search input: field names, and after a field its values (known addresses
// for from:/to:/cc:, folder names for in:, the words is:, has:, dates and sizes take). Pure: the
// search input hands in what it knows (folders listed, addresses of loaded mail, keywords).
import { FIELD_NAMES, IS_VALUES, quoteValue } from './query';

export interface CompletionSources {
  folders?: ReadonlyArray<{ path: string; name: string }>;
  addresses?: ReadonlyArray<{ name?: string; address: string }>;
  keywords?: readonly string[];
}

export interface Completion {
  /** What the list shows, e.g. "from:dana@reporter.test". */
  label: string;
  /** A hint, e.g. the display name of an address, or what a field does. */
  description?: string;
  /** The whole query with the completion applied. */
  query: string;
}

const FIELD_HINTS: Record<string, string> = {
  from: 'sender',
  to: 'recipient',
  cc: 'copied recipient',
  subject: 'words in the subject',
  body: 'words in the text',
  is: 'unread, read, flagged, answered, draft',
  has: 'attachment',
  keyword: 'a keyword ($label1...)',
  before: 'received before a date or age',
  after: 'received on or after a date or age',
  on: 'received on a day',
  larger: 'size above (10k, 1M)',
  smaller: 'size below (10k, 1M)',
  in: 'a folder, all, any',
};

const DATE_VALUES = ['today', 'yesterday', '7d', '2w', '1m', '1y'];
const SIZE_VALUES = ['100k', '1M', '10M'];
const MAX = 20;

/** Where the word being typed starts (after white space or a parenthesis outside quotes). */
function wordStart(text: string, cursor: number): { start: number; quoted: boolean } {
  let start = 0;
  let quoted = false;
  for (let i = 0; i < cursor; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '\\') {
        i++;
      } else if (ch === '"') {
        quoted = false;
      }
      continue;
    }
    if (ch === '"') {
      quoted = true;
    } else if (' \t\r\n\u00a0\u3000()'.includes(ch)) {
      start = i + 1;
    }
  }
  return { start, quoted };
}

/**
 * Suggestions for the word at `cursor` (the end of the text by default): a field name while the
 * word has no colon, else values of its field.
 */
export function completeQuery(text: string, sources: CompletionSources = {}, cursor = text.length): Completion[] {
  const { start } = wordStart(text, cursor);
  const word = text.slice(start, cursor);
  const negated = word.startsWith('-') ? '-' : '';
  const bare = word.slice(negated.length);
  const replace = (value: string) => `${text.slice(0, start)}${negated}${value}${text.slice(cursor)}`;
  const colon = bare.indexOf(':');
  if (colon < 0) {
    if (!bare || bare.startsWith('"')) {
      return [];
    }
    const lower = bare.toLowerCase();
    return FIELD_NAMES.filter((f) => f.startsWith(lower) && f !== lower)
      .map((f) => ({ label: `${negated}${f}:`, description: FIELD_HINTS[f], query: replace(`${f}:`) }))
      .slice(0, MAX);
  }
  const field = bare.slice(0, colon).toLowerCase();
  const typed = bare.slice(colon + 1);
  const prefix = typed.replace(/^"/, '').toLowerCase();
  const values = (list: Array<{ value: string; description?: string }>) =>
    list
      .filter((v) => v.value.toLowerCase().includes(prefix) && quoteValue(v.value) !== typed)
      .sort((a, b) => Number(!a.value.toLowerCase().startsWith(prefix)) - Number(!b.value.toLowerCase().startsWith(prefix)))
      .slice(0, MAX)
      .map((v) => ({ label: `${negated}${field}:${quoteValue(v.value)}`, ...(v.description ? { description: v.description } : {}), query: replace(`${field}:${quoteValue(v.value)}`) }));
  switch (field) {
    case 'from':
    case 'to':
    case 'cc': {
      // an address matches by itself or by its name: "from:dana" offers dana@reporter.test, and so
      // does "from:reporter" for Dana Reporter <dana@example.org>
      const seen = new Set<string>();
      const found: Array<{ address: string; name?: string; rank: number }> = [];
      for (const a of sources.addresses ?? []) {
        const address = a.address.toLowerCase();
        const name = a.name?.trim() ?? '';
        if (!address || seen.has(address) || quoteValue(a.address) === typed) {
          continue;
        }
        seen.add(address);
        const rank = address.startsWith(prefix) ? 0 : name.toLowerCase().startsWith(prefix) ? 1 : address.includes(prefix) || name.toLowerCase().includes(prefix) ? 2 : -1;
        if (rank >= 0) {
          found.push({ address: a.address, ...(name ? { name } : {}), rank });
        }
      }
      return found
        .sort((a, b) => a.rank - b.rank)
        .slice(0, MAX)
        .map((a) => ({ label: `${negated}${field}:${quoteValue(a.address)}`, ...(a.name ? { description: a.name } : {}), query: replace(`${field}:${quoteValue(a.address)}`) }));
    }
    case 'in': {
      const list = [
        { value: 'all', description: 'every folder of the account' },
        { value: 'any', description: 'every folder of every account' },
        ...(sources.folders ?? []).map((f) => ({ value: f.path, ...(f.name !== f.path ? { description: f.name } : {}) })),
      ];
      return values(list);
    }
    case 'is':
      return values([...new Set(Object.keys(IS_VALUES))].map((value) => ({ value })));
    case 'has':
      return values([{ value: 'attachment' }]);
    case 'keyword':
      return values((sources.keywords ?? []).map((value) => ({ value })));
    case 'before':
    case 'after':
    case 'on':
      return values(DATE_VALUES.map((value) => ({ value })));
    case 'larger':
    case 'smaller':
      return values(SIZE_VALUES.map((value) => ({ value })));
    default:
      return [];
  }
}
