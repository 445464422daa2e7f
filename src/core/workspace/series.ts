// Patch series the way b4 sees them: the parts of one version hang off a cover letter ("0/n") or
// off part 1 by In-Reply-To (git send-email's shallow or deep threading); a later version is a new
// thread (often In-Reply-To the previous cover letter) or carries the same title. The newest
// version is the one to apply; missing parts are named. Review trailers (Reviewed-by, Acked-by,
// Tested-by) come from replies in the same conversation: a reply to a part counts for that part,
// a reply to the cover letter for every part (b4 am's rule).
import { parsePatchSubject, type PatchSubject } from './patchMail';
import { trimChars } from '../text';

/** A message of a folder as series grouping needs it (a MessageSummary maps onto this). */
export interface ThreadMessage {
  /** Caller's identifier (a UID), echoed back. */
  key: string;
  messageId?: string;
  inReplyTo?: string;
  /** The References header's ids, oldest first (optional: In-Reply-To is usually enough). */
  references?: string[];
  subject?: string;
  /** The sender's address (lower case is not required). */
  from?: string;
  date?: Date;
}

export interface SeriesPart<T extends ThreadMessage = ThreadMessage> {
  message: T;
  subject: PatchSubject;
}

export interface PatchSeries<T extends ThreadMessage = ThreadMessage> {
  /** The Message-ID of the thread root (cover letter or first part), or a synthetic key. */
  id: string;
  version: number;
  total: number;
  title: string;
  from: string;
  cover?: SeriesPart<T>;
  /** Parts by index (1..total); a hole is a missing part. */
  parts: Array<SeriesPart<T> | undefined>;
  /** Indexes of the parts not found, 1-based, ascending. */
  missing: number[];
  /** Other versions of the same series, oldest first (this one excluded). */
  otherVersions: number[];
}

function normId(id: string | undefined): string | undefined {
  const trimmed = id?.trim();
  if (!trimmed) {
    return undefined;
  }
  return (trimmed.startsWith('<') ? trimmed : `<${trimmed}>`).toLowerCase();
}

function normTitle(title: string): string {
  return title.toLowerCase().replace(/\s+/g, ' ').trim();
}

const MAX_CHAIN = 1000;

interface Family<T extends ThreadMessage> {
  series: Map<number, PatchSeries<T>>;
}

/**
 * Groups the patch mail among `messages` into series, one per version. The result lists every
 * version found; use newestVersion() to pick the one b4 would apply.
 */
export function groupSeries<T extends ThreadMessage>(messages: T[]): PatchSeries<T>[] {
  const byId = new Map<string, T>();
  const subjects = new Map<T, PatchSubject>();
  for (const m of messages) {
    const id = normId(m.messageId);
    if (id && !byId.has(id)) {
      byId.set(id, m);
    }
    const subject = parsePatchSubject(m.subject);
    if (subject) {
      subjects.set(m, subject);
    }
  }
  const series = new Map<string, PatchSeries<T>>();
  for (const [message, subject] of subjects) {
    // walk up to the first ancestor that is not a patch of the same version and size
    let root = message;
    for (let i = 0; i < MAX_CHAIN; i++) {
      const parent = byId.get(normId(root.inReplyTo) ?? '');
      const parentSubject = parent ? subjects.get(parent) : undefined;
      if (!parent || !parentSubject || parentSubject.version !== subject.version || parentSubject.total !== subject.total || parent === root) {
        break;
      }
      root = parent;
    }
    const rootSubject = subjects.get(root)!;
    const threaded = root !== message || rootSubject.index === 0 || subject.total === 1;
    // parts sent without threading at all: one series per sender, version and size
    const key = threaded || normId(root.inReplyTo) ? normId(root.messageId) ?? `key:${root.key}` : `loose:${(message.from ?? '').toLowerCase()}:${subject.version}:${subject.total}`;
    let entry = series.get(key);
    if (!entry) {
      entry = { id: key, version: subject.version, total: subject.total, title: '', from: message.from ?? '', parts: new Array<SeriesPart<T> | undefined>(subject.total).fill(undefined), missing: [], otherVersions: [] };
      series.set(key, entry);
    }
    const part = { message, subject };
    if (subject.index === 0) {
      entry.cover ??= part;
    } else if (!entry.parts[subject.index - 1]) {
      entry.parts[subject.index - 1] = part;
    }
  }
  const all = [...series.values()];
  for (const s of all) {
    s.title = s.cover?.subject.title ?? s.parts.find(Boolean)?.subject.title ?? '';
    s.missing = s.parts.flatMap((p, i) => (p ? [] : [i + 1]));
  }
  linkVersions(all, byId);
  return all;
}

