// Search and conversations (issue 13): the first page of a search in the open 100k folder with 10,
// 10,000 and 90,000 hits; a search over 20 folders against a sequential baseline; the first page of
// conversations in the 100k folder against a naive baseline that fetches every References header
// and against THREAD over the whole folder.
import { ConnectionPool } from '../../../src/core/mail/pool';
import { HEADER_QUERY, type MessageSummary, toSummary, uidSet } from '../../../src/core/mail/headers';
import { type MailSession } from '../../../src/core/mail/session';
import { compileQuery, type SearchKey } from '../../../src/core/search/compile';
import { fetchHitPage, hitCount, searchFolder, uidSearch } from '../../../src/core/search/folderSearch';
import { parseQuery } from '../../../src/core/search/query';
import { SearchRun } from '../../../src/core/search/run';
import { buildConversations, fetchWindow, LOOK_BACK, referencesOf, windowConversations } from '../../../src/core/threads/conversations';
import { keysOf, threadMessages } from '../../../src/core/threads/jwz';
import { serverThreads } from '../../../src/core/threads/serverThread';
import { benchMessage } from '../corpus';
import { FOLDERS } from '../corpus';
import { type BenchContext, ourSession, type Row, runRow } from '../context';
import { type Sample } from '../meter';
import { type MetricSpec, type Verdict } from '../report';
import { seedBulkFolder } from '../../support/seed';
import { DEFAULT_USER } from '../../support/dovecot';
import { RawImap, quote } from '../rawImap';

const PAGE = 50;
const HIT_CASES = [10, 10_000, 90_000] as const;
const MANY = Array.from({ length: 20 }, (_, i) => ({ name: `BenchS${String(i + 1).padStart(2, '0')}`, count: 1_000 }));

export const SEARCH_SPECS: Record<string, MetricSpec> = {
  searchpage: {
    metric: 'First search page, open 100k folder',
    target: 'at most 2 round trips (SEARCH, then FETCH of one page); bytes before the first page do not grow with the hits beyond what the server sends',
    extra: [
      { title: 'hits', value: (s) => (s.extra.hits === undefined ? '-' : s.extra.hits.toLocaleString('en-US')) },
      { title: 'sent before page B', value: (s) => (s.extra.upBeforePage === undefined ? '-' : String(s.extra.upBeforePage)) },
      { title: 'received before page KB', value: (s) => (s.extra.downBeforePage === undefined ? '-' : (s.extra.downBeforePage / 1024).toFixed(1)) },
      { title: 'server answer KB', value: (s) => (s.extra.answerBytes === undefined ? '-' : (s.extra.answerBytes / 1024).toFixed(1)) },
    ],
  },
  search20: {
    metric: 'Search over 20 folders',
    target: 'time to the first results and the total, against a sequential baseline (no number given)',
    extra: [
      { title: 'first results ms', value: (s) => (s.extra.firstMs === undefined ? '-' : s.extra.firstMs.toFixed(0)) },
      { title: 'hits', value: (s) => (s.extra.hits === undefined ? '-' : String(s.extra.hits)) },
      { title: 'connections', value: (s) => String(s.connections) },
    ],
  },
  conversations: {
    metric: 'First page of conversations, 100k folder',
    target: 'round trips and bytes, against a naive baseline (every References header) and against THREAD itself (no number given)',
    extra: [
      { title: 'conversations', value: (s) => (s.extra.conversations === undefined ? '-' : String(s.extra.conversations)) },
      { title: 'messages', value: (s) => (s.extra.messages === undefined ? '-' : String(s.extra.messages)) },
    ],
  },
};

// ---- first search page ----

