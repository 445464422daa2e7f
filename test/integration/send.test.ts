// Sending against real servers: smtp-server on loopback (STARTTLS, AUTH) receives the message;
// the IMAP server (Dovecot, Cyrus in both layouts) then holds the copy in Sent, the flag on the
// original, and no draft, each byte-checked: CRLF, canonical (Cyrus refuses bare newlines).
// Failures keep the message unsent (or say it may have been sent) and never send twice.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { simpleParser } from 'mailparser';
import { buildMessage, newMessageId } from '../../src/core/compose/build';
import { checkCanonical } from '../../src/core/compose/canonical';
import { formatAddressList } from '../../src/core/compose/addresses';
import { loadOriginal, originalSource } from '../../src/core/compose/original';
import { attribution, forwardedBlock, forwardSubject, quote, replyRecipients, replySubject, threadHeaders } from '../../src/core/compose/reply';
import { saveDraftCopy, sendMessage } from '../../src/core/compose/send';
import { type SmtpSettings } from '../../src/core/compose/smtp';
import { MailError } from '../../src/core/errors';
import { fetchHeaderPage, type MessageSummary } from '../../src/core/mail/headers';
import { downloadPart, readStream } from '../../src/core/mail/messageLoader';
import { compose } from '../fixtures/mail';
import { startDovecot } from '../support/dovecot';
import { freePort } from '../support/net';
import { startProxy } from '../support/proxy';
import { appendMessages, dovecotServer, forEachServer, heldMessages, type MailServer } from '../support/servers';
import { recordingLogger, testSession } from '../support/session';
import { type SmtpSink, startSmtpSink } from '../support/smtp';

const SMTP_USER = { user: 'alice', pass: 'smtp secret 7' };
const ME = 'Alice Admin <alice@example.test>';

let server: MailServer;
let sink: SmtpSink;

function smtpSettings(overrides: Partial<SmtpSettings> = {}): SmtpSettings {
  return { host: 'localhost', port: sink.port, security: 'starttls', user: SMTP_USER.user, pass: SMTP_USER.pass, extraCa: [server.ca.pem], timeoutMs: 5000, ...overrides };
}

async function held(folder: string): Promise<Array<{ messageId: string; flags: string[]; raw?: Buffer }>> {
  return (await heldMessages(server, folder, { source: true })).map((m) => ({ messageId: m.messageId, flags: m.flags, ...(m.raw ? { raw: m.raw } : {}) }));
}

/** What the server stored is exactly what we built: CRLF everywhere, nothing for a strict server to refuse. */
async function assertStoredAsBuilt(stored: Buffer | undefined, built: Buffer): Promise<void> {
  assert.ok(stored, 'the server returns the message');
  assert.doesNotMatch(stored.toString('latin1'), /(?<!\r)\n|\r(?!\n)/, 'only CRLF line ends');
  assert.deepEqual((await checkCanonical(stored)).problems, []);
  assert.ok(stored.equals(built), 'byte for byte what was built');
}

async function original(subject: string): Promise<MessageSummary> {
  const session = testSession(server);
  const page = await session.withMailbox('INBOX', (c, mb) => fetchHeaderPage(c, mb, 50));
  await session.close();
  return page.messages.find((m) => m.subject === subject)!;
}

const ORIGINAL = {
  from: '"Reporter, Dana" <dana@reporter.test>', to: 'alice@example.test, bob@team.test', cc: 'Alice Alias <ALICE@example.test>, carol@team.test', replyTo: 'bugs@lists.test',
  subject: 'Re: [Bug] Crash on start', messageId: '<orig-1@reporter.test>', references: ['<root@reporter.test>', '<mid@reporter.test>'], inReplyTo: '<mid@reporter.test>',
  text: 'It crashes.\n\n> earlier words\n',
  attachments: [{ filename: 'trace.log', content: 'TRACE LINE\n' }],
};

