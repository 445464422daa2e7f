import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { imapflowLogger, type Logger, redact, registerSecret } from '../../src/core/log';
import { ALL_SERVER_LINES, SERVER_LINES } from '../fixtures/serverLines';

describe('log redaction', () => {
  it('hides LOGIN passwords and SASL initial responses', () => {
    assert.equal(redact('C: A1 LOGIN "alice" "s3cr3t"'), 'C: A1 LOGIN "alice" (redacted)');
    assert.equal(redact('C: A1 LOGIN alice s3cr3t'), 'C: A1 LOGIN alice (redacted)');
    assert.equal(redact('C: A2 AUTHENTICATE PLAIN AGFsaWNlAHMzY3IzdA=='), 'C: A2 AUTHENTICATE PLAIN (redacted)');
    assert.equal(redact('C: dXNlcj1hbGljZQFhdXRoPUJlYXJlciB0b2tlbgEB'), 'C: (redacted)');
    assert.equal(redact('password=hunter22 token: abc.def'), 'password=(redacted) token: (redacted)');
    // a greeting that mentions login keeps its words
    assert.equal(redact('S: * OK Pre-login capabilities listed, post-login capabilities have more.'), 'S: * OK Pre-login capabilities listed, post-login capabilities have more.');
  });

  it('hides registered secrets wherever they appear', () => {
    registerSecret('correct horse battery staple');
    assert.equal(redact('error near correct horse battery staple!'), 'error near (redacted)!');
  });

  it('routes imapflow protocol lines to trace, redacted', () => {
    const lines: string[] = [];
    const logger: Logger = { trace: (m) => lines.push(`T ${m}`), debug: (m) => lines.push(`D ${m}`), info: (m) => lines.push(`I ${m}`), warn: (m) => lines.push(`W ${m}`), error: (m) => lines.push(`E ${m}`) };
    const adapter = imapflowLogger(logger, 'acct');
    adapter.debug({ src: 'c', msg: 'A1 LOGIN "alice" "pw-in-clear"' });
    adapter.debug({ src: 's', msg: '* OK ready' });
    adapter.info({ msg: 'Established secure TCP connection' });
    assert.deepEqual(lines, ['T [acct] C: A1 LOGIN "alice" (redacted)', 'T [acct] S: * OK ready', 'I [acct] Established secure TCP connection']);
  });

  it('describes imapflow errors without empty parts', () => {
    const lines: string[] = [];
    const logger: Logger = { trace: (m) => lines.push(m), debug: (m) => lines.push(m), info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };
    const adapter = imapflowLogger(logger, 'acct');
    adapter.error({ err: { message: 'Command failed', serverResponseCode: 'AUTHENTICATIONFAILED', responseText: 'Authentication failed.' } });
    adapter.error({ msg: 'Write socket destroyed' });
    adapter.error({ msg: 'Failed to process server response', err: { message: 'Unexpected char', code: 'ParserError' } });
    assert.deepEqual(lines, [
      '[acct] Command failed (AUTHENTICATIONFAILED: Authentication failed.)',
      '[acct] Write socket destroyed',
      '[acct] Failed to process server response (ParserError: Unexpected char)',
    ]);
  });
});

