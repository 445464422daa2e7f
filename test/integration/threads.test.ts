// Conversations against Dovecot: with THREAD=REFS, with THREAD=REFERENCES only, and with no THREAD
// at all (client-side JWZ), on a folder with broken References chains, a missing parent, two
// messages that share only a subject, older messages outside the window and replies in Sent.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type MailSession } from '../../src/core/mail/session';
import { buildConversations, type ConversationPage, fetchWindow, findReplies } from '../../src/core/threads/conversations';
import { compose } from '../fixtures/mail';
import { appendMessages } from '../support/append';
import { type DovecotServer, startDovecot } from '../support/dovecot';
import { clientCommands, testSession } from '../support/session';

const CAPS = 'IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY MULTIAPPEND UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE SPECIAL-USE';
const WINDOW = 8;

const at = (day: number, hour = 8) => new Date(Date.UTC(2026, 9, day, hour));

async function mail(subject: string, headers: { id: string; irt?: string; refs?: string[] }, from = 'Dana Reporter <dana@reporter.test>'): Promise<Buffer> {
  return compose({
    from, to: 'alice@example.test', subject, text: `${subject}\n`, messageId: headers.id,
    ...(headers.irt ? { inReplyTo: headers.irt } : {}),
    ...(headers.refs ? { references: headers.refs.join(' ') } : {}),
  });
}

/** Each conversation as its subjects (folder-prefixed for Sent), oldest first. */
function shape(page: ConversationPage): string[][] {
  return page.conversations.map((c) => c.messages.map((m) => `${m.path === 'Sent' ? 'Sent:' : ''}${m.message.subject}`));
}

const EXPECTED = [
  ['Build failed', 'Sent:Re: Build failed'],
  ['Login crash', 'Sent:Re: Login crash', 'Re: Login crash (2)', 'Re: Login crash (3)'],
  ['Invoice 117 (second)'],
  ['Re: Outage (1)', 'Re: Outage (2)'],
  ['Invoice 117'],
  ['Export broken', 'Re: Export broken (no References)', 'Re: Export broken (skips one)'],
];

