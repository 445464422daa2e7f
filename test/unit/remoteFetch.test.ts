// Remote content the user allowed is fetched by the extension host, with no Referer and no cookie,
// checked by kind, and by default never from a loopback or private address.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fetchRemoteResource, fetchRemoteResources, isPrivateAddress } from '../../src/core/render/remoteFetch';
import { type CountingServer, startCountingServer } from '../support/http';

let remote: CountingServer;

describe('remote content fetched by the host', () => {
  before(async () => {
    remote = await startCountingServer({
      '/style.css': { type: 'text/css', body: 'p{color:red}' },
      '/page.html': { type: 'text/html', body: '<p>not an image</p>' },
      '/fake-font.woff2': { type: 'font/woff2', body: 'not a font' },
    });
  });
  after(() => remote?.close());

  it('sends no Referer, no cookie and no Origin, and keeps each kind as data', async () => {
    remote.reset();
    const outcomes = await fetchRemoteResources([
      { url: `${remote.origin}/a.png`, kind: 'image' },
      { url: `${remote.origin}/f.woff2`, kind: 'font' },
      { url: `${remote.origin}/style.css`, kind: 'style' },
    ], { allowPrivateNetwork: true });
    assert.deepEqual([...outcomes.values()].map((o) => o.ok && o.resource.kind), ['image', 'font', 'style']);
    const image = outcomes.get(`${remote.origin}/a.png`)!;
    assert.ok(image.ok && image.resource.kind === 'image' && image.resource.dataUri.startsWith('data:image/gif;base64,R0lGOD'));
    const css = outcomes.get(`${remote.origin}/style.css`)!;
    assert.ok(css.ok && css.resource.kind === 'style' && css.resource.css === 'p{color:red}');
    assert.equal(remote.requests.length, 3);
    for (const request of remote.requests) {
      assert.equal(request.headers.referer, undefined, request.url);
      assert.equal(request.headers.cookie, undefined, request.url);
      assert.equal(request.headers.origin, undefined, request.url);
    }
  });

  it('refuses what is not of its kind', async () => {
    const page = await fetchRemoteResource(`${remote.origin}/page.html`, 'image', { allowPrivateNetwork: true });
    assert.deepEqual(page, { ok: false, reason: 'not an image (text/html)' });
    const font = await fetchRemoteResource(`${remote.origin}/fake-font.woff2`, 'font', { allowPrivateNetwork: true });
    assert.deepEqual(font, { ok: false, reason: 'not a font file' });
    const missing = await fetchRemoteResource(`${remote.origin}/missing.txt`, 'image', { allowPrivateNetwork: true });
    assert.deepEqual(missing, { ok: false, reason: 'HTTP 404' });
    const big = await fetchRemoteResource(`${remote.origin}/a.png`, 'image', { allowPrivateNetwork: true, maxBytes: 10 });
    assert.deepEqual(big, { ok: false, reason: 'too large' });
  });

  it('never reaches a loopback or private address unless allowed', async () => {
    remote.reset();
    assert.equal((await fetchRemoteResource(`${remote.origin}/a.png`, 'image')).ok, false);
    assert.equal((await fetchRemoteResource(`http://localhost:${remote.origin.split(':')[2]}/b.png`, 'image')).ok, false);
    assert.deepEqual(remote.requests, []);
    for (const address of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '::1', 'fe80::1', '::ffff:127.0.0.1', 'fd00::1', '0.0.0.0']) {
      assert.equal(isPrivateAddress(address), true, address);
    }
    for (const address of ['93.184.216.34', '2606:4700::1111', '8.8.8.8']) {
      assert.equal(isPrivateAddress(address), false, address);
    }
  });
});
