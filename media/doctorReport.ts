// The connection report's script: builds the page from the report data with textContent only.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import { type ReportHostToView, type ReportViewToHost } from '../src/doctor/protocol';
import { type DoctorReport, type DoctorStep } from '../src/core/doctor/types';
import { el } from './dom';
import { DisplayFormat } from '../src/core/dates';

const dates = new DisplayFormat(document.documentElement.lang);

interface VsCodeApi {
  postMessage(message: ReportViewToHost): void;
}
declare function acquireVsCodeApi(): VsCodeApi;
const vscode = acquireVsCodeApi();
const app = document.getElementById('app')!;

function button(label: string, message: ReportViewToHost, secondary = true): HTMLElement {
  const b = document.createElement('vscode-button');
  b.textContent = label;
  if (secondary) {
    b.setAttribute('secondary', '');
  }
  b.addEventListener('click', () => vscode.postMessage(message));
  return b;
}

const ICON: Record<DoctorStep['status'], string> = { pass: 'pass', warn: 'warning', fail: 'error', skip: 'circle-slash' };

function section(title: string): HTMLElement {
  const s = el('section');
  s.append(el('h2', '', title));
  app.append(s);
  return s;
}

function facts(rows: Array<[string, string | null | undefined]>): HTMLElement {
  const dl = el('dl', 'facts');
  for (const [k, v] of rows) {
    if (v !== null && v !== undefined && v !== '') {
      dl.append(el('dt', '', k), el('dd', '', v));
    }
  }
  return dl;
}

function render(report: DoctorReport, canPin: boolean, pinned: boolean): void {
  app.replaceChildren();
  const head = el('header', `verdict ${report.verdict.status}`);
  head.append(el('span', `codicon codicon-${report.verdict.status === 'pass' ? 'pass' : report.verdict.status === 'warn' ? 'warning' : 'error'}`), el('span', 'verdict-line', report.verdict.line));
  app.append(head);
  const actions = el('div', 'actions');
  actions.append(button('Copy as Markdown', { type: 'copyMarkdown' }), button('Save as JSON', { type: 'saveJson' }));
  app.append(actions);
  app.append(el('p', 'meta', `${report.input} · ${dates.fullWithSeconds(report.startedAt)} · ${report.durationMs} ms`));

  if (report.fixes.length) {
    const fixes = section('What to do');
    const list = el('ul', 'fixes');
    report.fixes.forEach((f) => list.append(el('li', '', f)));
    fixes.append(list);
  }

  const steps = section('Steps');
  const table = el('table', 'steps');
  const headRow = el('tr');
  ['', 'Step', 'Time', 'Result'].forEach((h) => headRow.append(el('th', '', h)));
  table.append(headRow);
  for (const step of report.steps) {
    const row = el('tr', `step ${step.status}`);
    const icon = el('td', 'status');
    icon.append(el('span', `codicon codicon-${ICON[step.status]}`));
    icon.title = step.status;
    const result = el('td', 'result');
    result.append(el('div', '', step.summary));
    if (step.details.length) {
      const more = el('details');
      more.append(el('summary', '', `${step.details.length} detail${step.details.length === 1 ? '' : 's'}`));
      const pre = el('pre', '', step.details.join('\n'));
      more.append(pre);
      result.append(more);
    }
    if (step.fix && step.status !== 'pass') {
      result.append(el('div', 'fix', step.fix));
    }
    row.append(icon, el('td', 'title', step.title), el('td', 'time', step.status === 'skip' ? '' : `${step.ms} ms`), result);
    table.append(row);
  }
  steps.append(table);

  const tls = report.imap?.tls;
  if (tls) {
    const cert = section('Certificate (IMAP)');
    cert.append(facts([
      ['Protocol', `${tls.protocol} · ${tls.cipher} · handshake ${tls.handshakeMs} ms`],
      ['Subject', tls.certificate.subject],
      ['Names', tls.certificate.sans.join(', ')],
      ['Host matches', tls.hostMatches ? `yes (${tls.hostname})` : `no (${tls.hostname})`],
      ['Issuer', tls.certificate.issuer],
      ['Trusted', tls.trust === 'ca' ? 'yes, by a certificate authority' : tls.trust === 'pin' ? 'yes, by the pinned certificate' : `no${tls.verifyError ? ` (${tls.verifyError})` : ''}`],
      ['Sent by the server', tls.sentChain ? tls.sentChain.map((c) => c.name).join(', ') : null],
      ['Chain', tls.chain.map((c) => `${c.name} (${c.role}${c.inTrustStore ? ', trust store' : ''})`).join(' ← ')],
      ['Self-signed', tls.certificate.selfSigned ? 'yes' : 'no'],
      ['Valid until', `${dates.day(tls.certificate.validTo) || tls.certificate.validTo} (${tls.certificate.daysToExpiry} days)`],
      ['SHA-256', tls.certificate.sha256],
    ]));
    if (canPin) {
      const box = el('div', pinned ? 'pin pinned' : 'pin');
      box.append(el('p', '', pinned
        ? 'This certificate is pinned for the account. Test the connection again to check the steps after TLS.'
        : 'No authority vouches for this certificate. If this fingerprint is the one your server administrator gave you, you can pin it: the account will then accept exactly this certificate and refuse any other.'));
      if (!pinned) {
        const b = button('Trust and pin this certificate', { type: 'pin' }, false);
        b.id = 'pin-certificate';
        box.append(b);
      }
      cert.append(box);
    }
  }

  const caps = report.imap?.capabilitiesAfterLogin ?? [];
  if (caps.length) {
    const s = section('Capabilities (after login)');
    const list = el('div', 'badges');
    for (const c of caps) {
      const badge = el('span', `badge ${c.present ? 'present' : 'absent'}`, c.name);
      badge.title = c.meaning;
      list.append(badge);
    }
    s.append(list);
    const meanings = el('ul', 'meanings');
    caps.forEach((c) => meanings.append(el('li', c.present ? '' : 'absent', `${c.name}: ${c.meaning}`)));
    s.append(meanings);
  }

  if (report.smtp) {
    const s = section('Outgoing mail (SMTP)');
    s.append(facts([
      ['Server', `${report.smtp.endpoint.host}:${report.smtp.endpoint.port} (${report.smtp.endpoint.security})`],
      ['Greeting', report.smtp.greeting],
      ['Extensions', report.smtp.extensions.join(' ')],
      ['AUTH', report.smtp.authMechanisms.join(' ')],
    ]));
  }

  if (report.commands.length) {
    const s = section('Reproduce by hand');
    s.append(el('pre', 'commands', report.commands.join('\n')));
  }

  const transcript = section('Protocol transcript (passwords redacted)');
  const details = el('details');
  details.append(el('summary', '', `${report.transcript.length} lines`));
  details.append(el('pre', 'transcript', report.transcript.map((l) => `${String(l.atMs).padStart(6)} ms ${l.protocol.toUpperCase()} ${l.dir} ${l.text}`).join('\n')));
  transcript.append(details);
}

window.addEventListener('message', (event: MessageEvent<ReportHostToView>) => {
  if (event.data?.type === 'report') {
    render(event.data.report, event.data.canPin, event.data.pinned);
  }
});
vscode.postMessage({ type: 'ready' });
