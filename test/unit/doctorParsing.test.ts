// The doctor's pure pieces, without a server: what a typed target means, the autoconfig file, the
// IMAP syntax it reads, what a port's first bytes say, and Markdown that server text cannot escape.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MailError } from '../../src/core/errors';
import { parseAutoconfig } from '../../src/core/doctor/autoconfig';
import { decodeMailboxName, loginCommand, parseId, parseList, parseStatus } from '../../src/core/doctor/imapSyntax';
import { parseImapTarget, parseSmtpTarget } from '../../src/core/doctor/input';
import { mdText, reportToMarkdown } from '../../src/core/doctor/report';
import { identifySpeaker } from '../../src/core/doctor/transport';
import { greetingRefusalAdvice, hangupAdvice, missingStarttlsAdvice, starttlsRefusedAdvice, tlsHandshakeAdvice } from '../../src/core/doctor/advice';
import { type DoctorReport, REPORT_SCHEMA } from '../../src/core/doctor/types';

describe('doctor input', () => {
  const endpoints: Array<[string, object]> = [
    ['imaps://alice@Mail.Example.com:993', { host: 'mail.example.com', port: 993, security: 'tls', user: 'alice' }],
    ['imaps://alice%40example.com@mail.example.com', { host: 'mail.example.com', port: 993, security: 'tls', user: 'alice@example.com' }],
    ['imap://mail.example.com', { host: 'mail.example.com', port: 143, security: 'starttls' }],
    ['imap://[::1]:1143', { host: '::1', port: 1143, security: 'starttls' }],
    ['mail.example.com:143', { host: 'mail.example.com', port: 143, security: 'starttls' }],
    ['bob@mail.example.com:993', { host: 'mail.example.com', port: 993, security: 'tls', user: 'bob' }],
    ['imap.example.com', { host: 'imap.example.com', port: 993, security: 'tls' }],
    ['192.0.2.7', { host: '192.0.2.7', port: 993, security: 'tls' }],
  ];
  for (const [text, endpoint] of endpoints) {
    it(`reads ${text} as a server`, () => {
      const parsed = parseImapTarget(text);
      assert.equal(parsed.kind, 'endpoint');
      assert.deepEqual(parsed.kind === 'endpoint' && parsed.endpoint, endpoint);
    });
  }

  it('reads an email address or a bare domain as a domain to discover', () => {
    assert.deepEqual(parseImapTarget(' carol@Example.org '), { kind: 'discover', domain: 'example.org', email: 'carol@example.org', note: 'An email address: the settings of example.org are discovered, and carol@example.org is the user name.' });
    const bare = parseImapTarget('example.org');
    assert.equal(bare.kind, 'discover');
    assert.equal(bare.kind === 'discover' && bare.email, undefined);
  });

  it('refuses what it cannot check, in words, without repeating a password', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /Give a server to check/],
      ['pop3://host', /Use imaps:\/\/ \(TLS\) or imap:\/\/ \(STARTTLS\), not pop3:\/\//],
      ['imaps://host:99999', /not a valid address|not a port number/],
      ['imaps://host/INBOX', /remove "\/INBOX"/],
      ['imaps://alice:s3cret-pass@host', /Do not put the password in the address/],
      ['not a host!', /is not a host name or IP address/],
    ];
    for (const [text, message] of cases) {
      assert.throws(() => parseImapTarget(text), (err: unknown) => err instanceof MailError && err.code === 'INVALID_INPUT' && message.test(err.message) && !err.message.includes('s3cret'), text);
    }
  });

  it('reads SMTP targets: smtps is 465 TLS, smtp is 587 STARTTLS', () => {
    assert.deepEqual(parseSmtpTarget('smtps://smtp.example.com'), { host: 'smtp.example.com', port: 465, security: 'tls' });
    assert.deepEqual(parseSmtpTarget('smtp://bob@smtp.example.com'), { host: 'smtp.example.com', port: 587, security: 'starttls', user: 'bob' });
    assert.deepEqual(parseSmtpTarget('smtp.example.com:465'), { host: 'smtp.example.com', port: 465, security: 'tls' });
    assert.deepEqual(parseSmtpTarget('smtp.example.com'), { host: 'smtp.example.com', port: 587, security: 'starttls' });
  });
});

