// Turning a finished diagnosis into its verdict and the three ways it is read: JSON (the stable
// shape documented in types.ts), Markdown for a bug report, and plain text for a terminal.
// Server text is untrusted: in Markdown it is escaped so that it can never become a link, an image
// or HTML, and the transcript sits in a code fence longer than any backtick run inside it.
import { isIP } from 'node:net';
import { endpointUrl } from './input';
import { printable } from './transcript';
import { type DoctorReport, type DoctorStep, type Endpoint, type ServerReport, type TlsReport } from './types';

export function verdictOf(steps: DoctorStep[]): DoctorReport['verdict'] {
  const fails = steps.filter((s) => s.status === 'fail');
  const warns = steps.filter((s) => s.status === 'warn');
  const firstSentence = (text: string) => (/^(.+?[.!?])(?:\s|$)/.exec(text)?.[1] ?? text);
  if (fails.length) {
    const more = fails.length > 1 ? ` (and ${fails.length - 1} more problem${fails.length > 2 ? 's' : ''})` : '';
    return { status: 'fail', line: `FAIL: ${fails[0].title}: ${firstSentence(fails[0].summary)}${more}` };
  }
  const login = steps.find((s) => s.id === 'imap.login');
  const untested = login?.status === 'skip' ? ' Login was not checked (no password).' : '';
  if (warns.length) {
    return { status: 'warn', line: `PASS with ${warns.length} warning${warns.length > 1 ? 's' : ''}: ${warns[0].title}: ${firstSentence(warns[0].summary)}${untested}` };
  }
  const ran = steps.filter((s) => s.status !== 'skip').length;
  return { status: 'pass', line: `PASS: all ${ran} checks passed.${untested}` };
}

/** The fixes of failed steps first, then of warnings, each once. */
export function fixesOf(steps: DoctorStep[]): string[] {
  const ordered = [...steps.filter((s) => s.status === 'fail'), ...steps.filter((s) => s.status === 'warn')];
  return [...new Set(ordered.map((s) => s.fix).filter((f): f is string => Boolean(f)))];
}

function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

function hostPort(endpoint: Endpoint): string {
  return `${isIP(endpoint.host) === 6 ? `[${endpoint.host}]` : endpoint.host}:${endpoint.port}`;
}

/** openssl s_client and curl lines that repeat the connection by hand. */
export function commandsFor(server: ServerReport | null, protocol: 'imap' | 'smtp', caFile?: string): string[] {
  if (!server) {
    return [];
  }
  const endpoints = [server.endpoint];
  if (server.detectedSecurity && server.detectedSecurity !== server.endpoint.security) {
    endpoints.push({ ...server.endpoint, security: server.detectedSecurity });
  }
  const out: string[] = [];
  for (const endpoint of endpoints) {
    const target = hostPort(endpoint);
    const sni = isIP(endpoint.host) ? '' : ` -servername ${endpoint.host}`;
    const ca = caFile ? ` -CAfile ${shellQuote(caFile)}` : '';
    const curlCa = caFile ? ` --cacert ${shellQuote(caFile)}` : '';
    const user = endpoint.user ? ` --user ${shellQuote(endpoint.user)}` : '';
    if (endpoint.security !== 'none') {
      out.push(`openssl s_client -connect ${target}${endpoint.security === 'starttls' ? ` -starttls ${protocol}` : ''}${sni}${ca}`);
    }
    const scheme = endpoint.security === 'tls' ? `${protocol}s` : protocol;
    out.push(`curl -v${endpoint.security === 'starttls' ? ' --ssl-reqd' : ''}${curlCa} ${scheme}://${target}/${user}`);
  }
  return out;
}

const ICON: Record<DoctorStep['status'], string> = { pass: '✅', warn: '⚠️', fail: '❌', skip: '⏭️' };
const WORD: Record<DoctorStep['status'], string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', skip: 'SKIP' };

/**
 * Escapes text for Markdown so that server text stays text: everything that could start a link, an
 * image, HTML, emphasis or a table cell, and the dots, colons and at-signs inside a word, which
 * linkifiers (GitHub, VS Code's preview) would turn host names, URLs and addresses into links with.
 */
