// Remote content after the user's consent (issues 15.8, 16.10): the host fetches every kind of
// remote reference itself (no Referer, no cookie, never the webview), "Load for this message"
// loads everything that was blocked (style sheets from @import and what they name, srcset and
// <picture> images), a reopened message shows its state without fetching again, and the mail's own
// page background is drawn on its paper (16.9). Real pipeline, real worker, headless Chromium with
// both Content Security Policies off, so only our construction keeps the page from the network.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Browser } from 'playwright-core';
import { type LoadedResource } from '../../src/core/render/css';
import { parseSource } from '../../src/core/mail/messageLoader';
import { launchChromium } from '../e2e/browser';
import { compose } from '../fixtures/mail';
import { type CountingServer, startCountingServer } from '../support/http';
import { allowedModel, blockedModel, testRenderer } from '../support/render';
import { startViewHarness, type ViewHarness, withoutBodyCsp } from '../support/webviewHarness';
import { type BodyRenderer } from '../../src/core/render/renderHost';

let browser: Browser;
let remote: CountingServer;
let view: ViewHarness;
let renderer: BodyRenderer;

/** One reference of every kind the mail can make. */
function everyKind(origin: string): string {
  return `<html><head><style>
@import url(${origin}/imported.css);
@font-face { font-family: Mail; src: url(${origin}/font.woff2) format("woff2"); }
body { background: #eef1f5 url(${origin}/body-bg.png); }
.bg { background-image: url(${origin}/css-bg.png); }
ul.list { list-style-image: url(${origin}/list.png); }
.content::before { content: url(${origin}/content.png); }
.border { border: 10px solid; border-image: url(${origin}/border.png) 30 round; }
.cursor { cursor: url(${origin}/cursor.png), auto; }
.font { font-family: Mail, sans-serif; }
</style></head><body>
<p>Every kind</p>
<img src="${origin}/img.png" alt="img">
<img srcset="${origin}/srcset.png 1x, ${origin}/srcset-2x.png 2x" alt="srcset only">
<picture><source srcset="${origin}/picture.png"><img alt="picture only"></picture>
<table background="${origin}/table-bg.png"><tr><td background="${origin}/td-bg.png">cell</td></tr></table>
<div class="bg">bg</div><ul class="list"><li>item</li></ul><div class="content">c</div>
<div class="border">border</div><div class="cursor">cursor</div><p class="font">font</p>
<div style="background:url(${origin}/inline-bg.png)">inline</div>
</body></html>`;
}

const EXPECTED = ['/body-bg.png', '/border.png', '/content.png', '/css-bg.png', '/cursor.png', '/font.woff2', '/img.png', '/imported-bg.png', '/imported.css', '/inline-bg.png', '/list.png', '/picture.png', '/srcset.png', '/table-bg.png', '/td-bg.png'];

describe('remote content after consent', () => {
  before(async () => {
    browser = await launchChromium();
    remote = await startCountingServer({ '/imported.css': { type: 'text/css', body: '.bg{border:1px solid;background-image:url(http://{{REMOTE}}/imported-bg.png)}' } });
    view = await startViewHarness(browser, { csp: false });
    await view.load();
    renderer = testRenderer();
  });
  after(async () => {
    renderer?.dispose();
    await view?.close();
    await browser?.close();
    await remote?.close();
  });

  it('blocks every kind of remote reference and counts each one in the bar', async () => {
    remote.reset();
    const loaded = await parseSource(await compose({ from: 'news@newsletter.test', to: 'alice@example.test', subject: 'Every kind', html: everyKind(remote.origin) }));
    const model = blockedModel(loaded);
    await view.show({ type: 'show', model: { ...model, document: withoutBodyCsp(model.document) }, state: 'every-kind' });
    // the imported sheet's own image is not known until the sheet is loaded
    const expectedBlocked = EXPECTED.length - 1;
    assert.match(await view.page.locator('#remote-bar').innerText(), new RegExp(`Remote content blocked \\(${expectedBlocked} items\\)`));
    await view.page.waitForTimeout(500);
    assert.deepEqual(remote.requests, []);
  });

  it('loads everything that was blocked after consent, each by the host with no Referer and no cookie', async () => {
    remote.reset();
    const loaded = await parseSource(await compose({ from: 'news@newsletter.test', to: 'alice@example.test', subject: 'Every kind', html: everyKind(remote.origin) }));
    const resources = new Map<string, LoadedResource>();
    const model = await allowedModel(loaded, renderer, resources);
    assert.equal(model.remote.state, 'loaded');
    assert.equal(model.remote.failed, 0);
    assert.equal(model.remote.loaded, EXPECTED.length);
    const frame = await view.show({ type: 'show', model: { ...model, document: withoutBodyCsp(model.document) }, state: 'every-kind' });
    await frame.waitForFunction(() => [...document.images].every((img) => img.complete && img.naturalWidth > 0));
    await view.page.waitForTimeout(500);
    // every path exactly once, all from the host's fetcher: the page itself asked for nothing
    assert.deepEqual(remote.requests.map((r) => r.url).sort(), EXPECTED);
    for (const request of remote.requests) {
      assert.equal(request.headers.referer, undefined, `${request.url} carried a Referer`);
      assert.equal(request.headers.cookie, undefined, `${request.url} carried a cookie`);
      assert.match(String(request.headers['user-agent']), /IMAP-Mailbox-Explorer/, `${request.url} came from the page, not the host`);
    }
    assert.equal(await frame.evaluate(() => document.images.length), 3, 'img, srcset-only and picture-only images are shown');
    assert.match(await view.page.locator('#remote-bar').innerText(), /Remote content loaded for this message/);
    assert.equal(await view.page.getByText('Block again').count(), 1);

    // reopened: the state is shown, nothing is fetched again (a tracking pixel does not fire twice)
    remote.reset();
    const again = await allowedModel(loaded, renderer, resources);
    await view.show({ type: 'show', model: { ...again, document: withoutBodyCsp(again.document) }, state: 'every-kind' });
    await view.page.waitForTimeout(300);
    assert.equal(again.remote.state, 'loaded');
    assert.match(await view.page.locator('#remote-bar').innerText(), /Remote content loaded for this message/);
    assert.deepEqual(remote.requests, []);
  });

  it('draws the mail page background on its paper', async () => {
    const loaded = await parseSource(await compose({ from: 'news@newsletter.test', to: 'alice@example.test', subject: 'Newsletter', html: '<html><head><style>body{background:#eef1f5;margin:0} .card{background:#ffffff;padding:20px}</style></head><body><div class="card">Visible card</div></body></html>' }));
    const model = blockedModel(loaded);
    assert.equal(model.paper, true);
    const frame = await view.show({ type: 'show', model, state: 'newsletter' });
    const colors = await frame.evaluate(() => ({
      page: getComputedStyle(document.querySelector('mx-body')!).backgroundColor,
      card: getComputedStyle(document.querySelector('.card')!).backgroundColor,
    }));
    assert.deepEqual(colors, { page: 'rgb(238, 241, 245)', card: 'rgb(255, 255, 255)' });
    const shot = await view.page.screenshot({ path: 'test-results/render/newsletter-background.png' });
    assert.ok(shot.length > 0);
  });
});