describe('doctor autoconfig file', () => {
  it('takes the first IMAP and SMTP server with TLS or STARTTLS, and fills in the user name', () => {
    const xml = `<clientConfig version="1.1"><emailProvider id="example.org">
      <incomingServer type="imap"><hostname>plain.example.org</hostname><port>143</port><socketType>plain</socketType></incomingServer>
      <incomingServer type="pop3"><hostname>pop.example.org</hostname><port>995</port><socketType>SSL</socketType></incomingServer>
      <incomingServer type="imap"><hostname>IMAP.example.org</hostname><port>993</port><socketType>SSL</socketType><username>%EMAILLOCALPART%</username></incomingServer>
      <outgoingServer type="smtp"><hostname>smtp.example.org</hostname><port>587</port><socketType>STARTTLS</socketType><username>%EMAILADDRESS%</username></outgoingServer>
    </emailProvider></clientConfig>`;
    const servers = parseAutoconfig(xml, 'dana@example.org', 'example.org');
    assert.deepEqual(servers.imap, { host: 'imap.example.org', port: 993, security: 'tls', user: 'dana' });
    assert.deepEqual(servers.smtp, { host: 'smtp.example.org', port: 587, security: 'starttls', user: 'dana@example.org' });
    assert.deepEqual(servers.ignored, ['imap plain.example.org:143 (PLAIN)', 'pop3 pop.example.org:995']);
  });
});

describe('doctor IMAP syntax', () => {
  it('reads LIST lines with quoted, atom and literal names, in modified UTF-7', () => {
    assert.deepEqual(parseList('* LIST (\\HasNoChildren \\Sent) "/" "Sent Items"'), { flags: ['\\HasNoChildren', '\\Sent'], delimiter: '/', name: 'Sent Items' });
    assert.deepEqual(parseList('* LIST () NIL INBOX'), { flags: [], delimiter: null, name: 'INBOX' });
    assert.deepEqual(parseList('* LIST (\\Noselect) "." {14}\r\nR&AOk-sum&AOk-'), { flags: ['\\Noselect'], delimiter: '.', name: 'Résumé' });
    assert.equal(decodeMailboxName('Caf&AOk- &- Co'), 'Café & Co');
  });

  it('reads STATUS and ID answers', () => {
    assert.deepEqual([...parseStatus('* STATUS INBOX (MESSAGES 3 UIDNEXT 9 UIDVALIDITY 17 UNSEEN 1 HIGHESTMODSEQ 42)')!], [['MESSAGES', '3'], ['UIDNEXT', '9'], ['UIDVALIDITY', '17'], ['UNSEEN', '1'], ['HIGHESTMODSEQ', '42']]);
    assert.deepEqual(parseId('* ID ("name" "Dovecot" "version" "2.3")'), { name: 'Dovecot', version: '2.3' });
    assert.equal(parseId('* ID NIL'), null);
  });

  it('quotes LOGIN arguments, or sends them as literals, and never shows the password', () => {
    assert.deepEqual(loginCommand('alice', 'pa"ss\\word'), { command: 'LOGIN "alice" "pa\\"ss\\\\word"', shown: 'LOGIN "alice" (redacted)', continuations: [] });
    assert.deepEqual(loginCommand('jörg', 'pässwörd'), {
      command: 'LOGIN {5}',
      shown: 'LOGIN {5}',
      continuations: [
        { data: 'jörg {10}', shown: 'jörg {10}' },
        { data: 'pässwörd', shown: '(redacted)' },
      ],
    });
  });

  it('names what answers on a port from its first bytes', () => {
    assert.equal(identifySpeaker(Buffer.from('* OK [CAPABILITY IMAP4rev1] ready\r\n'))?.kind, 'imap');
    assert.equal(identifySpeaker(Buffer.from('220 mx.example.org ESMTP\r\n'))?.kind, 'smtp');
    assert.equal(identifySpeaker(Buffer.from('421 mx You talk too soon\r\n'))?.kind, 'smtp');
    assert.equal(identifySpeaker(Buffer.from('HTTP/1.1 400 Bad Request\r\n'))?.kind, 'http');
    assert.equal(identifySpeaker(Buffer.from('SSH-2.0-OpenSSH_9.2\r\n'))?.kind, 'ssh');
    assert.equal(identifySpeaker(Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46]))?.kind, 'tls');
    assert.equal(identifySpeaker(Buffer.alloc(0)), undefined);
    assert.equal(identifySpeaker(Buffer.from('* OK \u001b[31mred\r\n'))?.line, '* OK \\x1b[31mred');
    assert.equal(identifySpeaker(Buffer.from('* NO Intrusion prevention active\r\n'))?.kind, 'imap', 'a refusing IMAP server is still IMAP');
  });
});

