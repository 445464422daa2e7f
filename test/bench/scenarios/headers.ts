// Header pages: a fresh connection to the first page (1k vs 100k folder), the next page on an open
// connection, and reopening a 10,000-message folder after a reconnect (nothing changed / 1% of
// flags changed elsewhere).
import { type ImapFlow } from 'imapflow';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listFolders } from '../../../src/core/mail/folders';
import { resyncCached } from '../../../src/core/mail/folderSync';
import { cacheKeyOf, HeaderCache, restoreWindow } from '../../../src/core/mail/headerCache';
import { FolderWindow } from '../../../src/core/mail/window';
import { fetchHeaderPage, HEADER_QUERY, type HeaderPage, type PageCursor, toSummary } from '../../../src/core/mail/headers';
import { type MailSession } from '../../../src/core/mail/session';
import { DEFAULT_USER } from '../../support/dovecot';
import { FOLDERS } from '../corpus';
import { account, closeQuietly, type BenchContext, ourSession, prototypeClient, rawLogin, rememberFolder, runRow, type Trim } from '../context';
import { commandTimeline, timedLogger } from '../meter';
import { type RawImap, responseCode } from '../rawImap';

const PAGE = 50;

export const PROTO_SHORT: Record<Trim, string> = { options: 'proto: options', patched: 'proto: no ID/NS', minimal: 'proto: minimal' };
export const PROTO_LABEL: Record<Trim, string> = {
  options: 'imapflow options only: disableCompression, auth.loginMethod LOGIN (ENABLE kept for QRESYNC)',
  patched: '"options" + no ID, no NAMESPACE (no imapflow option exists: instance patch)',
  minimal: '"no ID/NS" + no ENABLE + folder known (skips imapflow\'s LIST before SELECT)',
};
/** The items of our header query (HEADER_QUERY), so every variant moves the same data per message. */
export const FETCH_ITEMS = '(UID FLAGS ENVELOPE BODYSTRUCTURE RFC822.SIZE INTERNALDATE)';

function checkPage(page: HeaderPage, newest: number): void {
  if (page.messages.length !== PAGE || page.messages[0].uid !== newest) {
    throw new Error(`unexpected page: ${page.messages.length} messages, newest UID ${page.messages[0]?.uid}`);
  }
}

async function prototypeFirstPage(ctx: BenchContext, trim: Trim, folder: string, count: number, withList = false): Promise<ImapFlow> {
  const client = prototypeClient(ctx, trim);
  await client.connect();
  if (withList) {
    await listFolders(client);
  }
  if (trim === 'minimal') {
    rememberFolder(client, folder);
  }
  const lock = await client.getMailboxLock(folder);
  try {
    checkPage(await fetchHeaderPage(client, client.mailbox || (undefined as never), PAGE), count);
  } finally {
    lock.release();
  }
  return client;
}

