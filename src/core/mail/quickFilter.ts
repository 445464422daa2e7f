// A folder's quick filters (Unread, Flagged, From this sender, This conversation): what each means
// as a search of that folder, and how the folder's row names them. Several filters narrow
// together (AND). No vscode: the Mail view's model holds which folder has which.
import { type ParsedQuery, type QueryNode } from '../search/query';
import { conversationKey, type FolderConversation } from '../threads/conversations';

export type QuickFilter =
  | { kind: 'unread' }
  | { kind: 'flagged' }
  | { kind: 'from'; address: string }
  | { kind: 'conversation'; conversation: FolderConversation };

export type QuickFilterKind = QuickFilter['kind'];

/** The order filters are shown in, whatever order they were turned on in. */
const ORDER: readonly QuickFilterKind[] = ['unread', 'flagged', 'from', 'conversation'];

const SPAN = { start: 0, end: 0 };

function nodeOf(filter: QuickFilter): QueryNode {
  switch (filter.kind) {
    case 'unread':
      return { kind: 'flag', flag: 'unread', ...SPAN };
    case 'flagged':
      return { kind: 'flag', flag: 'flagged', ...SPAN };
    case 'from':
      return { kind: 'field', field: 'from', text: filter.address, ...SPAN };
    case 'conversation':
      return { kind: 'key', key: conversationKey(filter.conversation), ...SPAN };
  }
}

/**
 * The folder search the filters stand for: every filter must hold (AND), in the folder itself
 * (scope `here`). `text` names the filters for the log; it is not meant to be parsed again.
 *
 * @throws Error for an empty list (no filter is no search).
 */
export function filterQuery(filters: readonly QuickFilter[]): ParsedQuery {
  const sorted = sortFilters(filters);
  if (!sorted.length) {
    throw new Error('filterQuery needs at least one filter');
  }
  const nodes = sorted.map(nodeOf);
  return {
    text: filterNames(sorted).join(' '),
    filter: nodes.length === 1 ? nodes[0] : { kind: 'and', items: nodes, ...SPAN },
    scope: { type: 'here' },
  };
}

/** The filters in display order, one of each kind (a later one of a kind replaces an earlier one). */
export function sortFilters(filters: readonly QuickFilter[]): QuickFilter[] {
  const byKind = new Map<QuickFilterKind, QuickFilter>();
  for (const f of filters) {
    byKind.set(f.kind, f);
  }
  return ORDER.flatMap((kind) => (byKind.has(kind) ? [byKind.get(kind)!] : []));
}

/**
 * Names of the filters as the folder row shows them, in display order: "Unread", "Flagged",
 * "From dana@example.org", "This conversation". Sender text is returned as is: the caller encodes
 * it for its surface.
 */
export function filterNames(filters: readonly QuickFilter[]): string[] {
  return sortFilters(filters).map((f) => {
    switch (f.kind) {
      case 'unread':
        return 'Unread';
      case 'flagged':
        return 'Flagged';
      case 'from':
        return `From ${f.address}`;
      case 'conversation':
        return 'This conversation';
    }
  });
}

/** `filters` with `filter` turned on, or off when one of its kind (same sender, same conversation) is on. */
export function toggleFilter(filters: readonly QuickFilter[], filter: QuickFilter): QuickFilter[] {
  const current = filters.find((f) => f.kind === filter.kind);
  const same = current && sameFilter(current, filter);
  const rest = filters.filter((f) => f.kind !== filter.kind);
  return sortFilters(same ? rest : [...rest, filter]);
}

function sameFilter(a: QuickFilter, b: QuickFilter): boolean {
  if (a.kind === 'from' && b.kind === 'from') {
    return a.address.toLowerCase() === b.address.toLowerCase();
  }
  if (a.kind === 'conversation' && b.kind === 'conversation') {
    return a.conversation.uids.join() === b.conversation.uids.join();
  }
  return a.kind === b.kind;
}
