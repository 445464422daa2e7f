// What issue 10 added to the message view, attacked through the real webview (same shell, CSP and
// script, in Debian's Chromium): an invitation whose fields are markup and remote addresses shows
// them as text and loads nothing; Open, Save and "Show the whole message" tell the host which
// message they were clicked on, so the host can drop a click that crossed a switch of message.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Browser } from 'playwright-core';
import { parseSource } from '../../src/core/mail/messageLoader';
import { blockedModel } from '../support/render';
import { safeFileName } from '../../src/core/text';
import { isStale, parseViewMessage } from '../../src/messageView/protocol';
import { launchChromium } from '../e2e/browser';
import { type CountingServer, startCountingServer } from '../support/http';
import { startViewHarness, type ViewHarness } from '../support/webviewHarness';

let browser: Browser;
let remote: CountingServer;
let view: ViewHarness;

function invitation(remoteOrigin: string): Buffer {
  const markup = `<img src="${remoteOrigin}/summary.png" onerror="parent.postMessage({type:'pwned'},'*')">`;
  const ics = [
    'BEGIN:VCALENDAR', 'VERSION:2.0', 'METHOD:REQUEST', 'BEGIN:VEVENT', 'UID:x@hostile.test',
    `SUMMARY:${markup}Review`,
    `LOCATION:<a href="${remoteOrigin}/where">Room</a>`,
    `ORGANIZER;CN="<b>Boss</b><img src=${remoteOrigin}/cn.png>":mailto:boss@hostile.test`,
    `DESCRIPTION:<iframe src="${remoteOrigin}/description"></iframe>`,
    `URL:${remoteOrigin}/event-url.png`,
    `ATTACH;FMTTYPE=image/png:${remoteOrigin}/attach.png`,
    `IMAGE;VALUE=URI:${remoteOrigin}/image.png`,
    'DTSTART:20250310T090000Z', 'DTEND:20250310T093000Z', 'END:VEVENT', 'END:VCALENDAR', '',
  ].join('\r\n');
  return Buffer.from(`From: Mallory <mallory@hostile.test>\r\nSubject: Invitation\r\nDate: Tue, 1 Jul 2025 10:00:00 +0000\r\nContent-Type: multipart/mixed; boundary="x"\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nSee the invitation.\r\n--x\r\nContent-Type: text/calendar; method=REQUEST; charset=utf-8\r\nContent-Disposition: attachment; filename="../../../.bashrc"\r\n\r\n${ics}--x\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="report.pdf"\r\n\r\nJVBERi0=\r\n--x--\r\n`);
}

describe('issue 10 additions to the message view, attacked in the real webview', () => {
  before(async () => {
    browser = await launchChromium();
    remote = await startCountingServer();
    view = await startViewHarness(browser);
    await view.load();
  });
  after(async () => {
    await view?.close();
    await browser?.close();
    await remote?.close();
  });

  it('shows an invitation whose fields are markup and remote addresses as text, and loads nothing', async () => {
    const model = blockedModel(await parseSource(invitation(remote.origin)), 'file');
    assert.ok(model.calendar, 'the invitation card');
    await view.show({ type: 'show', model, state: 'file:///invite.eml' });
    const card = await view.page.$('.calendar-card');
    assert.ok(card, 'the card is shown');
    const text = await card.innerText();
    assert.match(text, /<img src=".*summary\.png" onerror=.*Review/);
    assert.match(text, /<a href=.*Room<\/a>/);
    assert.match(text, /<b>Boss<\/b>/);
    assert.equal(await card.$$eval('img, a, iframe, b, script', (nodes) => nodes.length), 0, 'no element from the invitation');
    await view.page.waitForTimeout(500);
    assert.deepEqual(remote.requests, [], 'no request for SUMMARY, LOCATION, CN, DESCRIPTION, URL, ATTACH or IMAGE');
    assert.deepEqual(await view.foreignMessages(), []);
    // Open and Save start from the file name as the host cleans it: never a path, never hidden
    const name = safeFileName(model.calendar.filename);
    assert.doesNotMatch(name, /[/\\]|^\./, name);
  });

  it('sends the state of the message shown with Open, Save and Show the whole message', async () => {
    const loaded = await parseSource(invitation(remote.origin));
    const first = blockedModel({ ...loaded, truncated: true }, 'file');
    await view.show({ type: 'show', model: first, state: 'first' });
    await view.page.click('.calendar-card vscode-button:has-text("Open .ics")');
    await view.page.click('.attachment vscode-button:has-text("Save As...")');
    await view.page.click('vscode-button:has-text("Show the whole message")');
    const second = blockedModel(loaded, 'file');
    await view.show({ type: 'show', model: second, state: 'second' });
    await view.page.click('.attachment vscode-button:has-text("Open")');
    const posted = (await view.posted()).filter((m) => m.type !== 'ready').map((m) => parseViewMessage(m));
    assert.deepEqual(posted.map((m) => m && [m.type, 'state' in m ? m.state : undefined]), [
      ['openAttachment', 'first'],
      ['saveAttachment', 'first'],
      ['showWhole', 'first'],
      ['openAttachment', 'second'],
    ]);
    // the host, now showing "second", drops what was clicked on "first"
    assert.deepEqual(posted.map((m) => isStale(m!, 'second')), [true, true, true, false]);
  });

  it('says how many addresses of a field are not listed, apart from what the sender wrote', async () => {
    const to = Array.from({ length: 2_000 }, (_, i) => `"and 5 more" <u${i}@x.t>`).join(',');
    const loaded = await parseSource(Buffer.from(`From: Mallory <mallory@hostile.test>\r\nTo: ${to}\r\nSubject: Many\r\n\r\nbody\r\n`));
    await view.show({ type: 'show', model: blockedModel(loaded, 'file'), state: 'many' });
    const row = view.page.locator('.row', { has: view.page.locator('.label', { hasText: /^To$/ }) });
    assert.equal((await row.locator('.more').innerText()).trim(), 'and 1,800 more');
    assert.match(await row.locator('.value').innerText(), /^and 5 more <u0@x\.t>, .*u199@x\.t> and 1,800 more$/s);
  });
});
