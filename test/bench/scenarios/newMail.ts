// New mail: another client APPENDs a message (directly to Dovecot, no delay), and we time how long
// until the folder's model holds it. Ours: the live-update watcher (AccountLive on a watcher
// MailSession that IDLEs, with the options SessionPool.createWatcher uses). Lower bound: a raw
// client in IDLE that, on EXISTS, ends IDLE and fetches the new header in the same flight.
import { AccountLive, storeLiveHost } from '../../../src/core/mail/live';
import { fetchHeaderPage } from '../../../src/core/mail/headers';
import { MailStore } from '../../../src/core/mail/store';
import { type FolderChange, FolderWindow } from '../../../src/core/mail/window';
import { DEFAULT_USER } from '../../support/dovecot';
import { benchMessage, FOLDERS } from '../corpus';
import { type BenchContext, login, noteRow, ourSession, rawLogin, runRow } from '../context';
import { timedLogger } from '../meter';
import { RawImap, responseCode } from '../rawImap';
import { FETCH_ITEMS } from './headers';

const FOLDER = FOLDERS.live.name;
/** What SessionPool.createWatcher passes (src/accounts/sessions.ts), with the default 60 s setting. */
const WATCHER_OPTIONS = { disableAutoIdle: false, autoIdleDelay: 200, maxIdleTime: 60_000, missingIdleCommand: 'NOOP' as const, socketTimeout: 120_000 };

async function appender(ctx: BenchContext): Promise<RawImap> {
  const client = await RawImap.connect({ host: ctx.server.host, port: ctx.server.imapsPort, ca: ctx.server.ca ? [ctx.server.ca.pem] : undefined });
  await client.waitGreeting();
  await client.command(login());
  return client;
}

function appendCommand(index: number): string {
  const raw = benchMessage(900_000 + index, new Date());
  // LITERAL+ (RFC 7888): the message goes in the same write as the command
  return `APPEND ${FOLDER} {${raw.length}+}\r\n${raw.toString('utf8')}`;
}

function expungeAbove(ctx: BenchContext, uid: number): void {
  ctx.server.doveadm(['expunge', '-u', DEFAULT_USER.name, 'mailbox', FOLDER, 'uid', `${uid}:*`]);
}

const settle = () => new Promise((r) => setTimeout(r, 300));

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error('timed out');
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

export async function newMail(ctx: BenchContext): Promise<void> {
  const metric = 'New mail until the model has it';
  const label = 'APPEND by another client';
  // what an interrupted run may have left behind
  expungeAbove(ctx, FOLDERS.live.count + 1);
  const poster = await appender(ctx);
  let appended = 0;
  try {
    // ours
    let live: AccountLive | undefined;
    let arrived: ((change: FolderChange) => void) | undefined;
    let firstNew = 0;
    await runRow(ctx, {
      metric, case: label, kind: 'ours', runs: 5,
      label: 'AccountLive watcher (IDLE, SessionPool.createWatcher options) -> fetchNewer -> the MailStore',
      setup: async () => {
        const main = ourSession(ctx);
        const page = await main.withMailbox(FOLDER, (client, mailbox) => fetchHeaderPage(client, mailbox, 50), { idempotent: true });
        const window = FolderWindow.fromPage(FOLDER, page);
        firstNew = window.maxUid + 1;
        const current = new MailStore('bench');
        current.apply({ type: 'window', path: FOLDER, window, generation: 0, source: 'server' });
        await main.close();
        const logger = timedLogger();
        current.onDidChange((event) => event.changes.forEach((c) => arrived?.(c.change)));
        live = new AccountLive(() => ourSession(ctx, { logger, clientOptions: WATCHER_OPTIONS }), storeLiveHost(() => current, { newMail: () => undefined, alert: () => undefined }), logger, 'bench');
        live.view(FOLDER);
        // steady state: the server accepted IDLE well before the mail arrives (a message that
        // lands before IDLE starts is reported at once, when IDLE begins: not what users see)
        await until(() => logger.lines.some((l) => / S: \+ /.test(l.line)), 10_000);
        await settle();
      },
      measure: async () => {
        const got = new Promise<void>((resolve) => {
          arrived = (change) => {
            if (change.added.some((m) => m.uid >= firstNew)) {
              resolve();
            }
          };
        });
        await poster.command(appendCommand(appended++));
        await got;
      },
      teardown: async () => {
        await live?.stop();
        expungeAbove(ctx, firstNew);
      },
    });

    noteRow(ctx, {
      metric, case: label, kind: 'baseline',
      label: 'poll every 60 s',
      status: 'computed, not measured: 30 s on average, 60 s at worst (plus one poll round trip)',
      median: { ms: 30_000, roundTrips: NaN, up: NaN, down: NaN, connections: NaN, extra: { worstMs: 60_000 } },
    });

    // lower bound
    let raw: RawImap | undefined;
    let idle: { done(): Promise<unknown> } | undefined;
    let uidNext = 0;
    await runRow(ctx, {
      metric, case: label, kind: 'lower bound', runs: 5,
      label: 'raw IDLE; on EXISTS: DONE + UID FETCH of the new header in one flight',
      setup: async () => {
        const { client, responses } = await rawLogin(ctx, [`SELECT ${FOLDER}`]);
        raw = client;
        uidNext = Number(responseCode(responses[1], 'UIDNEXT'));
        idle = await raw.idle();
        await settle();
      },
      measure: async () => {
        const exists = new Promise<void>((resolve) => raw!.onUntagged((line) => / EXISTS$/.test(line) && resolve()));
        await poster.command(appendCommand(appended++));
        await exists;
        raw!.onUntagged(undefined);
        const [, fetched] = await Promise.all([idle!.done(), raw!.command(`UID FETCH ${uidNext}:* ${FETCH_ITEMS}`)]);
        if (!fetched.untagged.some((l) => l.includes(`UID ${uidNext} `) || l.includes(`UID ${uidNext})`))) {
          throw new Error('lower bound: the new message was not fetched');
        }
      },
      teardown: async () => {
        await raw?.logout();
        expungeAbove(ctx, uidNext);
      },
    });
  } finally {
    await poster.logout();
  }
}
