// Live updates against real servers: IDLE on INBOX, changes by another client, resync after a
// dropped connection and a silently dead link (Dovecot and Cyrus in both layouts); reconnects after
// `doveadm kick`, servers without IDLE or CONDSTORE and a new UIDVALIDITY (Dovecot only).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ImapFlow } from 'imapflow';
import { fetchHeaderPage, type MessageSummary } from '../../src/core/mail/headers';
import { AccountLive, type LiveHost, storeLiveHost } from '../../src/core/mail/live';
import { type SessionDeps } from '../../src/core/mail/session';
import { MailStore } from '../../src/core/mail/store';
import { type FolderChange, FolderWindow, type WindowDelta } from '../../src/core/mail/window';
import { compose } from '../fixtures/mail';
import { DEFAULT_USER, type DovecotServer, startDovecot } from '../support/dovecot';
import { startProxy } from '../support/proxy';
import { appendMessages, dovecotServer, forEachServer, type MailServer, withClient } from '../support/servers';
import { clientCommands, type ImapEndpoint, type RecordingLogger, recordingLogger, testAccount, testSession } from '../support/session';

const WATCH = { disableAutoIdle: false, autoIdleDelay: 50, maxIdleTime: 2000, missingIdleCommand: 'NOOP' as const };
const NO_IDLE = 'IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE SORT MULTIAPPEND UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED CONDSTORE QRESYNC ESEARCH LIST-STATUS BINARY MOVE SPECIAL-USE';
const NO_CONDSTORE = 'IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT MULTIAPPEND UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED ESEARCH LIST-STATUS BINARY MOVE SPECIAL-USE';

/** The store of an account, fed by AccountLive as the extension feeds it (storeLiveHost). */
class RecordingHost implements LiveHost {
  readonly store = new MailStore('test');
  readonly changes: FolderChange[] = [];
  readonly arrived: MessageSummary[] = [];
  /** Every INBOX unread count the watcher reported, in order. */
  readonly counts: number[] = [];
  private readonly inner = storeLiveHost(() => this.store, { newMail: () => undefined, alert: () => undefined });
  get model(): FolderWindow {
    return this.store.window('INBOX')!;
  }
  get unseen(): number | undefined {
    return this.store.unseen('INBOX');
  }
  snapshot(path: string) {
    return this.inner.snapshot(path);
  }
  apply(path: string, delta: WindowDelta | 'drop' | 'heard') {
    const change = this.inner.apply(path, delta);
    if (change) {
      this.changes.push(change);
    }
    return change;
  }
  ticket() {
    return this.inner.ticket();
  }
  inboxUnseen(count: number, asked: number) {
    this.counts.push(count);
    this.inner.inboxUnseen(count, asked);
  }
  newMail(messages: MessageSummary[]) {
    this.arrived.push(...messages);
  }
  alert() {}
}