/** The LARGER threshold (bytes) whose hit count in the folder is closest to `target` (ESEARCH COUNT, binary search). */
async function largerFor(session: MailSession, folder: string, target: number): Promise<{ bytes: number; hits: number }> {
  return session.withMailbox(folder, async (client) => {
    let lo = 0;
    let hi = 64 * 1024;
    let best = { bytes: hi, hits: 0 };
    for (let i = 0; i < 20 && lo <= hi; i++) {
      const mid = Math.floor((lo + hi) / 2);
      const { uids } = await uidSearch(client, { op: 'size', name: 'LARGER', bytes: mid });
      if (Math.abs(uids.size - target) < Math.abs(best.hits - target)) {
        best = { bytes: mid, hits: uids.size };
      }
      if (uids.size > target) {
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return best;
  }, { readOnly: true });
}

export async function searchFirstPage(ctx: BenchContext): Promise<void> {
  const metric = SEARCH_SPECS.searchpage.metric;
  const folder = FOLDERS.k100.name;
  const probe = ourSession(ctx);
  const thresholds = new Map<number, { bytes: number; hits: number }>();
  for (const target of HIT_CASES) {
    thresholds.set(target, await largerFor(probe, folder, target));
  }
  await probe.close();
  ctx.evidence['searchpage.thresholds'] = Object.fromEntries([...thresholds].map(([k, v]) => [k, v]));
  for (const target of HIT_CASES) {
    const { bytes, hits } = thresholds.get(target)!;
    const query = parseQuery(`larger:${bytes}`);
    const label = `${target.toLocaleString('en-US')} hits`;
    let session: MailSession | undefined;
    const open = async () => {
      session = ourSession(ctx);
      await session.withMailbox(folder, async () => undefined, { readOnly: true });
    };
    for (const variant of ['partial', 'all'] as const) {
      await runRow(ctx, {
        metric, case: label, kind: 'ours', runs: 5, short: variant === 'partial' ? 'ours' : 'ours (ESEARCH ALL)',
        label: variant === 'partial'
          ? `open folder: UID SORT RETURN (COUNT PARTIAL 1:${PAGE}) (REVERSE ARRIVAL) UTF-8 LARGER ${bytes} (ESORT), then UID FETCH of those ${PAGE}`
          : `open folder, a server without ESORT: UID SEARCH RETURN (COUNT MIN MAX ALL) LARGER ${bytes}, then UID FETCH of the newest ${PAGE} hits`,
        setup: open,
        measure: async () => {
          return session!.withMailbox(folder, async (client) => {
            const compiled = compileQuery(query, { capabilities: client.capabilities });
            const found = await searchFolder(client, compiled, variant === 'partial' ? PAGE : undefined);
            const before = { ...ctx.proxy.proxy.bytes };
            const page = await fetchHitPage(client, found, PAGE);
            if (page.messages.length !== Math.min(PAGE, hits) || hitCount(found) !== hits) {
              throw new Error(`unexpected search page: ${page.messages.length} of ${hitCount(found)}`);
            }
            const answer = found.partial ? found.partial.order.join(',').length + 60 : found.uids.toString().length + 40;
            return { hits: hitCount(found), upBeforePage: before.up, downBeforePage: before.down, answerBytes: answer, ranges: found.partial ? 0 : found.uids.rangeCount };
          }, { readOnly: true });
        },
        teardown: async () => void (await session?.close()),
      });
    }
    await runRow(ctx, {
      metric, case: label, kind: 'baseline', runs: 3,
      label: 'open folder: plain UID SEARCH (one number per hit, as imapflow\'s search() without ESEARCH), then UID FETCH of the newest 50',
      setup: open,
      measure: async () => {
        return session!.withMailbox(folder, async (client) => {
          const all = await client.search({ larger: bytes }, { uid: true });
          if (!Array.isArray(all)) {
            throw new Error('baseline search failed');
          }
          const before = { ...ctx.proxy.proxy.bytes };
          const newest = all.slice(-PAGE);
          let n = 0;
          for await (const message of client.fetch(uidSet(newest), HEADER_QUERY, { uid: true })) {
            toSummary(message);
            n++;
          }
          if (n !== Math.min(PAGE, hits)) {
            throw new Error('baseline page');
          }
          return { hits: all.length, upBeforePage: before.up, downBeforePage: before.down };
        }, { readOnly: true });
      },
      teardown: async () => void (await session?.close()),
    });
  }
}

// ---- 20 folders ----

/** Seeds BenchS01..20 (1,000 messages each) into the cached mail once, and warms Dovecot's index. */
async function ensureManyFolders(ctx: BenchContext): Promise<void> {
  const session = ourSession(ctx, { port: ctx.server.imapsPort });
  const listed = new Set((await session.run((c) => c.list())).map((f) => f.path));
  await session.close();
  const missing = MANY.filter((f) => !listed.has(f.name));
  if (!missing.length) {
    return;
  }
  ctx.log(`  seeding ${missing.length} folders of 1,000 messages for the 20-folder search (once; kept in the cache)...`);
  for (const folder of missing) {
    const seed = 200 + MANY.indexOf(folder);
    seedBulkFolder(ctx.server, DEFAULT_USER.name, folder.name, folder.count, (i, date) => benchMessage(i, date, seed));
    const raw = await RawImap.connect({ host: ctx.server.host, port: ctx.server.imapsPort, ca: ctx.server.ca ? [ctx.server.ca.pem] : undefined, keepLiteral: 0 });
    raw.discardUntagged = true;
    await raw.waitGreeting();
    await raw.pipeline([`LOGIN ${quote(DEFAULT_USER.name)} ${quote(DEFAULT_USER.password)}`, `EXAMINE ${folder.name}`]);
    await raw.command('UID FETCH 1:* (UID FLAGS ENVELOPE BODYSTRUCTURE RFC822.SIZE INTERNALDATE)');
    await raw.logout();
  }
}

export async function searchManyFolders(ctx: BenchContext): Promise<void> {
  const metric = SEARCH_SPECS.search20.metric;
  await ensureManyFolders(ctx);
  const query = parseQuery('from:dana');
  const refs = MANY.map((f) => ({ accountId: 'bench', path: f.name }));
  const label = '20 folders x 1,000, from:dana';
  let pool: ConnectionPool | undefined;
  await runRow(ctx, {
    metric, case: label, kind: 'ours', runs: 3,
    label: 'SearchRun over a pool of 3 connections (opened on demand): EXAMINE, UID SEARCH, UID FETCH of the first page per folder, 3 folders at a time',
    setup: async () => void (pool = new ConnectionPool(() => ourSession(ctx), 3)),
    measure: async () => {
      const run = new SearchRun(query, refs, { pool: () => pool!, pageSize: PAGE });
      await run.start();
      if (run.results.failures.length) {
        throw new Error(`search failed: ${run.results.failures[0].error?.message}`);
      }
      return { elapsedMs: run.finishedMs!, firstMs: run.firstResultsMs ?? NaN, hits: run.results.count };
    },
    teardown: async () => void (await pool?.close()),
  });
  const warm = new ConnectionPool(() => ourSession(ctx), 3);
  await runRow(ctx, {
    metric, case: label, kind: 'ours', runs: 3, short: 'ours (warm pool)',
    label: 'the same with the pool\'s 3 connections already logged in (a search within a minute of the previous one)',
    setup: async () => {
      await Promise.all([0, 1, 2].map(() => warm.use((s) => s.connection())));
    },
    measure: async () => {
      const run = new SearchRun(query, refs, { pool: () => warm, pageSize: PAGE });
      await run.start();
      return { elapsedMs: run.finishedMs!, firstMs: run.firstResultsMs ?? NaN, hits: run.results.count };
    },
  });
  await warm.close();
  let session: MailSession | undefined;
  await runRow(ctx, {
    metric, case: label, kind: 'baseline', runs: 3,
    label: 'sequential: one connection, the same three commands folder after folder',
    setup: async () => void (session = ourSession(ctx)),
    measure: async () => {
      const started = performance.now();
      let firstMs = NaN;
      let total = 0;
      for (const ref of refs) {
        await session!.withMailbox(ref.path, async (client) => {
          const hits = await searchFolder(client, compileQuery(query, { capabilities: client.capabilities }));
          const page = await fetchHitPage(client, hits, PAGE);
          total += hits.uids.size;
          if (page.messages.length && Number.isNaN(firstMs)) {
            firstMs = performance.now() - started;
          }
        }, { readOnly: true });
      }
      return { firstMs, hits: total };
    },
    teardown: async () => void (await session?.close()),
  });
}

// ---- conversations ----

export async function conversationsFirstPage(ctx: BenchContext): Promise<void> {
  const metric = SEARCH_SPECS.conversations.metric;
  const folder = FOLDERS.k100.name;
  const label = '100k folder, newest 50 messages';
  let session: MailSession | undefined;
  const open = async () => {
    session = ourSession(ctx);
    await session.withMailbox(folder, async () => undefined, { readOnly: true });
  };
  await runRow(ctx, {
    metric, case: label, kind: 'ours', runs: 5, short: 'ours: first rows',
    label: 'open folder: UID FETCH of the newest 50 with References, grouped by JWZ at once (what the view shows while the rest is looked for)',
    setup: open,
    measure: async () => {
      return session!.withMailbox(folder, async (client, mailbox) => {
        const page = windowConversations(await fetchWindow(client, mailbox, PAGE));
        return { conversations: page.conversations.length, messages: page.conversations.reduce((n, c) => n + c.messages.length, 0) };
      }, { readOnly: true });
    },
    teardown: async () => void (await session?.close()),
  });
  for (const variant of ['THREAD=REFS', 'client JWZ'] as const) {
    await runRow(ctx, {
      metric, case: label, kind: 'ours', runs: 3, short: variant === 'THREAD=REFS' ? 'ours (THREAD)' : 'ours (client)',
      label: variant === 'THREAD=REFS'
        ? `open folder: UID FETCH of the newest 50 with References, UID THREAD REFS over them and their older relatives (${LOOK_BACK} messages back), UID FETCH of those`
        : `open folder, THREAD not used: UID FETCH of the newest 50 with References, UID SEARCH of their older relatives (${LOOK_BACK} messages back), UID FETCH of those, JWZ`,
      setup: open,
      measure: async () => {
        return session!.withMailbox(folder, async (client, mailbox) => {
          const window = await fetchWindow(client, mailbox, PAGE);
          const page = await buildConversations(client, mailbox, window, variant === 'client JWZ' ? { clientOnly: true } : {});
          return { conversations: page.conversations.length, messages: page.conversations.reduce((n, c) => n + c.messages.length, 0), older: page.older };
        }, { readOnly: true });
      },
      teardown: async () => void (await session?.close()),
    });
  }
  await runRow(ctx, {
    metric, case: label, kind: 'baseline', runs: 1, short: 'THREAD itself',
    label: 'open folder: UID THREAD REFS UTF-8 ALL (every message of the folder), then UID FETCH of the newest 50 conversations\' messages',
    setup: open,
    measure: async () => {
      return session!.withMailbox(folder, async (client) => {
        const threads = await serverThreads(client, 'REFS', { op: 'all' } as SearchKey);
        const newest = threads.map((t) => keysOf(t).map(Number)).sort((a, b) => Math.max(...b) - Math.max(...a)).slice(0, PAGE);
        const uids = newest.flat();
        let n = 0;
        for await (const message of client.fetch(uidSet(uids), HEADER_QUERY, { uid: true })) {
          toSummary(message);
          n++;
        }
        return { conversations: newest.length, messages: n };
      }, { readOnly: true });
    },
    teardown: async () => void (await session?.close()),
  });
  await runRow(ctx, {
    metric, case: label, kind: 'baseline', runs: 1, short: 'naive',
    label: 'open folder: UID FETCH 1:* of ENVELOPE and the References header of every message, JWZ on the client, the newest 50 conversations',
    setup: open,
    measure: async () => {
      return session!.withMailbox(folder, async (client) => {
        const inputs: Array<{ key: string; messageId?: string; inReplyTo?: string; references: string[] }> = [];
        const summaries = new Map<string, MessageSummary>();
        for await (const message of client.fetch('1:*', { uid: true, envelope: true, headers: ['references'] }, { uid: true })) {
          // the header block holds only References: the ids come from the ENVELOPE
          const key = String(message.uid);
          inputs.push({ key, ...(message.envelope?.messageId ? { messageId: message.envelope.messageId } : {}), ...(message.envelope?.inReplyTo ? { inReplyTo: message.envelope.inReplyTo } : {}), references: referencesOf(message.headers) });
          if (message.uid > FOLDERS.k100.count - 2000) {
            summaries.set(key, toSummary(message));
          }
        }
        const roots = threadMessages(inputs).map((r) => keysOf(r).map(Number)).sort((a, b) => Math.max(...b) - Math.max(...a)).slice(0, PAGE);
        return { conversations: roots.length, messages: roots.flat().length };
      }, { readOnly: true });
    },
    teardown: async () => void (await session?.close()),
  });
}

export const SEARCH_SCENARIOS: Record<string, (ctx: BenchContext) => Promise<void>> = {
  searchpage: searchFirstPage,
  search20: searchManyFolders,
  conversations: conversationsFirstPage,
};

function bytes(s: Sample | undefined): number {
  return s ? s.up + s.down : NaN;
}

function kb(n: number): string {
  return `${(n / 1024).toFixed(1)} KB`;
}

/** The verdicts of the search rows, for test/bench/run.ts. */
export function searchVerdicts(rows: Row[]): Verdict[] {
  const out: Verdict[] = [];
  const row = (metric: string, c: string, short: string) => rows.find((r) => r.metric === metric && r.case === c && r.short === short)?.median;
  const sp = SEARCH_SPECS.searchpage.metric;
  if (rows.some((r) => r.metric === sp)) {
    const cases = HIT_CASES.map((t) => `${t.toLocaleString('en-US')} hits`);
    const ours = cases.map((c) => row(sp, c, 'ours'));
    const all = cases.map((c) => row(sp, c, 'ours (ESEARCH ALL)'));
    const base = cases.map((c) => row(sp, c, 'baseline'));
    if (ours.every(Boolean)) {
      const o = ours as Sample[];
      const rtOk = o.every((s) => s.roundTrips <= 2);
      const sent = o.map((s) => s.extra.upBeforePage);
      const received = o.map((s) => s.extra.downBeforePage);
      // flat: the same command out, an answer of the same size back (a few bytes for the count's digits)
      const flat = Math.max(...sent) - Math.min(...sent) <= 16 && Math.max(...received) - Math.min(...received) <= 256;
      out.push({
        metric: sp, target: SEARCH_SPECS.searchpage.target,
        status: rtOk && flat ? 'MET' : rtOk ? 'PARTLY' : 'MISSED',
        because: [
          `round trips: ${o.map((s, i) => `${s.roundTrips} (${cases[i]})`).join(', ')}: UID SORT RETURN (COUNT PARTIAL 1:50) (REVERSE ARRIVAL), then one UID FETCH`,
          `bytes before the first page: sent ${sent.join(' / ')} B, received ${received.map((r) => `${r} B`).join(' / ')} for ${cases.join(' / ')}: the answer names the 50 newest hits and the count, whatever the number of hits`,
          ...(all.every(Boolean) ? [`without ESORT (ESEARCH ALL, a compact set of every hit: ${(all as Sample[]).map((s) => s.extra.ranges).join(' / ')} ranges): received before the page ${(all as Sample[]).map((s) => kb(s.extra.downBeforePage)).join(' / ')}, ${(all as Sample[]).map((s) => s.roundTrips).join(' / ')} RT`] : []),
          ...(base.every(Boolean) ? [`baseline (plain SEARCH, one number per hit): received before the page ${(base as Sample[]).map((s) => kb(s.extra.downBeforePage)).join(' / ')} (${(base as Sample[]).map((s, i) => `${(s.extra.downBeforePage / o[i].extra.downBeforePage).toFixed(0)}x ours`).join(' / ')}); time ${(base as Sample[]).map((s, i) => `${s.ms.toFixed(0)} vs ${o[i].ms.toFixed(0)} ms`).join(' / ')}`] : []),
        ],
      });
    }
  }
  const s20 = SEARCH_SPECS.search20.metric;
  const c20 = '20 folders x 1,000, from:dana';
  const o20 = row(s20, c20, 'ours');
  const w20 = row(s20, c20, 'ours (warm pool)');
  const b20 = row(s20, c20, 'baseline');
  if (o20 && b20) {
    out.push({
      metric: s20, target: SEARCH_SPECS.search20.target,
      status: o20.extra.firstMs <= b20.extra.firstMs * 1.5 && o20.ms < b20.ms ? 'MET' : 'MISSED',
      because: [
        `first results: ours ${o20.extra.firstMs.toFixed(0)} ms vs sequential ${b20.extra.firstMs.toFixed(0)} ms (${(b20.extra.firstMs / o20.extra.firstMs).toFixed(2)}x)`,
        `all 20 folders: ours ${o20.ms.toFixed(0)} ms vs sequential ${b20.ms.toFixed(0)} ms (${(b20.ms / o20.ms).toFixed(2)}x faster) over ${o20.connections} connections`,
        ...(w20 ? [`with the pool's connections already open: first results ${w20.extra.firstMs.toFixed(0)} ms (${(b20.extra.firstMs / w20.extra.firstMs).toFixed(2)}x), all ${w20.ms.toFixed(0)} ms (${(b20.ms / w20.ms).toFixed(2)}x)`] : []),
        `both found ${o20.extra.hits} / ${b20.extra.hits} hits`,
      ],
    });
  }
  const cm = SEARCH_SPECS.conversations.metric;
  const cc = '100k folder, newest 50 messages';
  const of = row(cm, cc, 'ours: first rows');
  const ot = row(cm, cc, 'ours (THREAD)');
  const oc = row(cm, cc, 'ours (client)');
  const bt = row(cm, cc, 'THREAD itself');
  const bn = row(cm, cc, 'naive');
  if (ot && oc) {
    out.push({
      metric: cm, target: SEARCH_SPECS.conversations.target,
      status: bn && bt && bytes(ot) < bytes(bt) && bytes(oc) < bytes(bn) ? 'MET' : 'PARTLY',
      because: [
        ...(of ? [`first rows on screen: ${of.roundTrips} RT, ${kb(bytes(of))}, ${of.ms.toFixed(0)} ms (the window grouped on the client; older members and Sent follow)`] : []),
        `ours with THREAD: ${ot.roundTrips} RT, ${kb(bytes(ot))}, ${ot.ms.toFixed(0)} ms (${ot.extra.conversations} conversations, ${ot.extra.messages} messages)`,
        `ours without THREAD (client JWZ): ${oc.roundTrips} RT, ${kb(bytes(oc))}, ${oc.ms.toFixed(0)} ms`,
        ...(bt ? [`THREAD REFS over the whole folder: ${bt.roundTrips} RT, ${kb(bytes(bt))}, ${bt.ms.toFixed(0)} ms: ours moves ${(bytes(bt) / bytes(ot)).toFixed(1)}x fewer bytes`] : []),
        ...(bn ? [`naive (every References header): ${bn.roundTrips} RT, ${kb(bytes(bn))}, ${(bn.ms / 1000).toFixed(1)} s: ours (client) moves ${(bytes(bn) / bytes(oc)).toFixed(0)}x fewer bytes and takes ${(bn.ms / oc.ms).toFixed(0)}x less time`] : []),
      ],
    });
  }
  return out;
}