export function mdText(text: string): string {
  return printable(text)
    .replace(/[\r\n]+/g, ' ')
    .replace(/[\\`*_[\]<>|~&]/g, '\\$&')
    .replace(/[.:@](?=\S)/g, '\\$&')
    .replace(/^([#+=-]|\d+[.)])/, '\\$1');
}

function fence(body: string, info = ''): string {
  const longest = Math.max(2, ...[...body.matchAll(/`+/g)].map((m) => m[0].length));
  const marks = '`'.repeat(longest + 1);
  return `${marks}${info}\n${body}\n${marks}`;
}

function certificateRows(tls: TlsReport): Array<[string, string]> {
  const cert = tls.certificate;
  return [
    ['Protocol', `${tls.protocol}, ${tls.cipher}, handshake ${tls.handshakeMs} ms`],
    ['Subject', cert.subject],
    ['Names (SAN)', `${cert.sans.join(', ') || '(none)'}: ${tls.hostMatches ? 'match' : 'do not match'} ${tls.hostname}`],
    ['Issuer', cert.issuer],
    ['Sent', tls.sentChain ? tls.sentChain.map((c) => `${c.name} (until ${c.validTo.slice(0, 10)})`).join(', ') : '(not readable from the handshake)'],
    ['Chain', tls.chain.map((c) => `${c.name} (${c.role}, until ${c.validTo.slice(0, 10)}${c.inTrustStore ? ', trust store' : ''})`).join(' <- ')],
    ['Trusted', tls.trust === 'ca' ? 'yes, by a CA of the trust store' : tls.trust === 'pin' ? 'yes, by the pinned certificate' : `no${tls.verifyError ? ` (${tls.verifyError})` : ''}`],
    ['Node\'s TLS', tls.verifyError ? `refuses it (${tls.verifyError})` : 'accepts it'],
    ['Self-signed', cert.selfSigned ? 'yes' : 'no'],
    ['Valid', `${cert.validFrom.slice(0, 10)} to ${cert.validTo.slice(0, 10)} (${cert.daysToExpiry} days left)`],
    ['SHA-256', cert.sha256],
    ...(tls.chainCheck.warnings.length ? [['Warnings', tls.chainCheck.warnings.map((w) => w.text).join(' ')] as [string, string]] : []),
  ];
}

export function reportToMarkdown(report: DoctorReport): string {
  const out: string[] = [];
  out.push(`## IMAP Mailbox Explorer connection report`, '');
  out.push(`**${mdText(report.verdict.line)}**`, '');
  const checked = [report.imap && endpointUrl(report.imap.endpoint, 'imap'), report.smtp && endpointUrl(report.smtp.endpoint, 'smtp')].filter(Boolean).join(' and ');
  out.push(`Checked ${mdText(checked || report.input)} on ${mdText(report.startedAt)} in ${report.durationMs} ms${report.discovery ? `, discovered from ${mdText(report.discovery.domain)}` : ''}.`, '');

  out.push('| | Step | Time | Result |', '|---|---|---:|---|');
  for (const step of report.steps) {
    out.push(`| ${ICON[step.status]} ${WORD[step.status]} | ${mdText(step.title)} | ${step.status === 'skip' ? '' : `${step.ms} ms`} | ${mdText(step.summary)} |`);
  }
  out.push('');

  if (report.fixes.length) {
    out.push('### Suggested fixes', '');
    report.fixes.forEach((fix, i) => out.push(`${i + 1}. ${mdText(fix)}`));
    out.push('');
  }

  if (report.discovery) {
    out.push('### Discovery', '');
    out.push(`Source that answered: ${report.discovery.source ? mdText(report.discovery.source) : 'none'}`, '');
    for (const a of report.discovery.attempts) {
      out.push(`- ${a.found ? '✅' : '▫️'} ${mdText(a.source)} ${mdText(a.query)}: ${mdText(a.result)} (${a.ms} ms)`);
    }
    out.push('');
  }

  for (const [label, server] of [['IMAP', report.imap], ['SMTP', report.smtp]] as const) {
    if (server?.tls) {
      out.push(`### Certificate (${label})`, '', '| | |', '|---|---|');
      for (const [k, v] of certificateRows(server.tls)) {
        out.push(`| ${k} | ${mdText(v)} |`);
      }
      out.push('');
    }
  }

  if (report.imap?.capabilitiesAfterLogin.length) {
    out.push('### IMAP capabilities after login', '');
    for (const c of report.imap.capabilitiesAfterLogin) {
      out.push(`- ${c.present ? '✅' : '➖'} **${mdText(c.name)}**: ${mdText(c.meaning)}`);
    }
    out.push('');
  }
  if (report.imap?.mailboxes) {
    const m = report.imap.mailboxes;
    out.push('### Mailboxes', '');
    out.push(m.folders.map((f) => `${mdText(f.name)}${f.specialUse ? ` (${mdText(f.specialUse)})` : ''}`).join(', ') || '(none)', '');
    if (m.missing.length) {
      out.push(`No folder is marked ${mdText(m.missing.join(', '))}.`, '');
    }
    if (m.inbox) {
      out.push(`INBOX: ${m.inbox.messages ?? '?'} messages, ${m.inbox.unseen ?? '?'} unseen, UIDVALIDITY ${m.inbox.uidValidity ?? '?'}${m.inbox.highestModseq ? `, HIGHESTMODSEQ ${mdText(m.inbox.highestModseq)}` : ''}.`, '');
    }
  }
  if (report.smtp?.extensions.length) {
    out.push('### SMTP extensions', '', mdText(report.smtp.extensions.join(', ')), '');
  }

  const withDetails = report.steps.filter((s) => s.details.length);
  if (withDetails.length) {
    out.push('<details><summary>Step details</summary>', '');
    for (const step of withDetails) {
      out.push(`**${mdText(step.title)}**`, '');
      step.details.forEach((d) => out.push(`- ${mdText(d)}`));
      out.push('');
    }
    out.push('</details>', '');
  }

  if (report.commands.length) {
    out.push('### Try it by hand', '', fence(report.commands.join('\n'), 'sh'), '');
  }
  out.push('### Protocol transcript', '', 'Passwords are redacted and message contents are not shown.', '');
  out.push(fence(transcriptText(report), 'text'), '');
  return out.join('\n');
}