export async function firstPage(ctx: BenchContext): Promise<void> {
  const metric = 'First page, fresh connection';
  for (const key of ['k1', 'k100'] as const) {
    const { name, count } = FOLDERS[key];
    const label = `${count / 1000}k folder`;
    let session: MailSession | undefined;
    const logger = timedLogger();
    await runRow(ctx, {
      metric, case: label, kind: 'ours', runs: 5,
      label: 'new MailSession + withMailbox + fetchHeaderPage (folder opened directly)',
      setup: async () => {
        logger.clear();
        session = ourSession(ctx, { logger });
      },
      measure: async () => {
        const start = performance.now();
        const page = await session!.withMailbox(name, (client, mailbox) => fetchHeaderPage(client, mailbox, PAGE), { idempotent: true });
        checkPage(page, count);
        ctx.evidence[`ourSetup.${key}`] = commandTimeline(logger, start);
      },
      teardown: async () => void (await session?.close()),
    });
    await runRow(ctx, {
      metric, case: label, kind: 'ours', runs: 3, short: 'ours (tree)',
      label: 'as the tree does it: LIST-STATUS for the account node, then the folder',
      setup: async () => void (session = ourSession(ctx)),
      measure: async () => {
        await session!.run((client) => listFolders(client), { idempotent: true });
        checkPage(await session!.withMailbox(name, (client, mailbox) => fetchHeaderPage(client, mailbox, PAGE), { idempotent: true }), count);
      },
      teardown: async () => void (await session?.close()),
    });
    await runRow(ctx, {
      metric, case: label, kind: 'baseline', runs: key === 'k100' ? 1 : 3,
      label: 'our connection, then UID FETCH 1:* of the same items (every envelope of the folder)',
      notes: ['the server offers COMPRESS=DEFLATE; our sessions turn it off (disableCompression: one round trip less per connection, worth it above about 4 Mbit/s), so every row here moves uncompressed bytes.'],
      setup: async () => void (session = ourSession(ctx)),
      measure: async () => {
        const all = await session!.withMailbox(name, async (client) => {
          let n = 0;
          for await (const message of client.fetch('1:*', HEADER_QUERY, { uid: true })) {
            toSummary(message);
            n++;
          }
          return n;
        }, { idempotent: true });
        if (all !== count) {
          throw new Error(`baseline fetched ${all} of ${count}`);
        }
      },
      teardown: async () => void (await session?.close()),
    });
    let raw: RawImap | undefined;
    await runRow(ctx, {
      metric, case: label, kind: 'lower bound', runs: 5,
      label: 'raw: TLS, greeting, AUTHENTICATE PLAIN (SASL-IR) + SELECT pipelined, UID FETCH of 50',
      measure: async () => {
        const { client, responses } = await rawLogin(ctx, [`SELECT ${name}`]);
        raw = client;
        const uidNext = Number(responseCode(responses[1], 'UIDNEXT'));
        const fetched = await client.command(`UID FETCH ${uidNext - PAGE}:* ${FETCH_ITEMS}`);
        if (fetched.untagged.filter((l) => / FETCH /.test(l)).length !== PAGE) {
          throw new Error('lower bound fetched a wrong page');
        }
      },
      teardown: async () => void (await raw?.logout()),
    });
    // what upstream imapflow options would give (ours already has the "options" setup)
    for (const trim of ['patched', 'minimal'] as const) {
      let client: ImapFlow | undefined;
      await runRow(ctx, {
        metric, case: label, kind: 'prototype', runs: 3, short: PROTO_SHORT[trim],
        label: PROTO_LABEL[trim],
        measure: async () => void (client = await prototypeFirstPage(ctx, trim, name, count)),
        teardown: async () => closeQuietly(client),
      });
    }
  }
  // The setup round trips of the prototypes, for the evidence
  for (const trim of ['patched', 'minimal'] as const) {
    const logger = timedLogger();
    const client = prototypeClient(ctx, trim, { logger });
    const start = performance.now();
    await client.connect();
    if (trim === 'minimal') {
      rememberFolder(client, FOLDERS.k1.name);
    }
    const lock = await client.getMailboxLock(FOLDERS.k1.name);
    await fetchHeaderPage(client, client.mailbox || (undefined as never), PAGE);
    lock.release();
    ctx.evidence[`prototypeSetup.${trim}`] = commandTimeline(logger, start);
    await closeQuietly(client);
  }
}