/** Versions of one series: linked by In-Reply-To between roots, or by the same title and sender. */
function linkVersions<T extends ThreadMessage>(all: PatchSeries<T>[], byId: Map<string, T>): void {
  const families: Family<T>[] = [];
  const familyOf = new Map<PatchSeries<T>, Family<T>>();
  const rootOf = (s: PatchSeries<T>) => s.cover?.message ?? s.parts.find(Boolean)?.message;
  const byRootId = new Map<string, PatchSeries<T>>();
  for (const s of all) {
    const id = normId(rootOf(s)?.messageId);
    if (id) {
      byRootId.set(id, s);
    }
  }
  const join = (a: PatchSeries<T>, b: PatchSeries<T>) => {
    const fa = familyOf.get(a);
    const fb = familyOf.get(b);
    if (fa && fb && fa !== fb) {
      for (const [v, s] of fb.series) {
        fa.series.set(v, s);
        familyOf.set(s, fa);
      }
      families.splice(families.indexOf(fb), 1);
    } else if (fa && !fb) {
      fa.series.set(b.version, b);
      familyOf.set(b, fa);
    } else if (!fa && fb) {
      fb.series.set(a.version, a);
      familyOf.set(a, fb);
    } else if (!fa && !fb) {
      const family = { series: new Map([[a.version, a], [b.version, b]]) };
      families.push(family);
      familyOf.set(a, family);
      familyOf.set(b, family);
    }
  };
  for (const s of all) {
    // v2 sent In-Reply-To the v1 cover letter (or anything in v1's thread)
    let parent = byId.get(normId(rootOf(s)?.inReplyTo) ?? '');
    for (let i = 0; parent && i < MAX_CHAIN; i++) {
      const other = byRootId.get(normId(parent.messageId) ?? '');
      if (other && other !== s && other.version !== s.version) {
        join(s, other);
        break;
      }
      parent = byId.get(normId(parent.inReplyTo) ?? '');
    }
  }
  for (const a of all) {
    for (const b of all) {
      if (a !== b && a.version !== b.version && normTitle(a.title) === normTitle(b.title) && a.from.toLowerCase() === b.from.toLowerCase() && a.total > 0) {
        join(a, b);
      }
    }
  }
  for (const s of all) {
    const family = familyOf.get(s);
    s.otherVersions = family ? [...family.series.keys()].filter((v) => v !== s.version).sort((x, y) => x - y) : [];
  }
}

/**
 * The series `message` belongs to, switched to the newest version of it (b4 am: "the newest
 * version wins"). Undefined when the message is not part of any series.
 */
export function seriesFor<T extends ThreadMessage>(all: PatchSeries<T>[], message: T): { series: PatchSeries<T>; newest: PatchSeries<T> } | undefined {
  const series = all.find((s) => s.cover?.message === message || s.parts.some((p) => p?.message === message));
  if (!series) {
    return undefined;
  }
  return { series, newest: newestVersion(all, series) };
}

/** The newest version among the series linked to `series` (itself when it is the newest). */
export function newestVersion<T extends ThreadMessage>(all: PatchSeries<T>[], series: PatchSeries<T>): PatchSeries<T> {
  const newestNumber = Math.max(series.version, ...series.otherVersions);
  if (newestNumber === series.version) {
    return series;
  }
  return all.find((s) => s.version === newestNumber && s.otherVersions.includes(series.version)) ?? series;
}

/** The trailers b4 collects from review replies. */
export const REVIEW_TRAILERS = ['Reviewed-by', 'Acked-by', 'Tested-by'] as const;
export type ReviewTrailerName = (typeof REVIEW_TRAILERS)[number];