describe('redaction hides secrets, not words', () => {
  it(`keeps every word of ${ALL_SERVER_LINES.length} real server lines, wherever they appear`, () => {
    for (const line of ALL_SERVER_LINES) {
      assert.equal(redact(`S: ${line}`), `S: ${line}`);
      assert.equal(redact(`[acct] S: ${line}`), `[acct] S: ${line}`);
      // in an error message and as a line of its own (an error's text, a doctor note)
      assert.equal(redact(`cannot connect: The server refused: ${line}`), `cannot connect: The server refused: ${line}`);
      assert.equal(redact(line), line);
    }
    assert.ok(Object.keys(SERVER_LINES).length >= 6);
  });

  it('keeps server words through the imapflow adapter: "Login is disabled" stays', () => {
    const lines: string[] = [];
    const logger: Logger = { trace: (m) => lines.push(m), debug: (m) => lines.push(m), info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };
    const adapter = imapflowLogger(logger, 'cyrus');
    adapter.error({ err: { message: 'Login is disabled' } });
    adapter.debug({ src: 's', msg: '* OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE STARTTLS LOGINDISABLED] localhost Cyrus IMAP 3.6.1 server ready' });
    adapter.warn({ err: { message: 'Command failed', responseText: 'Login only available under a layer' } });
    assert.deepEqual(lines, [
      '[cyrus] Login is disabled',
      '[cyrus] S: * OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE STARTTLS LOGINDISABLED] localhost Cyrus IMAP 3.6.1 server ready',
      '[cyrus] Command failed (Login only available under a layer)',
    ]);
  });

  const secret = 'correct horse battery staple';
  const plain = Buffer.from(`\u0000alice\u0000${secret}`).toString('base64');
  const cases: Array<[string, string]> = [
    [`[acct] C: A1 LOGIN "alice" "${secret}"`, '[acct] C: A1 LOGIN "alice" (redacted)'],
    ['C: a001 login alice@example.com hunter2', 'C: a001 login alice@example.com (redacted)'],
    ['C: 2 LOGIN "alice" "(* value hidden *)"', 'C: 2 LOGIN "alice" (redacted)'],
    ['C: A1 LOGIN "al\\"ice" "pa ss"', 'C: A1 LOGIN "al\\"ice" (redacted)'],
    // literals: the command line keeps its literal size, the data lines that follow are hidden
    ['C: A1 LOGIN {5}', 'C: A1 LOGIN {5}'],
    [`C: ${secret}`, 'C: (redacted)'],
    [`[acct] C: A1 LOGIN {5+}\nalice {28+}\n${secret}`, '[acct] C: A1 LOGIN {5+}\n(redacted)\n(redacted)'],
    [`C: A1 LOGIN alice {28+}\n${secret}`, 'C: A1 LOGIN alice (redacted)\n(redacted)'],
    // SASL-IR (RFC 4959) and the continuations of a SASL exchange
    [`C: A2 AUTHENTICATE PLAIN ${plain}`, 'C: A2 AUTHENTICATE PLAIN (redacted)'],
    ['C: A3 AUTHENTICATE XOAUTH2 dXNlcj1hbGljZUBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LmEwQWYBAQ==', 'C: A3 AUTHENTICATE XOAUTH2 (redacted)'],
    ['C: A4 AUTHENTICATE OAUTHBEARER bixhPWFsaWNlQGV4YW1wbGUuY29tLAFhdXRoPUJlYXJlciB0b2tlbgEB', 'C: A4 AUTHENTICATE OAUTHBEARER (redacted)'],
    ['C: A2 AUTHENTICATE PLAIN', 'C: A2 AUTHENTICATE PLAIN'],
    [`C: ${plain}`, 'C: (redacted)'],
    ['C: YWxpY2U=', 'C: (redacted)'],
    ['C: aHVudGVyMg==', 'C: (redacted)'],
    ['C: dXNlcj1hbGljZQFhdXRoPUJlYXJlciB0b2tlbgEB', 'C: (redacted)'],
    ['[smtp] C: AUTH PLAIN AGFsaWNlAHNtdHAgc2VjcmV0IDc=', '[smtp] C: AUTH PLAIN (redacted)'],
    ['[smtp] C: AUTH LOGIN', '[smtp] C: AUTH LOGIN'],
    ['[smtp] C: AUTH XOAUTH2 dXNlcj1hbGljZQFhdXRoPUJlYXJlciB0b2tlbgEB', '[smtp] C: AUTH XOAUTH2 (redacted)'],
    // the doctor's transcript hands in bare client lines
    ['D3 LOGIN "alice" "pw"', 'D3 LOGIN "alice" (redacted)'],
    ['D4 AUTHENTICATE PLAIN AGFsaWNlAHB3', 'D4 AUTHENTICATE PLAIN (redacted)'],
    ['password=hunter22 token: abc.def', 'password=(redacted) token: (redacted)'],
    ['Authorization: Bearer ya29.a0AfB_byC', 'Authorization: (redacted)'],
  ];
  for (const [input, expected] of cases) {
    it(`hides the secret in ${JSON.stringify(input).slice(0, 60)}`, () => {
      assert.equal(redact(input), expected);
    });
  }

  it('keeps commands, IDLE and SMTP verbs in client lines', () => {
    for (const line of ['C: 5 UID FETCH 1:* (UID FLAGS)', 'C: 6 SELECT "INBOX" (CONDSTORE)', 'C: DONE', 'C: *', '[smtp] C: MAIL FROM:<alice@example.test>', '[smtp] C: EHLO [127.0.0.1]', '[smtp] C: QUIT', '[smtp] C: STARTTLS', 'C: 7 ID ("name" "IMAP Mailbox Explorer")']) {
      assert.equal(redact(line), line);
    }
  });

  it('hides a registered secret even in a server line that echoes it', () => {
    registerSecret('Tr0ub4dor&3');
    assert.equal(redact("S: A1 NO [ALERT] wrong password 'Tr0ub4dor&3'"), "S: A1 NO [ALERT] wrong password '(redacted)'");
  });

  it('takes linear time on hostile input', () => {
    // a catastrophic pattern would hang here instead of returning
    const hostile = [`C: A1 LOGIN "${'\\"'.repeat(100000)}`, `S: ${'a '.repeat(100000)}`, `C: ${'A '.repeat(100000)}x`, `${'password='.repeat(50000)}`];
    for (const line of hostile) {
      assert.ok(redact(line).length > 0);
    }
  });
});
