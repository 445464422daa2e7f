// The MIME splitter under structure.ts: @zone-eu/mailsplit's MessageSplitter, with two rules of
// the IMAP server whose BODYSTRUCTURE the other path reads (Dovecot, message-parser.c), so an
// .eml file and the same message over IMAP are split alike, and a split costs linear time:
// - RFC 2046 5.1.1: a delimiter line is one that starts with "--" and a boundary ("an exact
//   match of the entire candidate line is not required; it is sufficient that the boundary
//   appear in its entirety following the CRLF"). Of the open multiparts' boundaries the longest
//   that matches wins, the innermost on a tie (Dovecot's boundary_find). mailsplit wanted the
//   whole line, so a line "--x and more" split the IMAP view and not the file's.
// - Multiparts nested deeper than MAX_NESTING are not split: their body is that part's content.
//   mailsplit compares every line that starts with "--" with the boundary of every open
//   multipart, so 2,000 nested multiparts made each such line cost 2,000 comparisons (20 s for
//   2.5 MB). Dovecot stops at 100 levels (and then gives no BODYSTRUCTURE), the planner at 50.
// It overrides two methods of mailsplit's splitter that its type declarations do not list
// (checkBoundary, newNode); test/unit/displayHostile.test.ts pins the behaviour.
import MessageSplitter from '@zone-eu/mailsplit/lib/message-splitter.js';

/** Deepest nesting of multiparts that is split; deeper ones are content. */
export const MAX_NESTING = 64;

interface SplitterNode {
  parentNode: SplitterNode | false;
  _boundary: Buffer | false;
  _parentBoundaryOwner: SplitterNode | false;
  multipart: string | false;
  parseHeaders(): void;
}

/** The members of mailsplit's MessageSplitter this subclass works with. */
interface SplitterInternals {
  node: SplitterNode;
  inEpilogue: boolean;
  delimiterOwner: SplitterNode | false;
}

const depths = new WeakMap<SplitterNode, number>();

/** Whether `line` (from `start`) is "--" followed by all of `boundary`. */
function startsWithBoundary(line: Buffer, start: number, boundary: Buffer): boolean {
  if (line.length < start + 2 + boundary.length) {
    return false;
  }
  for (let i = 0; i < boundary.length; i++) {
    if (line[start + 2 + i] !== boundary[i]) {
      return false;
    }
  }
  return true;
}

export class MimeSplitter extends MessageSplitter {
  /**
   * 1: the next part of the current multipart, 2: its end; 3: the next part of an enclosing
   * multipart (set as delimiterOwner), 4: its end; false: not a delimiter line.
   */
  checkBoundary(line: Buffer): 1 | 2 | 3 | 4 | false {
    const self = this as unknown as SplitterInternals;
    let start = 0;
    // a line ending in front of the delimiter belongs to it (as mailsplit reads it)
    if (line.length >= 1 && (line[0] === 0x0d || line[0] === 0x0a)) {
      start = line.length >= 2 && line[0] === 0x0d && line[1] === 0x0a ? 2 : 1;
    }
    if (line.length < start + 3 || line[start] !== 0x2d || line[start + 1] !== 0x2d) {
      return false;
    }
    let best: Buffer | undefined;
    let owner: SplitterNode | false = false;
    if (!self.inEpilogue && self.node._boundary && startsWithBoundary(line, start, self.node._boundary)) {
      best = self.node._boundary;
    }
    for (let open = self.node._parentBoundaryOwner; open; open = open._parentBoundaryOwner) {
      if (open._boundary && (!best || open._boundary.length > best.length) && startsWithBoundary(line, start, open._boundary)) {
        best = open._boundary;
        owner = open;
      }
    }
    if (!best) {
      return false;
    }
    const after = start + 2 + best.length;
    const closing = line[after] === 0x2d && line[after + 1] === 0x2d;
    if (!owner) {
      return closing ? 2 : 1;
    }
    self.delimiterOwner = owner;
    return closing ? 4 : 3;
  }

  newNode(parent?: SplitterNode | false): void {
    (MessageSplitter.prototype as unknown as { newNode(parent?: SplitterNode | false): void }).newNode.call(this, parent);
    const node = (this as unknown as SplitterInternals).node;
    const depth = parent ? (depths.get(parent) ?? 0) + 1 : 0;
    depths.set(node, depth);
    if (depth >= MAX_NESTING) {
      const parseHeaders = node.parseHeaders.bind(node);
      node.parseHeaders = () => {
        parseHeaders();
        node.multipart = false;
        node._boundary = false;
      };
    }
  }
}
