// "Reply with review": the draft quotes the whole patch; the reviewer writes comments under the
// lines they are about. On sending, b4 review's rule: only the hunks that have a comment stay,
// each with a few lines of quoted context before the comment, the file header above them, and
// "[...]" where quoted lines were cut. Text outside the quote (greeting, sign-off) stays as written.
import { splitPatchBody } from './patchMail';

import { trimChars } from '../text';

/** Quoted lines kept before each comment. */
export const REVIEW_CONTEXT_LINES = 3;

/** Quotes a patch body for review: every line with "> " (">" alone for empty lines), without the "-- " signature. */
export function quotePatch(body: string): string {
  const lines = body.replace(/\r\n?/g, '\n').split('\n');
  const signature = lines.lastIndexOf('-- ');
  return trimChars((signature > 0 ? lines.slice(0, signature) : lines).join('\n'), '\n', 'end')
    .split('\n')
    .map((l) => (l ? `> ${l}` : '>'))
    .join('\n');
}

type Block = { kind: 'quote'; lines: string[] } | { kind: 'text'; lines: string[] };

function isQuoted(line: string): boolean {
  return line.startsWith('>');
}

function unquote(line: string): string {
  return line.replace(/^> ?/, '');
}

/** The review's quoted patch split into units: the commit message part, and each hunk with its file. */
interface Unit {
  /** Lines of the quote (as quoted), first the file header when it is a hunk. */
  header: string[];
  body: Array<{ line: string; comments: string[][] }>;
}

/**
 * Trims a review reply before sending. `text` is the draft body (LF or CRLF). Quoted units (the
 * commit message before the diff, each hunk) without a comment are dropped; in kept units, only
 * REVIEW_CONTEXT_LINES quoted lines before each comment are kept. Returns the text unchanged when
 * it has no comment inside the quote (nothing would be left to answer).
 */
export function trimReview(text: string, context = REVIEW_CONTEXT_LINES): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const blocks: Block[] = [];
  for (const line of lines) {
    const kind = isQuoted(line) ? 'quote' : 'text';
    const last = blocks[blocks.length - 1];
    if (last && last.kind === kind) {
      last.lines.push(line);
    } else {
      blocks.push({ kind, lines: [line] });
    }
  }
  const firstQuote = blocks.findIndex((b) => b.kind === 'quote');
  let lastQuote = -1;
  blocks.forEach((b, i) => (b.kind === 'quote' ? (lastQuote = i) : undefined));
  if (firstQuote < 0) {
    return text;
  }
  // text between quote blocks is a comment on the quote above it
  const hasComment = blocks.slice(firstQuote, lastQuote + 1).some((b) => b.kind === 'text' && b.lines.some((l) => l.trim()));
  if (!hasComment) {
    return text;
  }
  const units: Unit[] = [];
  let fileHeader: string[] = [];
  let current: Unit | undefined;
  let inFileHeader = false;
  const newUnit = (header: string[]) => {
    current = { header, body: [] };
    units.push(current);
  };
  newUnit([]);
  for (let b = firstQuote; b <= lastQuote; b++) {
    const block = blocks[b];
    if (block.kind === 'text') {
      if (!current) {
        newUnit([...fileHeader]);
      }
      const target = current!.body[current!.body.length - 1];
      if (target) {
        target.comments.push(block.lines);
      } else if (current!.header.length) {
        // a comment right under a hunk's "@@" line is about that hunk
        current!.body.push({ line: current!.header.pop()!, comments: [block.lines] });
      }
      continue;
    }
    for (const line of block.lines) {
      const content = unquote(line);
      if (content.startsWith('diff --git ')) {
        fileHeader = [line];
        inFileHeader = true;
        current = undefined;
        continue;
      }
      if (inFileHeader && !content.startsWith('@@')) {
        fileHeader.push(line);
        continue;
      }
      if (content.startsWith('@@')) {
        inFileHeader = false;
        newUnit([...fileHeader, line]);
        continue;
      }
      if (!current) {
        newUnit([...fileHeader]);
      }
      current!.body.push({ line, comments: [] });
    }
  }
  const out: string[] = [...blocks.slice(0, firstQuote).flatMap((b) => b.lines)];
  let printedHeader = '';
  for (const unit of units) {
    const commented = unit.body.some((l) => l.comments.length);
    if (!commented) {
      continue;
    }
    // the file header once per file, then the hunk line
    const fileLines = unit.header.filter((l) => !unquote(l).startsWith('@@'));
    const key = fileLines.join('\n');
    if (key && key !== printedHeader) {
      if (out.length && out[out.length - 1] !== '>' && out[out.length - 1]?.startsWith('>')) {
        out.push('>');
      }
      out.push(...fileLines);
      printedHeader = key;
    }
    out.push(...unit.header.filter((l) => unquote(l).startsWith('@@')));
    let keptUpTo = -1;
    unit.body.forEach((entry, i) => {
      if (!entry.comments.length) {
        return;
      }
      const from = Math.max(keptUpTo + 1, i - context + 1);
      if (from > keptUpTo + 1) {
        out.push('> [...]');
      }
      for (let k = from; k <= i; k++) {
        out.push(unit.body[k].line);
        for (const comment of unit.body[k].comments) {
          out.push(...comment);
        }
      }
      keptUpTo = i;
    });
    if (keptUpTo < unit.body.length - 1) {
      out.push('> [...]');
    }
  }
  out.push(...blocks.slice(lastQuote + 1).flatMap((b) => b.lines));
  return out.join('\n');
}

/**
 * The text a review quotes: a body that holds the diff as it is; else the body followed by the
 * diff of the patch attachment (`git format-patch --attach`), so the reviewer can comment under
 * its lines too.
 */
export function reviewText(body: string | undefined, attachment: string | undefined): string {
  const text = body ?? '';
  if (attachment === undefined || splitPatchBody(text)) {
    return text;
  }
  return `${text.trimEnd()}\n\n${attachment.replace(/\r\n?/g, '\n')}`;
}
