// Rendering runs in a worker_threads worker under a time budget: the calling thread stays free
// while a worst case renders, and a render past its budget is stopped and shown as plain text.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type BodyInput } from '../../src/core/render/body';
import { BodyRenderer } from '../../src/core/render/renderHost';
import { buildViewModel } from '../../src/core/render/viewModel';
import { testRenderer, WORKER_TS } from '../support/render';

/** The review's three worst cases in one message, at the size budgets. */
function worstCase(): BodyInput {
  const html = `<p style="${'a'.repeat(120_000)}">styled</p>` + '<div>'.repeat(200_000) + 'deep' + '</div>'.repeat(200_000) + `<style>${'a{b:c}'.repeat(100_000)}</style>`;
  return { html, text: `see http://x.test/${')'.repeat(30_000)}\nVisible plain text`, inline: new Map(), remote: new Map() };
}

const loaded = { flags: [], inline: new Map(), attachments: [], notices: [], subject: 'Worst case' };

describe('render worker', () => {
  // a budget no machine reaches: the first test is about the thread, not the budget
  const renderer = testRenderer(10 * 60 * 1000);
  after(() => renderer.dispose());

  it('renders in the worker while the calling thread keeps running', async () => {
    let ticks = 0;
    let running = true;
    const tick = () => {
      ticks++;
      if (running) {
        setImmediate(tick);
      }
    };
    setImmediate(tick);
    const rendering = await renderer.render(worstCase());
    running = false;
    assert.equal(rendering.fallback, undefined);
    assert.equal(rendering.kind, 'html');
    assert.ok(rendering.limits.includes('depth'), rendering.limits.join());
    // an event loop blocked by rendering would not have turned once before the result came back
    assert.ok(ticks > 10, `the event loop turned ${ticks} times during the render`);
  });

  it('counts the budget from the start of the render, not from the start of a slow worker', async () => {
    // the worker needs 1.5 s to start; the render itself takes milliseconds and has 500 ms
    const slow = new BodyRenderer({ workerFile: WORKER_TS, execArgv: ['--require', join(__dirname, '..', 'support', 'slowWorkerStart.cjs')], timeBudgetMs: 500 });
    try {
      const rendering = await slow.render({ html: '<p>Hello</p>', inline: new Map(), remote: new Map() });
      assert.equal(rendering.fallback, undefined, 'an ordinary mail is rendered, not shown as plain text');
      assert.equal(rendering.kind, 'html');
    } finally {
      slow.dispose();
    }
  });

  it('stops a render that runs past its budget and shows the decoded text plain, with a note', async () => {
    const rendering = await renderer.render(worstCase(), 1);
    assert.equal(rendering.fallback, 'timeout');
    assert.equal(rendering.kind, 'text');
    assert.match(rendering.document, /Visible plain text/);
    assert.doesNotMatch(rendering.document.slice(rendering.document.indexOf('<body')), /data-href|<a /);
    const model = buildViewModel(loaded, { origin: 'file' }, rendering);
    assert.ok(model.notices.some((n) => /took too long to display safely.*plain text/.test(n)), model.notices.join('\n'));
    // the next message gets a fresh worker and renders normally
    const next = await renderer.render({ html: '<p>hello <b>there</b></p>', inline: new Map(), remote: new Map() });
    assert.equal(next.fallback, undefined);
    assert.match(next.document, /hello <b>there<\/b>/);
  });

  it('shows an HTML-only message as its text without tags when it runs out of time', async () => {
    const input = worstCase();
    delete input.text;
    const rendering = await renderer.render(input, 1);
    assert.equal(rendering.fallback, 'timeout');
    assert.match(rendering.document, /styled/);
    assert.doesNotMatch(rendering.document, /&lt;div&gt;|<div>deep/);
  });

  it('works as bundled for VS Code (dist/renderWorker.js, built by npm run build)', async () => {
    const file = join(__dirname, '..', '..', 'dist', 'renderWorker.js');
    assert.ok(existsSync(file), `${file} is missing: run npm run build`);
    const problems: string[] = [];
    const bundled = new BodyRenderer({ workerFile: file, onProblem: (m) => void problems.push(m) });
    try {
      const rendering = await bundled.render({ html: '<style>p{color:red;background:url(http://r.test/x.png)}</style><p>hello</p>', inline: new Map(), remote: new Map() });
      assert.deepEqual(problems, []);
      assert.equal(rendering.fallback, undefined);
      assert.match(rendering.document, /<style>p\{color:red\}<\/style>/);
      assert.deepEqual(rendering.remote.map((r) => r.url), ['http://r.test/x.png']);
    } finally {
      bundled.dispose();
    }
  });
});