describe('doctor advice follows the evidence', () => {
  it('reads a refusing greeting: the address is refused, connections are limited, or the server closes', () => {
    const blocked = greetingRefusalAdvice('* NO Intrusion prevention active for 192.0.2.1', 'Intrusion prevention active for 192.0.2.1', true, '198.51.100.7');
    assert.equal(blocked.summary, 'The server refuses connections from this computer\'s address: "* NO Intrusion prevention active for 192.0.2.1" (198.51.100.7 is the server address this computer reached).');
    assert.match(blocked.fix, /^This is not a setting of yours/);
    assert.match(greetingRefusalAdvice('554 5.7.1 Your IP is listed at a blocklist', '5.7.1 Your IP is listed at a blocklist', true, null).summary, /refuses connections from this computer's address/);
    assert.match(greetingRefusalAdvice('* BYE Too many connections', 'Too many connections', false, null).summary, /^The server refuses the connection because it has too many/);
    assert.match(greetingRefusalAdvice('* BYE Server shutting down', 'Server shutting down', false, null).summary, /^The server closed the connection as soon as it opened/);
  });

  it('tells a stripped STARTTLS from a server without TLS, by LOGINDISABLED or a masked capability', () => {
    assert.match(missingStarttlsAdvice(['IMAP4REV1', 'XXXXXXXX', 'AUTH=PLAIN'], 143, 'imaps://h:993', 'IMAP').summary, /holds "XXXXXXXX" where STARTTLS would be/);
    assert.match(missingStarttlsAdvice(['IMAP4REV1', 'LOGINDISABLED'], 143, 'imaps://h:993', 'IMAP').summary, /announces LOGINDISABLED, so it wants TLS before any password, yet it does not announce STARTTLS/);
    const plain = missingStarttlsAdvice(['IMAP4REV1', 'AUTH=PLAIN'], 143, 'imaps://h:993', 'IMAP');
    assert.match(plain.summary, /^The server does not offer STARTTLS on port 143\./);
    assert.match(plain.fix, /enable TLS on the server/);
    assert.match(starttlsRefusedAdvice('BAD Unknown command').summary, /does not understand it/);
    assert.match(starttlsRefusedAdvice('NO not now').summary, /refused it/);
  });

  it('names TLS alerts, and calls what it does not know unexpected', () => {
    assert.match(tlsHandshakeAdvice({ code: 'ERR_SSL_TLSV1_UNRECOGNIZED_NAME', message: 'tlsv1 unrecognized name' }, 'mail.example.org').summary, /^The server does not know the name mail\.example\.org/);
    assert.match(tlsHandshakeAdvice({ code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', message: 'x' }, 'h').summary, /^The server wants a client certificate/);
    assert.match(tlsHandshakeAdvice({ code: 'ERR_SSL_DH_KEY_TOO_SMALL', message: 'dh key too small' }, 'h').summary, /Diffie-Hellman/);
    assert.match(tlsHandshakeAdvice({ code: 'ERR_SSL_SOMETHING_NEW', message: 'odd' }, 'h').summary, /^Unexpected answer: the TLS handshake failed with "ERR_SSL_SOMETHING_NEW: odd"\.$/);
    assert.match(hangupAdvice('CAPABILITY', 3, undefined).summary, /^The server closed the connection 3 ms after its greeting, before answering CAPABILITY and without a word: it is overloaded, limits the connections it accepts, or blocks this address\.$/);
  });
});

describe('doctor Markdown', () => {
  it('keeps server text from becoming a link, an image, HTML or a table cell', () => {
    const hostile = '* OK [ALERT] click [here](https://evil.example/x) <img src=x onerror=alert(1)> | **now** `code` mail@evil.example';
    const escaped = mdText(hostile);
    assert.equal(escaped, '\\* OK \\[ALERT\\] click \\[here\\](https\\://evil\\.example/x) \\<img src=x onerror=alert(1)\\> \\| \\*\\*now\\*\\* \\`code\\` mail\\@evil\\.example');
    assert.ok(!/(?:^|[^\\])[[\]<>|`]/.test(escaped), escaped);
  });

  it('fences a transcript longer than any backtick run in it', () => {
    const report: DoctorReport = {
      schema: REPORT_SCHEMA,
      startedAt: '2026-11-25T00:00:00.000Z',
      durationMs: 1,
      input: 'imaps://host',
      verdict: { status: 'fail', line: 'FAIL: x' },
      discovery: null,
      imap: null,
      smtp: null,
      steps: [],
      fixes: [],
      commands: [],
      transcript: [{ protocol: 'imap', dir: 'S', text: '* OK ```` breakout', atMs: 0 }],
    };
    const markdown = reportToMarkdown(report);
    assert.match(markdown, /`````text\nIMAP {5}0ms S \* OK ```` breakout\n`````/);
  });
});
