// Races on purpose, against a real Dovecot: the store (core/mail/store.ts), its loader and the
// live watchers of an account, after a restart, with the server's answers to LIST, SELECT (the
// QRESYNC resync rides in it) and FETCH held back by 0, 50, 300 and 1500 ms each, in every one of
// the 64 combinations. The window comes from the header cache first; then the resync, the folder
// list, the watchers and changes another client makes meanwhile land in whatever order the delays
// give them. Each run must end showing what the server holds (rows, flags, order by arrival, the
// unread count), and the last redraw the store asked for must show that same state.
//
// Why here and not only in VS Code: the orders that matter are those of the answers, and this
// level can try all 64 in a minute; the end-to-end suite (tree.test.ts) runs the same story in a
// real VS Code for the delays where the resync lands while VS Code draws the cached rows.
// Debugging: RACE_SKIP / RACE_COMBOS pick a slice of the 64, RACE_LANES the runs side by side,
// RACE_TRACE=1 prints each run's steps (and its protocol log on failure), RACE_TRACE=2 the views.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AccountSync } from '../../src/core/mail/accountSync';
import { cacheKeyOf, HeaderCache } from '../../src/core/mail/headerCache';
import { AccountLive, storeLiveHost } from '../../src/core/mail/live';
import { type MailSession } from '../../src/core/mail/session';
import { MailStore } from '../../src/core/mail/store';
import { compose } from '../fixtures/mail';
import { type DovecotServer, type DovecotUser, startDovecot } from '../support/dovecot';
import { startProxy, type TcpProxy } from '../support/proxy';
import { saveMessage, seedBulkFolder } from '../support/seed';
import { type RecordingLogger, recordingLogger, testAccount, testSession } from '../support/session';

const DELAYS = [0, 50, 300, 1500];
const LANES = Number(process.env.RACE_LANES ?? 6);
const PAGE = 10;
const PASSWORD = 'race secret 7';
const WATCH = { disableAutoIdle: false, autoIdleDelay: 50, maxIdleTime: 5000, missingIdleCommand: 'NOOP' as const };
/**
 * How long a run may take to show what the server holds, in ms. Alone the slowest run needs about
 * 3 s after the last change; the bound only has to end a run that would never converge, on a
 * machine as loaded as CI's.
 */
const CONVERGE_MS = 120_000;

interface Combo {
  list: number;
  select: number;
  fetch: number;
}

const combos: Combo[] = DELAYS.flatMap((list) => DELAYS.flatMap((select) => DELAYS.map((fetch) => ({ list, select, fetch })))).slice(Number(process.env.RACE_SKIP ?? 0), Number(process.env.RACE_COMBOS ?? 64));
const users: DovecotUser[] = Array.from({ length: LANES }, (_, i) => ({ name: `race${i}`, password: PASSWORD }));

/** What a folder shows: rows in order with their flags, and the unread count. */
interface View {
  rows: string[];
  unseen: number | undefined;
}

function storeView(store: MailStore, folder: string): View {
  const rows = (store.window(folder)?.messages ?? []).map((m) => `${m.uid} ${[...m.flags].sort().join(',')}`);
  return { rows, unseen: store.unseen(folder) };
}

/** The server's state for a window of `size` rows: its newest UIDs, ordered by arrival (INTERNALDATE). */
function serverView(server: DovecotServer, user: string, folder: string, size: number): View {
  const held = (JSON.parse(server.doveadm(['-f', 'json', 'fetch', '-u', user, 'uid flags date.received', 'mailbox', folder, 'all'])) as Array<Record<string, string>>)
    .map((r) => ({ uid: Number(r.uid), flags: r.flags.split(' ').filter((f) => f && f !== '\\Recent').sort(), received: r['date.received'] }))
    .sort((a, b) => b.uid - a.uid);
  const rows = held.slice(0, size).sort((a, b) => b.received.localeCompare(a.received) || b.uid - a.uid).map((m) => `${m.uid} ${m.flags.join(',')}`);
  const unseen = Number(/unseen=(\d+)/.exec(server.doveadm(['mailbox', 'status', '-u', user, 'unseen', folder]))![1]);
  return { rows, unseen };
}