async function until(what: string, check: () => boolean, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) {
      assert.fail(`timed out waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function append(server: MailServer, subject: string): Promise<void> {
  await appendMessages(server, 'INBOX', [{ raw: await compose({ from: 'x@y.test', to: 'alice@example.test', subject, text: 'live' }) }]);
}

async function withOther(server: MailServer, work: (client: ImapFlow) => Promise<void>): Promise<void> {
  await withClient(server, async (client) => {
    const lock = await client.getMailboxLock('INBOX');
    try {
      await work(client);
    } finally {
      lock.release();
    }
  });
}

async function seedInbox(server: MailServer, subjects: string[]): Promise<void> {
  await appendMessages(server, 'INBOX', await Promise.all(subjects.map(async (subject) => ({ raw: await compose({ from: 'a@b.test', to: 'alice@example.test', subject, text: 'x' }) }))));
}

/** Starts AccountLive with a host whose INBOX model holds the first page. */
async function startLive(server: ImapEndpoint, options: { account?: SessionDeps['account']; clientOptions?: SessionDeps['clientOptions'] } = {}) {
  const host = new RecordingHost();
  const loader = testSession(server, options.account ? { account: options.account } : {});
  const page = await loader.withMailbox('INBOX', (c, mb) => fetchHeaderPage(c, mb, 50));
  host.store.apply({ type: 'window', path: 'INBOX', window: FolderWindow.fromPage('INBOX', page), generation: 0, source: 'server' });
  await loader.close();
  const loggers: RecordingLogger[] = [];
  const live = new AccountLive(() => {
    const logger = recordingLogger();
    loggers.push(logger);
    return testSession(server, { ...(options.account ? { account: options.account } : {}), logger, clientOptions: { ...WATCH, ...options.clientOptions } });
  }, host, recordingLogger(), 'test');
  live.start();
  await until('the first unread count', () => host.unseen !== undefined);
  return { host, live, loggers };
}

forEachServer('live updates', (current) => {
  let server: MailServer;
  before(async () => {
    server = current();
    await seedInbox(server, [0, 1, 2, 3, 4].map((i) => `seed ${i}`));
  });

  it('delivers new mail, flags and expunges from another client through IDLE', async () => {
    const { host, live, loggers } = await startLive(server);
    const unseenBefore = host.unseen!;
    await append(server, 'arrives while idling');
    await until('the new message in the model', () => host.model.messages.some((m) => m.subject === 'arrives while idling'));
    assert.equal(host.arrived.at(-1)?.subject, 'arrives while idling');
    await until('the unread count to grow', () => host.unseen === unseenBefore + 1);
    assert.ok(clientCommands(loggers[0]).some((c) => /IDLE/.test(c)), 'the watcher idled');

    const target = host.model.messages[1];
    await withOther(server, async (client) => {
      await client.messageFlagsAdd(String(target.uid), ['\\Flagged'], { uid: true });
    });
    await until('the flag change', () => host.model.find(target.uid)?.flags.includes('\\Flagged') === true);

    const doomed = host.model.messages[2];
    await withOther(server, async (client) => {
      await client.messageDelete(String(doomed.uid), { uid: true });
    });
    await until('the expunge', () => !host.model.find(doomed.uid));
    assert.ok(host.changes.some((c) => c.removed.some((m) => m.uid === doomed.uid)));
    await live.stop();
  });

  it('counts unread mail again when the user reads a message on the main connection', async () => {
    const { host, live } = await startLive(server);
    try {
      const unread = host.model.messages.find((m) => !m.flags.includes('\\Seen'))!;
      const before = host.unseen!;
      // what opening a message does: the store first, then the STORE on another connection than the watcher's
      host.store.apply({ type: 'flags', path: 'INBOX', uids: [unread.uid], flags: ['\\Seen'], on: true });
      assert.equal(host.unseen, before - 1, 'our own action moves the count at once');
      // The watcher counts again each time it hears of a change: waiting for host.unseen itself
      // would end at once (our own action already moved it), and a count the watcher asked before
      // the STORE below (at start-up it counts more than once) still says `before`.
      await withOther(server, async (client) => {
        await client.messageFlagsAdd(String(unread.uid), ['\\Seen'], { uid: true });
      });
      await until('the watcher to count the message as read', () => host.counts.at(-1) === before - 1);
      assert.equal(host.unseen, before - 1, 'the badge counts one less');
    } finally {
      await live.stop();
    }
  });

  it('resyncs after a dropped connection, asking only for what changed meanwhile', async () => {
    // the watchers go through a proxy that cuts every connection, as a network change would
    const proxy = await startProxy({ targetPort: server.imapsPort });
    try {
      const { host, live, loggers } = await startLive(server, { account: testAccount(server, { port: proxy.port, host: 'localhost' }) });
      await until('the watcher to idle', () => loggers.some((l) => clientCommands(l).some((c) => / IDLE$/.test(c))));
      const connections = proxy.connections;
      // stop accepting first, then cut: the watcher's reconnects are refused until resume()
      const paused = proxy.pause();
      proxy.cutAll();
      await paused;
      // while our watcher is away: one message flagged, one deleted, one new
      const [first, second] = host.model.messages;
      await withOther(server, async (client) => {
        await client.messageFlagsAdd(String(first.uid), ['$label2'], { uid: true });
        await client.messageDelete(String(second.uid), { uid: true });
      });
      await append(server, 'arrived while cut off');
      await proxy.resume();
      await until('the resync', () => host.model.messages.some((m) => m.subject === 'arrived while cut off') && !host.model.find(second.uid) && host.model.find(first.uid)?.flags.includes('$label2') === true, 20000);
      assert.ok(proxy.connections > connections, 'a new connection');
      const commands = loggers.flatMap((l) => clientCommands(l));
      assert.ok(commands.some((c) => /CHANGEDSINCE \d+ VANISHED/.test(c)), commands.filter((c) => /FETCH|SELECT/.test(c)).join('\n'));
      await live.stop();
    } finally {
      await proxy.close();
    }
  });

  it('rebuilds a silently dead connection and catches up', async () => {
    const proxy = await startProxy({ targetPort: server.imapsPort });
    try {
      const account = testAccount(server, { port: proxy.port, host: 'localhost' });
      const { host, live } = await startLive(server, { account, clientOptions: { socketTimeout: 3000, maxIdleTime: 1000 } });
      const connections = proxy.connections;
      proxy.freezeAll();
      await append(server, 'sent into the void');
      await until('a new watcher connection', () => proxy.connections > connections, 20000);
      await until('the message that arrived during the outage', () => host.model.messages.some((m) => m.subject === 'sent into the void'), 20000);
      await live.stop();
    } finally {
      await proxy.close();
    }
  });

});

describe('live updates on Dovecot only (doveadm, capability overrides)', () => {
  let dovecot: DovecotServer;
  let server: MailServer;
  before(async () => {
    dovecot = await startDovecot();
    server = dovecotServer(dovecot);
    await seedInbox(server, [0, 1, 2, 3, 4].map((i) => `seed ${i}`));
  });
  after(async () => {
    await dovecot?.stop();
  });

  it('reconnects after doveadm kick and asks only for what changed meanwhile', async () => {
    const { host, live, loggers } = await startLive(server);
    dovecot.kick(DEFAULT_USER.name);
    // while our watcher is away: one message flagged, one deleted, one new
    const [first, second] = host.model.messages;
    await withOther(server, async (client) => {
      await client.messageFlagsAdd(String(first.uid), ['$label2'], { uid: true });
      await client.messageDelete(String(second.uid), { uid: true });
    });
    await append(server, 'arrived while disconnected');
    await until('the resync', () => host.model.messages.some((m) => m.subject === 'arrived while disconnected') && !host.model.find(second.uid) && host.model.find(first.uid)?.flags.includes('$label2') === true, 15000);
    const commands = loggers.flatMap((l) => clientCommands(l));
    assert.ok(commands.some((c) => /CHANGEDSINCE \d+ VANISHED/.test(c)), commands.filter((c) => /FETCH/.test(c)).join('\n'));
    await live.stop();
  });

  it('polls a server without IDLE', async () => {
    const plain = dovecotServer(await startDovecot({ imapCapability: NO_IDLE }));
    try {
      await seedInbox(plain, ['first']);
      const { host, live, loggers } = await startLive(plain);
      await append(plain, 'found by polling');
      await until('the polled message', () => host.model.messages.some((m) => m.subject === 'found by polling'), 15000);
      const commands = loggers.flatMap((l) => clientCommands(l));
      assert.ok(!commands.some((c) => / IDLE$/.test(c)), 'never sends IDLE to a server without it');
      assert.ok(commands.some((c) => / NOOP$/.test(c)), commands.join('\n'));
      await live.stop();
    } finally {
      await plain.stop();
    }
  });

  it('falls back to the flags of the loaded range without CONDSTORE', async () => {
    const old = dovecotServer(await startDovecot({ imapCapability: NO_CONDSTORE }));
    try {
      await seedInbox(old, ['m0', 'm1', 'm2']);
      const { host, live, loggers } = await startLive(old);
      old.dovecot!.kick(DEFAULT_USER.name);
      const [first, second] = host.model.messages;
      await withOther(old, async (client) => {
        await client.messageFlagsAdd(String(first.uid), ['\\Answered'], { uid: true });
        await client.messageDelete(String(second.uid), { uid: true });
      });
      await until('the fallback resync', () => host.model.find(first.uid)?.flags.includes('\\Answered') === true && !host.model.find(second.uid), 15000);
      const commands = loggers.flatMap((l) => clientCommands(l));
      assert.ok(!commands.some((c) => /CHANGEDSINCE/.test(c)));
      assert.ok(commands.some((c) => new RegExp(`UID FETCH ${host.model.minUid}:\\d+ \\(UID FLAGS\\)`).test(c)), commands.join('\n'));
      await live.stop();
    } finally {
      await old.stop();
    }
  });

  it('drops every cached UID when UIDVALIDITY changes', async () => {
    const { host, live } = await startLive(server);
    assert.ok(host.model.messages.length > 0);
    dovecot.doveadm(['mailbox', 'update', '-u', DEFAULT_USER.name, '--uid-validity', '4242', 'INBOX']);
    dovecot.kick(DEFAULT_USER.name);
    await until('the reset', () => host.changes.some((c) => c.reset), 15000);
    assert.equal(host.store.window('INBOX'), undefined, 'the window is gone, to be loaded again when shown');
    await live.stop();
  });
});
