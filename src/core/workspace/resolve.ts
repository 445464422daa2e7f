// Resolving a path from someone else's machine against the workspace: reporters' absolute paths
// (/home/dana/src/app/src/server.ts, C:\build\agent\src\Program.cs) are not ours, so the file is
// the workspace file whose path shares the longest suffix of segments with it. A tie is ambiguous
// and the user is asked; no shared file name is no match, and the reference stays plain text.

/** Splits a path as written by any OS into its segments ("C:", ".", "..", "" dropped). */
export function pathSegments(path: string): string[] {
  const segments = path.replace(/\\/g, '/').split('/');
  const out: string[] = [];
  for (const segment of segments) {
    if (!segment || segment === '.' || /^[A-Z]:$/i.test(segment)) {
      continue;
    }
    if (segment === '..') {
      // what came before a ".." is not a directory the file is in
      out.length = 0;
      continue;
    }
    out.push(segment);
  }
  return out;
}

/** The last segment, the file name to search the workspace for. */
export function fileNameOf(path: string): string | undefined {
  const segments = pathSegments(path);
  return segments[segments.length - 1];
}

/** How many trailing segments of `candidate` equal those of `reference` (0 when the names differ). */
export function sharedSuffix(reference: string[], candidate: string[]): number {
  let n = 0;
  while (n < reference.length && n < candidate.length && reference[reference.length - 1 - n] === candidate[candidate.length - 1 - n]) {
    n++;
  }
  return n;
}

export interface SuffixMatch<T> {
  /** The candidates sharing the longest suffix (one: resolved; several: ask). */
  best: T[];
  /** How many segments they share. */
  score: number;
}

/**
 * Ranks workspace files (`candidates`, each with its path relative to its workspace folder) for a
 * reference path. `hint` is a longer suffix known from context (a Java package) and counts when it
 * matches more. A candidate equal to the whole relative reference wins over deeper ones.
 */
export function matchBySuffix<T>(reference: string, candidates: Array<{ path: string; item: T }>, hint?: string): SuffixMatch<T> {
  const ref = pathSegments(reference);
  const hinted = hint ? pathSegments(hint) : undefined;
  let score = 0;
  let best: T[] = [];
  const exact: T[] = [];
  const relative = !/^(?:[A-Z]:)?[\\/]/i.test(reference) && !reference.startsWith('~');
  for (const { path, item } of candidates) {
    const segments = pathSegments(path);
    const s = Math.max(sharedSuffix(ref, segments), hinted ? sharedSuffix(hinted, segments) : 0);
    if (s === 0) {
      continue;
    }
    if (relative && s === ref.length && segments.length === ref.length) {
      exact.push(item);
    }
    if (s > score) {
      score = s;
      best = [item];
    } else if (s === score) {
      best.push(item);
    }
  }
  if (exact.length && exact.length < best.length && score === ref.length) {
    best = exact;
  }
  return { best, score };
}