class Lane {
  readonly cacheDir = mkdtempSync(join(tmpdir(), 'imapx-race-'));
  private constructor(
    readonly server: DovecotServer,
    readonly user: string,
    readonly proxy: TcpProxy,
  ) {}

  static async open(server: DovecotServer, user: string): Promise<Lane> {
    return new Lane(server, user, await startProxy({ targetPort: server.imapPort }));
  }

  account() {
    return { ...testAccount(this.server, { host: '127.0.0.1', port: this.proxy.port, security: 'none', user: this.user }), id: this.user };
  }

  session(extra: Parameters<typeof testSession>[1] = {}): MailSession {
    return testSession(this.server, { account: this.account(), password: PASSWORD, logger: recordingLogger(), ...extra });
  }

  /** A store, its loader and its watchers, as the extension builds them for an account. */
  start(): { store: MailStore; sync: AccountSync; live: AccountLive; main: MailSession; log: RecordingLogger; stop(): Promise<void> } {
    const store = new MailStore(this.user);
    const log = recordingLogger();
    const main = this.session({ logger: log });
    const cache = new HeaderCache(this.cacheDir);
    const sync = new AccountSync({ store, session: () => main, cache: () => cache, cacheKey: cacheKeyOf(this.account()), pageSize: () => PAGE, subscribedOnly: () => false, logger: log, label: this.user });
    const live = new AccountLive(() => this.session({ clientOptions: WATCH, after: () => main.connection(), logger: log }), storeLiveHost(() => store, {
      newMail: () => undefined,
      alert: () => undefined,
      reported: (path) => path !== 'INBOX' && sync.refreshCounts(),
    }), log, this.user);
    return {
      store, sync, live, main, log,
      stop: async () => {
        await live.stop();
        sync.dispose();
        await cache.flush();
        await main.close();
      },
    };
  }

  close(): Promise<void> {
    rmSync(this.cacheDir, { recursive: true, force: true });
    return this.proxy.close();
  }
}

async function message(subject: string): Promise<Buffer> {
  return compose({ from: 'Other Client <other@example.test>', to: 'race@example.test', subject, text: subject });
}

