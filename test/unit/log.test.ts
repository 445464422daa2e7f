import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { imapflowLogger, type Logger, redact, registerSecret } from '../../src/core/log';

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