export interface Trailer {
  name: ReviewTrailerName;
  /** "Name <address>", as written in the reply. */
  value: string;
}

const MAX_TRAILER_LINE = 400;

/**
 * The review trailers written in a reply's own text (quoted lines, starting with ">", are not the
 * replier's). One pass over the lines, each bounded.
 */
export function trailersInReply(text: string): Trailer[] {
  const out: Trailer[] = [];
  for (const raw of text.replace(/\r\n?/g, '\n').split('\n')) {
    if (raw.length > MAX_TRAILER_LINE) {
      continue;
    }
    const line = raw.trim();
    if (line.startsWith('>')) {
      continue;
    }
    const colon = line.indexOf(':');
    if (colon < 0) {
      continue;
    }
    const name = REVIEW_TRAILERS.find((t) => t.toLowerCase() === line.slice(0, colon).toLowerCase());
    const value = line.slice(colon + 1).trim();
    // an address is what makes it a trailer and not a sentence ("Acked-by: me later")
    if (name && value && /<[^\s<>][^\s<>@]*@[^\s<>]+>$/.test(value)) {
      out.push({ name, value });
    }
  }
  return out;
}

export interface ReviewReply {
  inReplyTo?: string;
  references?: string[];
  /** The reply's decoded text body. */
  text: string;
}

/**
 * The trailers for each part of `series` (index 1..total -> trailers, deduplicated, in the order
 * they were written). A reply counts for the part it answers, or for every part when it answers the
 * cover letter; a reply to a reply counts for the patch that thread is about.
 */
export function collectTrailers<T extends ThreadMessage>(series: PatchSeries<T>, replies: ReviewReply[], thread: ThreadMessage[] = []): Map<number, Trailer[]> {
  const partById = new Map<string, number>();
  const coverId = normId(series.cover?.message.messageId);
  series.parts.forEach((p, i) => {
    const id = normId(p?.message.messageId);
    if (id) {
      partById.set(id, i + 1);
    }
  });
  const parentOf = new Map<string, string>();
  for (const m of thread) {
    const id = normId(m.messageId);
    const parent = normId(m.inReplyTo);
    if (id && parent) {
      parentOf.set(id, parent);
    }
  }
  const out = new Map<number, Trailer[]>();
  const add = (index: number, trailer: Trailer) => {
    const list = out.get(index) ?? [];
    if (!list.some((t) => t.name === trailer.name && t.value.toLowerCase() === trailer.value.toLowerCase())) {
      list.push(trailer);
    }
    out.set(index, list);
  };
  for (const reply of replies) {
    const trailers = trailersInReply(reply.text);
    if (!trailers.length) {
      continue;
    }
    // the nearest ancestor that is a part or the cover letter: up the In-Reply-To chain as far as
    // the thread is known, then the References from the newest back
    const candidates: string[] = [];
    const seen = new Set<string>();
    for (let id = normId(reply.inReplyTo); id && !seen.has(id) && seen.size < MAX_CHAIN; id = parentOf.get(id)) {
      seen.add(id);
      candidates.push(id);
    }
    candidates.push(...[...(reply.references ?? [])].reverse().map(normId).filter((x): x is string => Boolean(x)));
    let target: number | 'all' | undefined;
    for (const id of candidates) {
      if (partById.has(id)) {
        target = partById.get(id);
        break;
      }
      if (id === coverId) {
        target = 'all';
        break;
      }
    }
    if (target === undefined) {
      continue;
    }
    for (const trailer of trailers) {
      if (target === 'all') {
        series.parts.forEach((_p, i) => add(i + 1, trailer));
      } else {
        add(target, trailer);
      }
    }
  }
  return out;
}

/** A branch name for a series: "b4-style" lower-case words of the title, with the version. */
export function seriesBranchName(series: Pick<PatchSeries, 'title' | 'version'>): string {
  const words = series.title.toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim().split(' ').filter(Boolean).slice(0, 8);
  const base = trimChars(words.join('-').slice(0, 60), '-', 'end') || 'patch-series';
  return `${base}${series.version > 1 ? `-v${series.version}` : ''}`;
}