/** One run: VS Code was closed while another client changed the folder; it starts again with the given delays. */
async function run(lane: Lane, combo: Combo, folder: string): Promise<void> {
  const { server, user } = lane;
  const t0 = Date.now();
  const mark = (what: string) => process.env.RACE_TRACE && console.log(`${user} ${JSON.stringify(combo)} ${what} +${Date.now() - t0}ms`);
  lane.proxy.setCommandDelays([]);
  // a folder (and a cache) of its own for each run
  rmSync(lane.cacheDir, { recursive: true, force: true });
  seedBulkFolder(server, user, folder, 25);

  mark('seeded');
  // the previous session: the folder was open, its first page went to the cache
  const before = lane.start();
  before.sync.ensureFolders();
  before.sync.ensureWindow(folder);
  await before.sync.settled();
  assert.equal(before.store.window(folder)?.size, PAGE, `the first page did not load: ${before.log.lines.filter((l) => /^(?:warn|error)/.test(l)).join('\n')}`);
  await before.stop();

  mark('cached');
  // while VS Code was closed
  server.doveadm(['flags', 'add', '-u', user, '\\Flagged', 'mailbox', folder, 'uid', '25,20']);
  server.doveadm(['expunge', '-u', user, 'mailbox', folder, 'uid', '24']);
  saveMessage(server, user, folder, await message('arrived while closed'));
  // put back by another client's undo: a new UID, an old arrival time
  saveMessage(server, user, folder, await message('moved back in'), [], new Date(Date.now() - 3 * 24 * 3600_000));

  // the restart, with the server's answers held back
  lane.proxy.setCommandDelays([
    { pattern: / LIST /, ms: combo.list },
    { pattern: / (SELECT|EXAMINE) /, ms: combo.select },
    { pattern: / FETCH /, ms: combo.fetch },
  ]);
  const after = lane.start();
  // what the projection does: redraw (read the store) a moment after each event, never in between
  let drawn: View = storeView(after.store, folder);
  let redraw: ReturnType<typeof setTimeout> | undefined;
  after.store.onDidChange(() => {
    clearTimeout(redraw);
    redraw = setTimeout(() => (drawn = storeView(after.store, folder)), 40);
  });
  try {
    after.live.start();
    after.sync.ensureFolders();
    after.sync.ensureWindow(folder);
    after.live.view(folder);
    // another client, while the answers are on their way
    await new Promise((r) => setTimeout(r, 30));
    server.doveadm(['flags', 'remove', '-u', user, '\\Seen', 'mailbox', folder, 'uid', '21']);
    server.doveadm(['flags', 'add', '-u', user, '$label1', 'mailbox', folder, 'uid', '25']);
    server.doveadm(['expunge', '-u', user, 'mailbox', folder, 'uid', '19']);
    saveMessage(server, user, folder, await message('arrived during the restart'));

    mark('changed');
    const deadline = Date.now() + CONVERGE_MS;
    let expected: View = { rows: [], unseen: undefined };
    let shown: View = drawn;
    let asked = 0;
    let compared: View | undefined;
    for (;;) {
      shown = drawn;
      // doveadm costs a process: asked again when the drawing changed, else once a second
      if (shown !== compared || Date.now() - asked > 1000) {
        expected = serverView(server, user, folder, Math.max(shown.rows.length, 1));
        if (process.env.RACE_TRACE === '2') {
          console.log(`${Date.now() - t0}ms drawn ${JSON.stringify(shown)}\n   server ${JSON.stringify(expected)}`);
        }
        compared = shown;
        asked = Date.now();
      }
      const current = storeView(after.store, folder);
      if (JSON.stringify(shown) === JSON.stringify(expected) && JSON.stringify(current) === JSON.stringify(expected)) {
        break;
      }
      if (Date.now() > deadline) {
        if (process.env.RACE_TRACE) {
          console.log(after.log.lines.filter((l) => !/ S: \* \d+ FETCH \(UID \d+ FLAGS \([^)]*\) INTERNALDATE/.test(l)).join('\n'));
        }
        assert.deepEqual({ drawn: shown, store: current }, { drawn: expected, store: expected }, `LIST ${combo.list} ms, SELECT ${combo.select} ms, FETCH ${combo.fetch} ms: no convergence`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    mark('converged');
    // the cached page (UIDs 16 to 25) without the two expunged, and the three that arrived: the
    // window still reaches down to the cached cursor, and the one put back sits last, by arrival
    assert.equal(shown.rows.length, PAGE - 2 + 3, shown.rows.join(' | '));
    assert.match(shown.rows.at(-1)!, /^27 /);
  } finally {
    clearTimeout(redraw);
    await after.stop();
    mark('stopped');
  }
}

describe('the store converges whatever order the answers come in', () => {
  let server: DovecotServer;
  const lanes: Lane[] = [];
  before(async () => {
    server = await startDovecot({ users });
    for (const u of users) {
      lanes.push(await Lane.open(server, u.name));
    }
  });
  after(async () => {
    await Promise.all(lanes.map((l) => l.close()));
    await server?.stop();
  });

  it(`all ${combos.length} combinations of LIST, SELECT and FETCH delays (${DELAYS.join(', ')} ms)`, { timeout: 20 * 60_000 }, async () => {
    const queue = combos.map((combo, i) => ({ combo, folder: `Race${i}` }));
    const failures: string[] = [];
    await Promise.all(lanes.map(async (lane) => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        try {
          await run(lane, next.combo, next.folder);
        } catch (err) {
          failures.push(err instanceof Error ? err.message : String(err));
        }
      }
    }));
    assert.deepEqual(failures, []);
  });
});