export async function nextPage(ctx: BenchContext): Promise<void> {
  const metric = 'Next page, open connection';
  for (const key of ['k1', 'k100'] as const) {
    const { name, count } = FOLDERS[key];
    const label = `${count / 1000}k folder`;
    const session = ourSession(ctx);
    let cursor: PageCursor | undefined = (await session.withMailbox(name, (client, mailbox) => fetchHeaderPage(client, mailbox, PAGE), { idempotent: true })).next;
    await runRow(ctx, {
      metric, case: label, kind: 'ours', runs: 7,
      label: 'withMailbox + fetchHeaderPage(cursor) on the open session',
      measure: async () => {
        const page = await session.withMailbox(name, (client, mailbox) => fetchHeaderPage(client, mailbox, PAGE, cursor), { idempotent: true });
        if (page.messages.length !== PAGE || page.messages[0].uid !== cursor!.beforeUid - 1) {
          throw new Error('wrong next page');
        }
        cursor = page.next;
      },
    });
    let seq = count - PAGE;
    await runRow(ctx, {
      metric, case: label, kind: 'baseline', runs: 3,
      label: 'one FETCH per message (50 sequential fetchOne)',
      measure: async () => {
        await session.withMailbox(name, async (client) => {
          for (let i = 0; i < PAGE; i++) {
            const message = await client.fetchOne(String(seq--), HEADER_QUERY);
            if (!message) {
              throw new Error('baseline: message missing');
            }
          }
        }, { idempotent: true });
      },
    });
    await session.close();
    const { client: raw } = await rawLogin(ctx, [`SELECT ${name}`]);
    let hi = count - PAGE;
    await runRow(ctx, {
      metric, case: label, kind: 'lower bound', runs: 7,
      label: 'raw: one UID FETCH of 50 on the open connection',
      measure: async () => {
        const fetched = await raw.command(`UID FETCH ${hi - PAGE + 1}:${hi} ${FETCH_ITEMS}`);
        hi -= PAGE;
        if (fetched.untagged.length !== PAGE) {
          throw new Error('lower bound: wrong page');
        }
      },
    });
    await raw.logout();
  }
}

interface MailboxState {
  uidValidity: string;
  highestModseq: string;
}

function mailboxState(ctx: BenchContext, folder: string): MailboxState {
  const out = ctx.server.doveadm(['mailbox', 'status', '-u', DEFAULT_USER.name, 'uidvalidity highestmodseq', folder]);
  return { uidValidity: /uidvalidity=(\d+)/.exec(out)![1], highestModseq: /highestmodseq=(\d+)/.exec(out)![1] };
}

/** What the extension leaves in the cache before it closes: the first page of the folder. */
async function cacheFirstPage(ctx: BenchContext, cache: HeaderCache, key: string, folder: string): Promise<void> {
  const session = ourSession(ctx, { port: ctx.server.imapsPort });
  try {
    const page = await session.withMailbox(folder, (client, mailbox) => fetchHeaderPage(client, mailbox, PAGE), { idempotent: true });
    await cache.save(key, FolderWindow.fromPage(folder, page));
  } finally {
    await session.close();
  }
}