forEachServer('sending mail', (current) => {
  before(async () => {
    server = current();
    sink = await startSmtpSink({ tls: { cert: server.cert.cert, key: server.cert.key }, credentials: SMTP_USER, rejectRecipients: ['nobody@example.test'] });
    await appendMessages(server, 'INBOX', [{ raw: await compose(ORIGINAL) }]);
  });
  after(async () => {
    await sink?.close();
  });

  it('sends a reply all with the right headers, keeps it in Sent, marks the original answered, removes the draft', async () => {
    const summary = await original('Re: [Bug] Crash on start');
    const session = testSession(server);
    const orig = await session.withMailbox('INBOX', (c) => loadOriginal(c, summary.uid, summary));
    const { to, cc } = replyRecipients(orig, ['alice@example.test'], true);
    const thread = threadHeaders(orig);
    const messageId = newMessageId('alice@example.test', 'reply-1');
    const body = `Thanks, looking into it.\n\n${attribution(orig)}\n${quote(orig.text)}\n`;
    const headers = { from: ME, to: formatAddressList(to), cc: formatAddressList(cc), bcc: '', subject: replySubject(orig.subject), attach: [] };
    const built = await buildMessage({ headers, body, messageId, ...thread, html: true, attachments: [] });
    const { sent: sentFolder, drafts } = server.special;
    // a draft copy saved earlier must be gone after sending
    await saveDraftCopy(session, drafts, built.rawForSent, messageId);
    await saveDraftCopy(session, drafts, built.rawForSent, messageId);
    const draftCopies = await held(drafts);
    assert.equal(draftCopies.length, 1, 'saving again replaces the previous copy');
    assert.deepEqual(draftCopies[0].flags.sort(), ['\\Draft', '\\Seen']);
    await assertStoredAsBuilt(draftCopies[0].raw, built.rawForSent);

    const before = sink.received.length;
    const log = recordingLogger();
    const report = await sendMessage({ built, smtp: smtpSettings(), imap: session, sentFolder, serverSavesSent: false, original: { accountId: 'test', path: 'INBOX', uid: summary.uid, flag: '\\Answered' }, draftCopy: { path: drafts, messageId } }, log);
    const transcript = log.lines.join('\n');
    assert.match(transcript, /C: AUTH PLAIN \(redacted\)|C: AUTH LOGIN/, 'the SMTP dialogue is logged');
    assert.doesNotMatch(transcript, /%s/, 'log templates are filled in');
    assert.match(transcript, /Sending message <[^>]+> to <[^>]+>/, 'with their values');
    assert.ok(!transcript.includes(SMTP_USER.pass) && !transcript.includes(Buffer.from(`\0${SMTP_USER.user}\0${SMTP_USER.pass}`).toString('base64')), 'without the password');
    assert.deepEqual(report.warnings, []);
    assert.equal(report.sent, 'saved');
    assert.equal(sink.received.length, before + 1);
    const mail = sink.received.at(-1)!;
    assert.deepEqual(mail.to.sort(), ['bob@team.test', 'bugs@lists.test', 'carol@team.test']);
    const parsed = await simpleParser(mail.raw);
    assert.equal(parsed.subject, 'Re: [Bug] Crash on start');
    assert.deepEqual(parsed.from?.value, [{ name: 'Alice Admin', address: 'alice@example.test' }]);
    assert.equal(parsed.to && !Array.isArray(parsed.to) ? parsed.to.text : '', 'bugs@lists.test');
    assert.equal(parsed.cc && !Array.isArray(parsed.cc) ? parsed.cc.text : '', 'bob@team.test, carol@team.test');
    assert.equal(parsed.messageId, '<reply-1@example.test>');
    assert.equal(parsed.inReplyTo, '<orig-1@reporter.test>');
    assert.deepEqual(parsed.references, ['<root@reporter.test>', '<mid@reporter.test>', '<orig-1@reporter.test>']);
    assert.match(mail.raw.toString(), /Content-Type: multipart\/alternative/);
    assert.match(parsed.text ?? '', /On .*, Reporter, Dana wrote:\n> It crashes\.\n>\n>> earlier words/);
    assert.match(String(parsed.html), /<blockquote>/);

    assert.ok(mail.raw.equals(built.raw), 'the SMTP server got exactly the built bytes');
    const sent = await held(sentFolder);
    assert.deepEqual(sent.map((m) => m.messageId), ['<reply-1@example.test>']);
    assert.ok(sent[0].flags.includes('\\Seen'));
    await assertStoredAsBuilt(sent[0].raw, built.rawForSent);
    assert.ok((await held('INBOX')).find((m) => m.messageId === '<orig-1@reporter.test>')!.flags.includes('\\Answered'));
    assert.deepEqual(await held(drafts), []);
    await session.close();
  });

  it('forwards inline with the original attachments, or as an attachment, and marks $Forwarded', async () => {
    const summary = await original('Re: [Bug] Crash on start');
    const session = testSession(server);
    const orig = await session.withMailbox('INBOX', (c) => loadOriginal(c, summary.uid, summary));
    const parts = await session.withMailbox('INBOX', async (c) => Promise.all(orig.attachments.map(async (a) => ({ filename: a.filename, contentType: a.contentType, content: await readStream((await downloadPart(c, summary.uid, a.part)).content) }))));
    const inline = await buildMessage({ headers: { from: ME, to: 'team@team.test', cc: '', bcc: '', subject: forwardSubject(orig.subject), attach: [] }, body: `FYI\n\n${forwardedBlock(orig)}`, messageId: newMessageId('alice@example.test', 'fwd-1'), html: true, attachments: parts });
    const inlineReport = await sendMessage({ built: inline, smtp: smtpSettings(), imap: session, sentFolder: server.special.sent, serverSavesSent: false, original: { accountId: 'test', path: 'INBOX', uid: summary.uid, flag: '$Forwarded' } }, recordingLogger());
    assert.deepEqual([inlineReport.sent, inlineReport.warnings], ['saved', []]);
    const parsedInline = await simpleParser(sink.received.at(-1)!.raw);
    assert.equal(parsedInline.subject, 'Fwd: Re: [Bug] Crash on start');
    assert.match(parsedInline.text ?? '', /---------- Forwarded message ----------\nFrom: Reporter, Dana <dana@reporter\.test>/);
    assert.deepEqual(parsedInline.attachments.map((a) => [a.filename, a.content.toString()]), [['trace.log', 'TRACE LINE\n']]);

    const source = await session.withMailbox('INBOX', (c) => originalSource(c, summary.uid));
    const asAttachment = await buildMessage({ headers: { from: ME, to: 'team@team.test', cc: '', bcc: '', subject: forwardSubject(orig.subject), attach: [] }, body: 'See attached.', messageId: newMessageId('alice@example.test', 'fwd-2'), html: false, attachments: [{ filename: 'original.eml', contentType: 'message/rfc822', content: source }] });
    const attachedReport = await sendMessage({ built: asAttachment, smtp: smtpSettings(), imap: session, sentFolder: server.special.sent, serverSavesSent: false }, recordingLogger());
    assert.deepEqual([attachedReport.sent, attachedReport.warnings], ['saved', []]);
    assert.match(sink.received.at(-1)!.raw.toString(), /Content-Type: message\/rfc822/);
    const copy = (await held(server.special.sent)).find((m) => m.messageId === '<fwd-2@example.test>');
    await assertStoredAsBuilt(copy?.raw, asAttachment.rawForSent);
    assert.ok(copy!.raw!.includes(source.length ? source.subarray(0, 200) : Buffer.alloc(0)), 'the original is inside as the server gave it');
    assert.ok((await held('INBOX')).find((m) => m.messageId === '<orig-1@reporter.test>')!.flags.includes('$Forwarded'));
    await session.close();
  });

  it('reports a failed copy to Sent as a warning and never sends again', async () => {
    const session = testSession(server);
    const built = await buildMessage({ headers: { from: ME, to: 'dana@reporter.test', cc: '', bcc: '', subject: 'sent, not saved', attach: [] }, body: 'x', messageId: newMessageId('alice@example.test', 'nosent'), html: false, attachments: [] });
    const before = sink.received.length;
    const missing = server.folder('No Such Sent Folder');
    const report = await sendMessage({ built, smtp: smtpSettings(), imap: session, sentFolder: missing, serverSavesSent: false }, recordingLogger());
    assert.equal(report.sent, 'failed');
    assert.match(report.warnings.join(' '), new RegExp(`was sent, but saving a copy in ${missing.replace(/\./g, '\\.')} failed \\(The folder ".*No Such Sent Folder" does not exist on the server\\.\\)\\. It will not be sent again\\.`));
    assert.equal(sink.received.length, before + 1);
    await session.close();
  });
});

