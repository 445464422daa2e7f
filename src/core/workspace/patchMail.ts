// Recognising patch mail as `git format-patch` / `git send-email` write it: a subject tag
// "[PATCH]", "[PATCH v2 3/7]", "[PATCH net-next v3 0/5]", "[RFC PATCH 2/2]", with a `diff --git`
// body, or a text/x-patch / text/x-diff attachment (`git format-patch --attach`). The diff itself
// is parsed by jsdiff (`diff`), never by hand. Every scan is a linear pass over bounded input.
import { type MessageStructureObject } from 'imapflow';
import { applyPatch, parsePatch, type StructuredPatch } from 'diff';
import { trimChars } from '../text';

/** What the subject tag of a patch mail says. */
export interface PatchSubject {
  /** 1 when the tag has no "vN". */
  version: number;
  /** 0 for a cover letter, 1..total for a part; 1 for a lone "[PATCH]". */
  index: number;
  /** 1 for a lone "[PATCH]". */
  total: number;
  /** Other words of the tag ("RFC", "RESEND", "net-next"), in order. */
  tags: string[];
  /** The subject after the tag, trimmed. */
  title: string;
}

const MAX_SUBJECT = 2000;
const MAX_TAG_WORDS = 16;

function parseTagWord(word: string, into: { version?: number; index?: number; total?: number; tags: string[]; patch: boolean }): void {
  const lower = word.toLowerCase();
  if (lower === 'patch') {
    into.patch = true;
    return;
  }
  // "v2", "V10"; git writes "v2" (format-patch -v2)
  if (/^v\d{1,4}$/i.test(word)) {
    into.version = Number(word.slice(1));
    return;
  }
  // "3/7", "03/12"
  if (/^\d{1,5}\/\d{1,5}$/.test(word)) {
    const [index, total] = word.split('/').map(Number);
    if (total >= 1 && index <= total) {
      into.index = index;
      into.total = total;
    }
    return;
  }
  into.tags.push(word);
}

/**
 * Reads the patch tag of a subject, or undefined when the subject is not a patch's. The tag is the
 * first "[...]" group holding the word PATCH; replies ("Re: [PATCH ...]") are not patches.
 */
export function parsePatchSubject(subject: string | undefined): PatchSubject | undefined {
  if (!subject) {
    return undefined;
  }
  const text = subject.slice(0, MAX_SUBJECT).replace(/\s+/g, ' ').trim();
  // mailing lists prepend their own "[list-name]" tag: skip leading bracket groups without PATCH
  let rest = text;
  for (let i = 0; i < 4 && rest.startsWith('['); i++) {
    const close = rest.indexOf(']');
    if (close < 0) {
      return undefined;
    }
    const words = rest.slice(1, close).split(' ').filter(Boolean);
    const state = { tags: [] as string[], patch: false } as { version?: number; index?: number; total?: number; tags: string[]; patch: boolean };
    if (words.length <= MAX_TAG_WORDS) {
      words.forEach((w) => parseTagWord(w, state));
    }
    if (state.patch) {
      return {
        version: state.version ?? 1,
        index: state.index ?? 1,
        total: state.total ?? 1,
        tags: state.tags,
        title: rest.slice(close + 1).trim(),
      };
    }
    rest = rest.slice(close + 1).trimStart();
  }
  return undefined;
}

const PATCH_TYPES = new Set(['text/x-patch', 'text/x-diff', 'text/x-diff-patch', 'application/x-patch']);

/** A MIME part that carries a patch: its type, or a text part named *.patch / *.diff. */
export function isPatchPart(contentType: string | undefined, filename?: string): boolean {
  const type = (contentType ?? '').toLowerCase().split(';')[0].trim();
  if (PATCH_TYPES.has(type)) {
    return true;
  }
  const name = (filename ?? '').toLowerCase();
  return (type === 'text/plain' || type === 'application/octet-stream') && (name.endsWith('.patch') || name.endsWith('.diff'));
}

function structureHasPatch(node: MessageStructureObject | undefined, depth = 0): boolean {
  if (!node || depth > 12) {
    return false;
  }
  const filename = node.dispositionParameters?.filename ?? node.parameters?.name;
  if (node.part && isPatchPart(node.type, filename)) {
    return true;
  }
  return (node.childNodes ?? []).some((child) => structureHasPatch(child, depth + 1));
}

/** The fields of a header-page row that patch recognition reads (MessageSummary has them). */
export interface PatchCandidate {
  subject?: string;
  structure?: MessageStructureObject;
}

/**
 * Whether a row of the message list is a patch, from what the header page already has: the
 * subject tag, or a patch attachment in BODYSTRUCTURE. The body's `diff --git` is checked when the
 * message is opened (isPatchMessage); a subject tag alone is enough to mark the row.
 */