export async function reopen(ctx: BenchContext): Promise<void> {
  const cacheDir = mkdtempSync(join(tmpdir(), 'imapx-bench-cache-'));
  try {
    await reopenWith(ctx, cacheDir);
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

async function reopenWith(ctx: BenchContext, cacheDir: string): Promise<void> {
  const metric = 'Reopen 10k folder after reconnect';
  const { name, count } = FOLDERS.k10;
  // 1% of the folder, spread over it: only one of them is in the first page
  const changed: number[] = [];
  for (let uid = 50; uid <= count; uid += 100) {
    changed.push(uid);
  }
  const set = changed.join(',');
  // a run that was interrupted may have left the change in place
  ctx.server.doveadm(['flags', 'remove', '-u', DEFAULT_USER.name, '\\Flagged', 'mailbox', name, 'uid', set]);
  for (const change of [false, true]) {
    const label = change ? `1% of flags changed (${changed.length})` : 'nothing changed';
    let state: MailboxState = mailboxState(ctx, name);
    const prepare = async () => {
      state = mailboxState(ctx, name);
      if (change) {
        ctx.server.doveadm(['flags', 'add', '-u', DEFAULT_USER.name, '\\Flagged', 'mailbox', name, 'uid', set]);
      }
    };
    const undo = async () => {
      if (change) {
        ctx.server.doveadm(['flags', 'remove', '-u', DEFAULT_USER.name, '\\Flagged', 'mailbox', name, 'uid', set]);
      }
    };
    let session: MailSession | undefined;
    let model: FolderWindow | undefined;
    const cache = new HeaderCache(cacheDir);
    const key = cacheKeyOf(account(ctx));
    await runRow(ctx, {
      metric, case: label, kind: 'ours', runs: 5, short: 'ours: cached page',
      label: 'header cache: the page shown at VS Code start, before any connection (read from disk)',
      setup: async () => cacheFirstPage(ctx, cache, key, name),
      measure: async () => {
        const cached = await cache.load(key, name);
        model = restoreWindow(cached!);
        if (model.size !== PAGE) {
          throw new Error('the cache lost the page');
        }
      },
    });
    await runRow(ctx, {
      metric, case: label, kind: 'ours', runs: 5, short: 'ours: resync',
      label: 'then a new MailSession + resyncCached: SELECT (QRESYNC (uidvalidity modseq)) on the cached model',
      setup: async () => {
        await cacheFirstPage(ctx, cache, key, name);
        await prepare();
        model = restoreWindow((await cache.load(key, name))!);
        session = ourSession(ctx);
      },
      measure: async () => {
        let delivered = 0;
        const result = await session!.run(async (client) => {
          client.on('flags', () => void delivered++);
          return resyncCached(client, model!.snapshot(), PAGE);
        });
        if (result.method !== 'qresync') {
          throw new Error(`resynced by ${result.method}`);
        }
        return { changesSeen: delivered, pageChanges: model!.apply(result.delta).flagged.length };
      },
      teardown: async () => {
        await session?.close();
        await undo();
      },
    });
    await runRow(ctx, {
      metric, case: label, kind: 'baseline', runs: 3,
      label: 'our connection, then UID FETCH 1:* (FLAGS) of every message',
      setup: async () => {
        await prepare();
        session = ourSession(ctx);
      },
      measure: async () => {
        const seen = await session!.withMailbox(name, async (client) => {
          let flagged = 0;
          for await (const message of client.fetch('1:*', { uid: true, flags: true }, { uid: true })) {
            flagged += message.flags?.has('\\Flagged') ? 1 : 0;
          }
          return flagged;
        }, { idempotent: true });
        return { changesSeen: seen };
      },
      teardown: async () => {
        await session?.close();
        await undo();
      },
    });
    let raw: RawImap | undefined;
    await runRow(ctx, {
      metric, case: label, kind: 'lower bound', runs: 5,
      label: 'raw: AUTHENTICATE + ENABLE QRESYNC + SELECT (QRESYNC (uidvalidity modseq)) pipelined',
      setup: prepare,
      measure: async () => {
        const { client, responses } = await rawLogin(ctx, ['ENABLE QRESYNC', `SELECT ${name} (QRESYNC (${state.uidValidity} ${state.highestModseq}))`]);
        raw = client;
        return { changesSeen: responses[2].untagged.filter((l) => / FETCH /.test(l)).length };
      },
      teardown: async () => {
        await raw?.logout();
        await undo();
      },
    });
    let client: ImapFlow | undefined;
    for (const trim of ['patched'] as const) {
      await runRow(ctx, {
        metric, case: label, kind: 'prototype', runs: 3, short: `${PROTO_SHORT[trim]} + QRESYNC`,
        label: `header cache (page shown from it at once) + imapflow SELECT (QRESYNC (uidvalidity modseq)), setup as ${PROTO_SHORT[trim]}`,
        setup: prepare,
        measure: async () => {
          client = prototypeClient(ctx, trim);
          let flags = 0;
          client.on('flags', () => void flags++);
          await client.connect();
          const lock = await client.getMailboxLock(name, { uidValidity: state.uidValidity, changedSince: state.highestModseq });
          lock.release();
          return { changesSeen: flags };
        },
        teardown: async () => {
          await closeQuietly(client);
          await undo();
        },
      });
    }
  }
  ctx.evidence['reopen.changedUids'] = changed.length;
}