describe('conversations against Dovecot', () => {
  let server: DovecotServer;

  before(async () => {
    server = await startDovecot();
    await appendMessages(server, [
      { folder: 'INBOX', date: at(1), raw: await mail('Login crash', { id: '<r1@t>' }) },
      { folder: 'INBOX', date: at(2), raw: await mail('Export broken', { id: '<x1@t>' }, 'Marco <marco@dev.test>') },
      { folder: 'INBOX', date: at(3), raw: await mail('Newsletter 1', { id: '<n1@t>' }, 'news@letter.test') },
      { folder: 'INBOX', date: at(4), raw: await mail('Newsletter 2', { id: '<n2@t>' }, 'news@letter.test') },
      { folder: 'INBOX', date: at(5), raw: await mail('Re: Export broken (no References)', { id: '<x2@t>', irt: '<x1@t>' }, 'Lea <lea@dev.test>') },
      { folder: 'INBOX', date: at(6), raw: await mail('Newsletter 3', { id: '<n3@t>' }, 'news@letter.test') },
      // the window: the newest 8
      { folder: 'INBOX', date: at(20), raw: await mail('Re: Login crash (2)', { id: '<r2@t>', irt: '<s1@t>', refs: ['<r1@t>', '<s1@t>'] }) },
      { folder: 'INBOX', date: at(21), raw: await mail('Re: Export broken (skips one)', { id: '<x3@t>', refs: ['<x1@t>'] }, 'Marco <marco@dev.test>') },
      { folder: 'INBOX', date: at(22), raw: await mail('Re: Outage (1)', { id: '<p2@t>', irt: '<p1@gone>', refs: ['<p1@gone>'] }, 'Ops <ops@corp.test>') },
      { folder: 'INBOX', date: at(23), raw: await mail('Invoice 117', { id: '<i1@t>' }, 'Billing <billing@corp.test>') },
      { folder: 'INBOX', date: at(24), raw: await mail('Re: Outage (2)', { id: '<p3@t>', irt: '<p1@gone>', refs: ['<p1@gone>'] }, 'Ops <ops@corp.test>') },
      { folder: 'INBOX', date: at(25), raw: await mail('Invoice 117 (second)', { id: '<i2@t>' }, 'Billing <billing@corp.test>') },
      { folder: 'INBOX', date: at(26, 9), raw: await mail('Re: Login crash (3)', { id: '<r3@t>', irt: '<r2@t>', refs: ['<r1@t>', '<s1@t>', '<r2@t>'] }) },
      { folder: 'INBOX', date: at(26, 10), raw: await mail('Build failed', { id: '<b1@t>' }, 'CI <ci@build.test>') },
      // your replies
      { folder: 'Sent', date: at(10), raw: await mail('Re: Login crash', { id: '<s1@t>', irt: '<r1@t>', refs: ['<r1@t>'] }, 'Alice <alice@example.test>') },
      { folder: 'Sent', date: at(26, 11), raw: await mail('Re: Build failed', { id: '<s2@t>', irt: '<b1@t>', refs: ['<b1@t>'] }, 'Alice <alice@example.test>') },
      { folder: 'Sent', date: at(12), raw: await mail('Unrelated note', { id: '<u1@t>' }, 'Alice <alice@example.test>') },
    ]);
  });
  after(async () => {
    await server?.stop();
  });

  async function conversations(options: { sent?: boolean; clientOnly?: boolean } = {}): Promise<{ page: ConversationPage; commands: string[] }> {
    const session = testSession(server);
    const sentSession: MailSession = testSession(server);
    try {
      const page = await session.withMailbox('INBOX', async (client, mailbox) => {
        const window = await fetchWindow(client, mailbox, WINDOW);
        assert.equal(window.length, WINDOW);
        return buildConversations(client, mailbox, window, {
          ...(options.clientOnly ? { clientOnly: true } : {}),
          ...(options.sent !== false ? { sent: (ids: string[]) => sentSession.withMailbox('Sent', (c) => findReplies(c, 'Sent', ids), { readOnly: true }) } : {}),
        });
      }, { readOnly: true });
      return { page, commands: clientCommands(session.logger).filter((c) => / UID (?:FETCH|SEARCH|THREAD)/.test(c)) };
    } finally {
      await session.close();
      await sentSession.close();
    }
  }

  it('threads with THREAD=REFS in three commands: the window, THREAD with the older relatives, their headers', async () => {
    const { page, commands } = await conversations();
    assert.equal(page.method, 'REFS');
    assert.deepEqual(shape(page), EXPECTED);
    assert.equal(page.older, 3);
    assert.equal(page.fromSent, 2);
    assert.equal(commands.length, 3, commands.join('\n'));
    assert.match(commands[0], /UID FETCH 7:14 \(.*BODY\.PEEK\[HEADER\.FIELDS \(.*message-id in-reply-to references\)\]\)/i);
    assert.match(commands[1], /UID THREAD REFS UTF-8 OR UID [\d:,]+ \(UID 1:6 OR HEADER "Message-ID" "<r1@t>"/);
    assert.match(commands[2], /UID FETCH 1:2,5 /);
    // ids: the conversation of the Sent reply and the newest message
    assert.equal(page.conversations[1].id, '<r1@t>');
  });

  it('threads the same on the client without THREAD (JWZ over the fetched References)', async () => {
    await server.restart({ imapCapability: CAPS });
    try {
      const { page, commands } = await conversations();
      assert.equal(page.method, 'client');
      assert.deepEqual(shape(page), EXPECTED);
      assert.equal(commands.length, 3, commands.join('\n'));
      assert.match(commands[1], /UID SEARCH RETURN \(COUNT MIN MAX ALL\) UID 1:6 OR HEADER "Message-ID" "<r1@t>"/);
    } finally {
      await server.restart({});
    }
  });

  it('splits what THREAD=REFERENCES merged by subject alone', async () => {
    await server.restart({ imapCapability: `${CAPS} THREAD=REFERENCES` });
    try {
      const { page } = await conversations();
      assert.equal(page.method, 'REFERENCES');
      assert.deepEqual(shape(page), EXPECTED);
    } finally {
      await server.restart({});
    }
  });

  it('shows only the folder when Sent cannot be searched (client threading)', async () => {
    const { page } = await conversations({ sent: false, clientOnly: true });
    assert.deepEqual(shape(page)[1], ['Login crash', 'Re: Login crash (2)', 'Re: Login crash (3)']);
    assert.equal(page.fromSent, 0);
  });
});