export function transcriptText(report: DoctorReport): string {
  return report.transcript.map((l) => `${l.protocol.toUpperCase()} ${String(l.atMs).padStart(5)}ms ${l.dir} ${l.text}`).join('\n');
}

/** Stable JSON: the keys in the order types.ts documents, two-space indented, one trailing newline. */
export function reportToJson(report: DoctorReport): string {
  const ordered: DoctorReport = {
    schema: report.schema,
    startedAt: report.startedAt,
    durationMs: report.durationMs,
    input: report.input,
    verdict: report.verdict,
    discovery: report.discovery,
    imap: report.imap,
    smtp: report.smtp,
    steps: report.steps,
    fixes: report.fixes,
    commands: report.commands,
    transcript: report.transcript,
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

/** A terminal rendering: verdict, one line per step, fixes, and the certificate facts. */
export function reportToText(report: DoctorReport, options: { transcript?: boolean } = {}): string {
  const out: string[] = [report.verdict.line, ''];
  const width = Math.max(...report.steps.map((s) => s.title.length));
  for (const step of report.steps) {
    out.push(`${WORD[step.status]}  ${step.title.padEnd(width)}  ${step.status === 'skip' ? '      ' : `${String(step.ms).padStart(4)}ms`}  ${step.summary}`);
    // what a warning or a failure rests on is shown here too, not only in the JSON
    if ((step.status === 'fail' || step.status === 'warn') && !step.id.endsWith('.tls')) {
      step.details.forEach((d) => out.push(`${' '.repeat(width + 16)}${d}`));
    }
  }
  if (report.fixes.length) {
    out.push('', 'Suggested fixes:');
    report.fixes.forEach((fix, i) => out.push(`  ${i + 1}. ${fix}`));
  }
  for (const [label, server] of [['IMAP', report.imap], ['SMTP', report.smtp]] as const) {
    if (server?.tls) {
      out.push('', `Certificate (${label}):`);
      for (const [k, v] of certificateRows(server.tls)) {
        out.push(`  ${k.padEnd(12)} ${v}`);
      }
    }
  }
  if (report.commands.length) {
    out.push('', 'Try it by hand:', ...report.commands.map((c) => `  ${c}`));
  }
  if (options.transcript) {
    out.push('', 'Transcript (passwords redacted):', transcriptText(report));
  }
  return `${out.join('\n')}\n`;
}