describe('sending mail: SMTP failures (the IMAP server does not matter: Dovecot)', () => {
  before(async () => {
    server = dovecotServer(await startDovecot());
    sink = await startSmtpSink({ tls: { cert: server.cert.cert, key: server.cert.key }, credentials: SMTP_USER, rejectRecipients: ['nobody@example.test'] });
  });
  after(async () => {
    await sink?.close();
    await server?.stop();
  });

  async function failing(settings: SmtpSettings, to = 'dana@reporter.test'): Promise<MailError> {
    const session = testSession(server);
    const built = await buildMessage({ headers: { from: ME, to, cc: '', bcc: '', subject: 'will fail', attach: [] }, body: 'x', messageId: newMessageId('alice@example.test', `fail-${Math.random()}`), html: false, attachments: [] });
    try {
      await sendMessage({ built, smtp: settings, imap: session, sentFolder: server.special.sent, serverSavesSent: false }, recordingLogger());
    } catch (err) {
      assert.ok(err instanceof MailError);
      return err;
    } finally {
      await session.close();
    }
    assert.fail('expected the send to fail');
  }

  it('refuses a wrong SMTP password, a rejected recipient and a closed port: nothing sent, nothing saved', async () => {
    const before = sink.received.length;
    const sentBefore = (await held('Sent')).length;
    assert.equal((await failing(smtpSettings({ pass: 'wrong' }))).code, 'AUTH_FAILED');
    const rejected = await failing(smtpSettings(), 'nobody@example.test');
    assert.equal(rejected.code, 'RECIPIENT_REJECTED');
    assert.match(rejected.message, /no such user/);
    assert.equal((await failing(smtpSettings({ port: await freePort() }))).code, 'CONNECTION_REFUSED');
    assert.equal(sink.received.length, before);
    assert.equal((await held('Sent')).length, sentBefore);
  });

  it('says the message may have been sent when the connection drops after DATA, and does not retry', async () => {
    const plain = await startSmtpSink();
    const proxy = await startProxy({ targetPort: plain.port });
    try {
      const cut = proxy.cutWhenServerSends(/250 OK: message queued/i);
      const settings = smtpSettings({ port: proxy.port, security: 'none', user: '', pass: '' });
      const error = await failing(settings);
      await cut;
      assert.equal(error.code, 'SEND_UNCERTAIN');
      assert.match(error.message, /may have been delivered/);
      assert.equal(plain.received.length, 1, 'the server got it once; we did not send it again');
    } finally {
      await proxy.close();
      await plain.close();
    }
  });

});