export function isPatch(summary: PatchCandidate): boolean {
  const subject = parsePatchSubject(summary.subject);
  if (subject && subject.index > 0) {
    return true;
  }
  return structureHasPatch(summary.structure);
}

/**
 * How the message list marks a row: 'patch' for a patch (isPatch), 'series' for the cover letter of
 * a series ("[PATCH v2 0/3]": no diff, but Apply to Workspace applies its series), else undefined.
 */
export function patchRowKind(summary: PatchCandidate): 'patch' | 'series' | undefined {
  if (isPatch(summary)) {
    return 'patch';
  }
  const subject = parsePatchSubject(summary.subject);
  return subject && subject.index === 0 && subject.total > 1 ? 'series' : undefined;
}

const MAX_SCAN_LINES = 200000;

/** Index of the first line starting with `diff --git ` (or -1). */
function firstDiffLine(lines: string[]): number {
  const limit = Math.min(lines.length, MAX_SCAN_LINES);
  for (let i = 0; i < limit; i++) {
    if (lines[i].startsWith('diff --git ')) {
      return i;
    }
  }
  return -1;
}

/** A patch mail's body split the way `git mailinfo` splits it. */
export interface PatchBody {
  /** The commit message (without the "---" line and the diffstat). */
  message: string;
  /** Notes between "---" and the diff (diffstat, "Changes in v2"). */
  notes: string;
  /** The diff text from the first `diff --git` to the signature ("-- ") or the end. */
  diff: string;
}

/**
 * Splits a decoded body into commit message, notes and diff. Returns undefined when the body holds
 * no `diff --git`. Line ends are normalised to LF.
 */
export function splitPatchBody(text: string): PatchBody | undefined {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const start = firstDiffLine(lines);
  if (start < 0) {
    return undefined;
  }
  let end = lines.length;
  for (let i = start + 1; i < lines.length; i++) {
    // format-patch ends with "-- " and git's version; a diff line is never exactly "-- "
    if (lines[i] === '-- ') {
      end = i;
      break;
    }
  }
  const head = lines.slice(0, start);
  const separator = head.findIndex((l) => l === '---');
  const message = (separator >= 0 ? head.slice(0, separator) : head).join('\n').trim();
  const notes = separator >= 0 ? head.slice(separator + 1).join('\n').trim() : '';
  return { message, notes, diff: `${trimChars(lines.slice(start, end).join('\n'), '\n', 'end')}\n` };
}

/** The full check, once the body is known: a tagged subject with a diff, or a patch attachment. */
export function isPatchMessage(message: { subject?: string; text?: string; attachments?: Array<{ contentType: string; filename?: string }> }): boolean {
  if ((message.attachments ?? []).some((a) => isPatchPart(a.contentType, a.filename))) {
    return true;
  }
  return parsePatchSubject(message.subject) !== undefined && splitPatchBody(message.text ?? '') !== undefined;
}

/** One file of a parsed diff, with the names git gives it. */
export interface PatchFile {
  /** The path before the change ("a/..." stripped), undefined for a new file. */
  oldPath?: string;
  /** The path after the change, undefined for a deleted file. */
  newPath?: string;
  patch: StructuredPatch;
}

function stripPrefix(name: string | undefined): string | undefined {
  if (!name || name === '/dev/null') {
    return undefined;
  }
  return name.replace(/^[ab]\//, '');
}

/** Parses a diff with jsdiff into files. Binary diffs and pure renames have no hunks. */
export function parseDiff(diff: string): PatchFile[] {
  return parsePatch(diff).map((patch) => ({
    ...(stripPrefix(patch.oldFileName) ? { oldPath: stripPrefix(patch.oldFileName) } : {}),
    ...(stripPrefix(patch.newFileName) ? { newPath: stripPrefix(patch.newFileName) } : {}),
    patch,
  }));
}

export type FileApplyResult = { ok: true; text: string } | { ok: false; hunk: number; header: string };

function hunkHeader(h: StructuredPatch['hunks'][number]): string {
  return `@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`;
}

/**
 * Applies one file's patch to its current text in memory (jsdiff's applyPatch, exact context).
 * On failure, names the first hunk that does not apply (1-based, with its "@@" header): the
 * hunks are tried one more at a time, as `git apply` reports them.
 */
export function applyFilePatch(text: string, patch: StructuredPatch): FileApplyResult {
  const result = applyPatch(text, patch);
  if (result !== false) {
    return { ok: true, text: result };
  }
  for (let n = 1; n <= patch.hunks.length; n++) {
    if (applyPatch(text, { ...patch, hunks: patch.hunks.slice(0, n) }) === false) {
      return { ok: false, hunk: n, header: hunkHeader(patch.hunks[n - 1]) };
    }
  }
  return { ok: false, hunk: patch.hunks.length, header: hunkHeader(patch.hunks[patch.hunks.length - 1]) };
}
