// A set of UIDs kept as sorted, disjoint ranges: what ESEARCH ALL returns (RFC 4731 3, a
// sequence-set such as "3:7,9,12:13") stays that small in memory, so 90,000 hits in a 100,000
// message folder cost a few thousand ranges, not an array of 90,000 numbers. Pages of hits are
// taken from the top (the newest UIDs) without ever expanding the set.

/** Servers are not trusted: more ranges than this in one answer are refused (a hostile "1,3,5,..."). */
export const MAX_RANGES = 1_000_000;
const MAX_UID = 0xffffffff;

export class UidSet {
  /** [lo, hi] pairs, ascending and disjoint (never adjacent: 3:4,5:6 is stored as 3:6). */
  private constructor(private readonly ranges: ReadonlyArray<readonly [number, number]>) {}

  static readonly empty = new UidSet([]);

  /**
   * Parses an IMAP sequence set of UIDs (RFC 3501 9 sequence-set, without "*": a server's UID
   * sets never hold it, RFC 9051 4.1.1).
   *
   * @throws Error on anything else (a "*", a zero, a number above 2^32-1, too many ranges).
   */
  static parse(text: string): UidSet {
    const pairs: Array<[number, number]> = [];
    let i = 0;
    const number = (): number => {
      const start = i;
      let value = 0;
      while (i < text.length && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57 && i - start < 11) {
        value = value * 10 + (text.charCodeAt(i) - 48);
        i++;
      }
      if (i === start || value < 1 || value > MAX_UID) {
        throw new Error(`Not a UID set: "${text.slice(0, 40)}"`);
      }
      return value;
    };
    while (i < text.length) {
      const lo = number();
      let hi = lo;
      if (text[i] === ':') {
        i++;
        hi = number();
      }
      pairs.push(lo <= hi ? [lo, hi] : [hi, lo]);
      if (pairs.length > MAX_RANGES) {
        throw new Error('The server sent more UID ranges than any folder holds');
      }
      if (i < text.length) {
        if (text[i] !== ',') {
          throw new Error(`Not a UID set: "${text.slice(0, 40)}"`);
        }
        i++;
      }
    }
    return UidSet.fromRanges(pairs);
  }

  /** From single UIDs in any order (a plain SEARCH answer). */
  static of(uids: Iterable<number>): UidSet {
    const sorted = [...uids].filter((u) => Number.isInteger(u) && u > 0 && u <= MAX_UID).sort((a, b) => a - b);
    const pairs: Array<[number, number]> = [];
    for (const uid of sorted) {
      const last = pairs[pairs.length - 1];
      if (last && uid <= last[1] + 1) {
        last[1] = Math.max(last[1], uid);
      } else {
        pairs.push([uid, uid]);
      }
    }
    return new UidSet(pairs);
  }

  private static fromRanges(pairs: Array<[number, number]>): UidSet {
    pairs.sort((a, b) => a[0] - b[0]);
    const merged: Array<[number, number]> = [];
    for (const [lo, hi] of pairs) {
      const last = merged[merged.length - 1];
      if (last && lo <= last[1] + 1) {
        last[1] = Math.max(last[1], hi);
      } else {
        merged.push([lo, hi]);
      }
    }
    return new UidSet(merged);
  }

  get size(): number {
    let n = 0;
    for (const [lo, hi] of this.ranges) {
      n += hi - lo + 1;
    }
    return n;
  }

  get isEmpty(): boolean {
    return this.ranges.length === 0;
  }

  get max(): number | undefined {
    return this.ranges.length ? this.ranges[this.ranges.length - 1][1] : undefined;
  }

  get min(): number | undefined {
    return this.ranges.length ? this.ranges[0][0] : undefined;
  }

  /** How many ranges the set holds (what its memory costs). */
  get rangeCount(): number {
    return this.ranges.length;
  }

  has(uid: number): boolean {
    let lo = 0;
    let hi = this.ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const [a, b] = this.ranges[mid];
      if (uid < a) {
        hi = mid - 1;
      } else if (uid > b) {
        lo = mid + 1;
      } else {
        return true;
      }
    }
    return false;
  }

  /** The `count` highest UIDs below `below` (all when undefined), highest first. */
  newest(count: number, below?: number): number[] {
    const out: number[] = [];
    for (let r = this.ranges.length - 1; r >= 0 && out.length < count; r--) {
      const [lo, hi] = this.ranges[r];
      const top = below === undefined ? hi : Math.min(hi, below - 1);
      for (let uid = top; uid >= lo && out.length < count; uid--) {
        out.push(uid);
      }
    }
    return out;
  }

  /** How many UIDs are below `below`. */
  countBelow(below: number): number {
    let n = 0;
    for (const [lo, hi] of this.ranges) {
      if (lo >= below) {
        break;
      }
      n += Math.min(hi, below - 1) - lo + 1;
    }
    return n;
  }

  union(other: UidSet): UidSet {
    return UidSet.fromRanges([...this.ranges, ...other.ranges].map(([a, b]) => [a, b]));
  }

  /** A new set without these UIDs. */
  without(uids: Iterable<number>): UidSet {
    const gone = UidSet.of(uids);
    if (gone.isEmpty) {
      return this;
    }
    const out: Array<[number, number]> = [];
    for (const [lo, hi] of this.ranges) {
      let start = lo;
      for (const [glo, ghi] of gone.ranges) {
        if (ghi < start || glo > hi) {
          continue;
        }
        if (glo > start) {
          out.push([start, glo - 1]);
        }
        start = ghi + 1;
        if (start > hi) {
          break;
        }
      }
      if (start <= hi) {
        out.push([start, hi]);
      }
    }
    return new UidSet(out);
  }

  /** A new set with these UIDs added. */
  with(uids: Iterable<number>): UidSet {
    return this.union(UidSet.of(uids));
  }

  /** The set as IMAP text ("3:7,9"). */
  toString(): string {
    return this.ranges.map(([lo, hi]) => (lo === hi ? String(lo) : `${lo}:${hi}`)).join(',');
  }
}
