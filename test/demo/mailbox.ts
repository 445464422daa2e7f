// The demo mailbox: a bug-report inbox as our users have it. Reports with stack traces and log
// attachments, a patch, a thread with replies, a newsletter with tracking images, CI mail, a
// hostile report, and folders for triage.
import { compose, PNG_16 } from '../fixtures/mail';
import { type Fixture } from '../fixtures/mail';

const ME = { name: 'Triage Team', address: 'triage@demo.test' };

function hoursAgo(h: number): Date {
  return new Date(Date.now() - h * 3600_000);
}

const STACK = `TypeError: Cannot read properties of undefined (reading 'theme')
    at SettingsView.render (src/settings/view.ts:118:31)
    at SettingsView.update (src/settings/view.ts:74:10)
    at Controller.open (src/app/controller.ts:212:18)
    at async main (src/main.ts:41:5)`;

export async function demoMessages(remoteOrigin: string): Promise<Fixture[]> {
  const list: Fixture[] = [];
  const add = async (folder: string, mail: Parameters<typeof compose>[0], flags?: string[]) => {
    // it arrived when it was sent, as in a real mailbox: rows are ordered by arrival
    list.push({ folder, subject: String(mail.subject), raw: await compose(mail), ...(flags ? { flags } : {}), ...(mail.date instanceof Date ? { received: mail.date } : {}) });
  };
  const crashId = '<crash-2317@reporter.test>';
  await add('INBOX', {
    from: { name: 'Priya Raman', address: 'priya@customer.test' }, to: ME, date: hoursAgo(30), messageId: crashId,
    subject: '[Bug] Crash when opening settings (v2.3.1)',
    text: `Hello,\n\nsince updating to 2.3.1 the app crashes every time I open Settings.\n\nSteps:\n1. Start the app\n2. Click the gear icon\n\nStack trace:\n\n${STACK}\n\nThe full log is attached. Happy to test a fix.\n\nPriya\n`,
    attachments: [{ filename: 'crash.log', contentType: 'text/plain', content: `${'2026-11-24T09:12:01Z INFO starting\n'.repeat(30)}2026-11-24T09:12:04Z ERROR ${STACK}\n` }],
  });
  await add('INBOX', {
    from: { name: 'Marco Rossi', address: 'marco@dev.test' }, to: ME, cc: 'priya@customer.test', date: hoursAgo(26), inReplyTo: crashId, references: [crashId], messageId: '<crash-2317-r1@dev.test>',
    subject: 'Re: [Bug] Crash when opening settings (v2.3.1)',
    text: `I can reproduce it with an empty profile: \`theme\` is undefined until the first save.\n\nOn Tue, Priya Raman wrote:\n> since updating to 2.3.1 the app crashes every time I open Settings.\n>\n> ${STACK.split('\n')[0]}\n`,
  }, ['\\Seen']);
  await add('INBOX', {
    from: { name: 'Priya Raman', address: 'priya@customer.test' }, to: ME, date: hoursAgo(20), inReplyTo: '<crash-2317-r1@dev.test>', references: [crashId, '<crash-2317-r1@dev.test>'],
    subject: 'Re: [Bug] Crash when opening settings (v2.3.1)',
    text: 'Yes, it is a fresh profile. Deleting ~/.config/app made no difference.\n\n> I can reproduce it with an empty profile\n',
  });
  await add('INBOX', {
    from: { name: 'Marco Rossi', address: 'marco@dev.test' }, to: ME, date: hoursAgo(6),
    subject: '[PATCH] settings: default the theme before first render',
    text: 'This fixes #2317. The theme falls back to the system default until the user saves.\n\nTests added for the empty profile.\n\n-- \nMarco\n',
    attachments: [{ filename: '0001-settings-default-the-theme.patch', contentType: 'text/x-patch', content: `From 3f2a Mon Sep 17 00:00:00 2001\nSubject: [PATCH] settings: default the theme before first render\n\ndiff --git a/src/settings/view.ts b/src/settings/view.ts\n--- a/src/settings/view.ts\n+++ b/src/settings/view.ts\n@@ -115,7 +115,7 @@ export class SettingsView {\n   render() {\n-    const theme = this.profile.settings.theme;\n+    const theme = this.profile.settings?.theme ?? systemTheme();\n     return this.template(theme);\n   }\n` }],
  });
  await add('INBOX', {
    from: { name: 'Issue Digest', address: 'digest@tracker.test' }, to: ME, date: hoursAgo(12),
    subject: 'Weekly digest: 12 new issues, 4 closed',
    html: `<html><head><style>
      body{font-family:Helvetica,Arial,sans-serif;background:#eef1f5;margin:0}
      .card{background:#fff;max-width:560px;margin:16px auto;border-radius:6px;padding:20px}
      h1{color:#1f6feb;font-size:20px} td{padding:4px 8px;border-bottom:1px solid #eee}
      </style></head><body><div class="card">
      <img src="${remoteOrigin}/banner.png" width="520" height="80" alt="Issue tracker">
      <h1>This week in the tracker</h1>
      <table><tr><td>#2317</td><td>Crash when opening settings</td><td>open</td></tr>
      <tr><td>#2311</td><td>Export to CSV drops unicode</td><td>closed</td></tr>
      <tr><td>#2309</td><td>Dark mode for reports</td><td>open</td></tr></table>
      <p><a href="https://tracker.test/issues?week=47">See all issues</a></p>
      <img src="${remoteOrigin}/open.gif" width="1" height="1" alt="">
      </div></body></html>`,
  });
  await add('INBOX', {
    from: { name: 'CI', address: 'ci@build.test' }, to: ME, date: hoursAgo(3),
    subject: 'Build #4821 failed on main',
    html: '<div style="font-family:monospace"><p style="color:#b00020;font-weight:bold">✗ test (node 20) failed</p><pre>FAIL src/settings/view.test.ts\n  ● renders with an empty profile\n    TypeError: Cannot read properties of undefined</pre><p><a href="https://ci.test/builds/4821">Open build #4821</a></p></div>',
  });
  await add('INBOX', {
    from: { name: 'Anonymous Researcher', address: 'x@unknown.test' }, to: ME, date: hoursAgo(2),
    subject: 'Security report: XSS in the report preview',
    html: '<p>Proof of concept below. Opening this mail in a careless client would run it:</p><script>alert("xss")</script><img src=x onerror="alert(1)"><p><a href="javascript:alert(2)">click me</a> and <a href="https://attacker.test/steal">https://tracker.test/login</a></p><p>(In IMAP Mailbox Explorer nothing runs and the lying link is flagged before opening.)</p>',
  });
  await add('INBOX', {
    from: { name: 'Helpdesk', address: 'support@customer.test' }, to: ME, date: hoursAgo(1),
    subject: 'Customer logs (large attachment)',
    text: 'The customer sent a full diagnostic bundle. Opening this mail does not download it.',
    attachments: [{ filename: 'diagnostics.tar.gz', contentType: 'application/gzip', content: Buffer.alloc(5 * 1024 * 1024, 7) }],
  });
  await add('INBOX', {
    from: { name: '山田 太郎', address: 'yamada@jp.test' }, to: ME, date: hoursAgo(0.2),
    subject: 'Feature request: dark mode for reports / レポートのダークモード',
    html: '<p>Hi! Reports are hard to read at night. Could they follow the editor theme?</p><p>Inline mock-up: <img src="cid:mockup@jp.test" width="16" height="16" alt="mock-up"></p>',
    attachments: [{ filename: 'mockup.png', content: PNG_16, contentType: 'image/png', cid: 'mockup@jp.test' }],
  });
  await add('Triage.Needs repro', { from: { name: 'Lee', address: 'lee@customer.test' }, to: ME, date: hoursAgo(50), subject: '[Bug] Sync stops after sleep', text: 'Sometimes sync does not resume after the laptop wakes up. No log yet.' });
  await add('Triage.Confirmed', { from: { name: 'Ana', address: 'ana@customer.test' }, to: ME, date: hoursAgo(70), subject: '[Bug] Export to CSV drops unicode', text: 'Names like Zoë become Zo?.' }, ['\\Seen', '\\Flagged']);
  await add('Done', { from: { name: 'Marco Rossi', address: 'marco@dev.test' }, to: ME, date: hoursAgo(100), subject: 'Released 2.3.0', text: 'Release notes at https://tracker.test/releases/2.3.0' }, ['\\Seen', '\\Answered']);
  return list;
}

export function releaseNote(index: number, date: Date): Buffer {
  const subject = `[release] nightly build ${String(index).padStart(4, '0')} published`;
  return Buffer.from(`From: Release Bot <releases@build.test>\r\nTo: triage@demo.test\r\nSubject: ${subject}\r\nDate: ${date.toUTCString()}\r\nMessage-ID: <nightly-${index}@build.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nNightly ${index} is available.\r\n`);
}
