// The walkthrough "Get Started with IMAP Mailbox Explorer" in a real VS Code (code-server) against a
// real Dovecot seeded with the demo's bug-report inbox. The journey does each step as a user would
// (add the account, read, triage with the keys, reply, test the connection), then opens the
// walkthrough and checks that every step is shown, checked off and shows its screenshot.
//
// The screenshots the steps show are taken here: `UPDATE_WALKTHROUGH_MEDIA=1` writes them to
// media/walkthrough/*.png, the README's media/screenshot.png, and media/icon.png (rendered from
// media/icon.svg); `UPDATE_WALKTHROUGH_MEDIA=light` runs the same journey in the light theme and
// writes media/walkthrough/*-light.png, which VS Code shows in light themes. Made again after the
// UI changes with:
//
//   npm run build && UPDATE_WALKTHROUGH_MEDIA=1 /work/tools/e2e-lock node --import tsx --test test/e2e/walkthrough.test.ts
//   UPDATE_WALKTHROUGH_MEDIA=light /work/tools/e2e-lock node --import tsx --test test/e2e/walkthrough.test.ts
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, type Locator, type Page } from 'playwright-core';
import { demoMessages } from '../demo/mailbox';
import { type DovecotServer, startDovecot } from '../support/dovecot';
import { type CountingServer, startCountingServer } from '../support/http';
import { freePort } from '../support/net';
import { seedFixtures } from '../support/seed';
import { type SmtpSink, startSmtpSink } from '../support/smtp';
import { launchChromium } from './browser';
import { type CodeServer, REPO_ROOT, startCodeServer } from './codeServer';
import { contextMenu, expandRow, Journal, messageBody, openMailView, runCommand, setColorTheme, treeRow, webviewFrame } from './workbench';

const UPDATE = process.env.UPDATE_WALKTHROUGH_MEDIA === '1' || process.env.UPDATE_WALKTHROUGH_MEDIA === 'light';
/** The light run takes the light pictures only (the README's picture and the icon come from the dark run). */
const LIGHT = process.env.UPDATE_WALKTHROUGH_MEDIA === 'light';
const THEME = LIGHT ? 'Default Light Modern' : 'Default Dark Modern';
const MEDIA = join(REPO_ROOT, 'media', 'walkthrough');
const USER = { name: 'triage', password: 'demo-password-2026' };
/** The Marketplace shows at most this much per image comfortably; the package stays small. */
const MAX_MEDIA_BYTES = 150 * 1024;

interface WalkthroughStep {
  id: string;
  title: string;
  description: string;
  media: { image: { dark: string; light: string; hc: string; hcLight: string }; altText: string };
  completionEvents?: string[];
}
interface Manifest {
  publisher: string;
  name: string;
  icon: string;
  contributes: { commands: Array<{ command: string }>; walkthroughs: Array<{ id: string; title: string; steps: WalkthroughStep[] }> };
}
const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as Manifest;
const walkthrough = manifest.contributes.walkthroughs[0];

/** Width and height from a PNG's IHDR chunk (PNG spec, section 11.2.2). */
function pngSize(file: string): { width: number; height: number } {
  const bytes = readFileSync(file);
  assert.equal(bytes.subarray(1, 4).toString('latin1'), 'PNG', `${file} is a PNG`);
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

describe('walkthrough in VS Code', { timeout: 10 * 60 * 1000 }, () => {
  let server: DovecotServer;
  let remote: CountingServer;
  let smtp: SmtpSink;
  let vscode: CodeServer;
  let browser: Browser;
  let page: Page;

  before(async () => {
    remote = await startCountingServer();
    server = await startDovecot({ users: [USER] });
    seedFixtures(server, USER.name, await demoMessages(remote.origin));
    smtp = await startSmtpSink({ port: await freePort(), tls: { cert: server.cert.cert, key: server.cert.key }, credentials: { user: USER.name, pass: USER.password } });
    vscode = await startCodeServer({
      env: { NODE_EXTRA_CA_CERTS: join(server.dir, 'ssl', 'ca.pem') },
      settings: { 'workbench.colorTheme': THEME, 'window.dialogStyle': 'custom' },
    });
    browser = await launchChromium();
    // a window the size of a laptop screen: the screenshots stay readable when the walkthrough scales them down
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: LIGHT ? 'light' : 'dark' });
    page = await context.newPage();
    await page.goto(vscode.url);
    await page.waitForSelector('.monaco-workbench', { timeout: 60000 });
  });

  after(async () => {
    await browser?.close();
    await vscode?.stop();
    await smtp?.close();
    await server?.stop();
    await remote?.close();
  });

  /** Saves a walkthrough screenshot of `target` (the whole window when absent) when updating. */
  async function media(file: string, target?: Locator): Promise<void> {
    if (!UPDATE || (LIGHT && file.includes('/'))) {
      return;
    }
    file = LIGHT ? file.replace(/\.png$/, '-light.png') : file;
    mkdirSync(MEDIA, { recursive: true });
    await page.mouse.move(640, 795); // the empty middle of the status bar: no hover on the picture
    await page.waitForTimeout(300);
    const path = join(file.includes('/') ? REPO_ROOT : MEDIA, file);
    await (target ?? page).screenshot({ path });
    assert.ok(statSync(path).size <= MAX_MEDIA_BYTES, `${file}: ${statSync(path).size} bytes`);
  }

  /** Opens the walkthrough as a user finds it (Welcome: Open Walkthrough...); resolves to its step buttons. */
  async function openWalkthrough() {
    await runCommand(page, 'Welcome: Open Walkthrough...');
    const picker = page.locator('.quick-input-widget');
    await picker.locator('input').fill(walkthrough.title);
    await picker.locator('.monaco-list-row').filter({ hasText: walkthrough.title }).first().click();
    const steps = page.locator('.gettingStartedContainer .getting-started-step');
    await steps.first().waitFor({ timeout: 30000 });
    // the page then moves the focus to its open step; a key pressed before that (F1 for the palette)
    // would open a widget that closes again as the focus moves
    await page.waitForFunction(() => document.activeElement?.matches('.getting-started-step.expanded') === true, undefined, { timeout: 10000 });
    return steps;
  }

  it('a new user does each step; the walkthrough shows every step checked off, with its screenshot, in dark and light', async () => {
    const journal = new Journal(page, 'walkthrough');
    const editorPart = page.locator('.part.editor');
    try {
      // the user opens the walkthrough first (Help > Welcome: Open Walkthrough...), as it guides them:
      // VS Code starts recording the steps' completion events only once its Getting Started service
      // exists, which a walkthrough opened for the first time brings up
      await openWalkthrough();
      await runCommand(page, 'View: Close All Editors');

      // 1. add the account
      await openMailView(page);
      await page.locator('.welcome-view-content').getByRole('button', { name: 'Add Account' }).click();
      const form = await webviewFrame(page, '#f-email');
      await form.locator('#f-email input').fill('triage@demo.test');
      await form.locator('#f-displayName input').fill('Triage Team');
      assert.equal(await form.locator('#f-host input').inputValue(), 'imap.demo.test', 'the server is proposed from the address');
      await form.locator('#f-email input').click();
      await journal.shot('add-account');
      await media('add-account.png', editorPart);
      await form.locator('#f-host input').fill('localhost');
      await form.locator('#f-port input').fill(String(server.imapsPort));
      await form.locator('#f-user input').fill(USER.name);
      await form.locator('#f-smtpHost input').fill('localhost');
      await form.locator('#f-smtpPort input').fill(String(smtp.port));
      await form.locator('#f-password input').fill(USER.password);
      await form.locator('#f-password input').press('Enter');
      await treeRow(page, 'triage@demo.test').waitFor({ timeout: 30000 });
      await expandRow(page, 'triage@demo.test');
      await expandRow(page, /^INBOX$/);

      // 2. read
      const crash = /^\[Bug\] Crash when opening settings/;
      await treeRow(page, crash).click();
      await messageBody(page, 'Stack trace:');
      await journal.shot('read-message');
      await media('read-message.png');

      // the README's picture: the newsletter, its remote images blocked
      await treeRow(page, /^Weekly digest/).click();
      const newsletter = await webviewFrame(page, '#remote-bar');
      await newsletter.getByText('Load for this message').waitFor();
      await messageBody(page, 'This week in the tracker');
      await journal.shot('readme');
      await media('media/screenshot.png');
      assert.deepEqual(remote.requests, [], 'nothing was loaded without a click');

      // 3. triage with the keys: S flags, the row shows the key of each action, E archives, Z undoes
      const build = treeRow(page, /^Build #4821 failed on main/);
      await build.click();
      await page.keyboard.press('s');
      await build.locator('.custom-view-tree-node-item-icon.codicon-star-full').waitFor();
      await build.hover();
      const archive = build.locator('.action-label[aria-label^="Archive"]');
      await archive.hover();
      const hint = page.locator('.monaco-hover, .workbench-hover, .custom-hover').filter({ hasText: /Archive \(E\)/ });
      await hint.first().waitFor({ timeout: 10000 });
      await journal.shot('triage');
      if (UPDATE) {
        const box = (await page.locator('.part.sidebar').boundingBox())!;
        await page.screenshot({ path: join(MEDIA, LIGHT ? 'triage-light.png' : 'triage.png'), clip: { x: 0, y: 0, width: Math.min(1280, box.x + box.width + 420), height: 420 } });
      }
      await page.keyboard.press('e');
      await build.waitFor({ state: 'detached' });
      await page.keyboard.press('z');
      await build.waitFor();

      // 4. reply
      await treeRow(page, crash).click();
      await page.keyboard.press('r');
      const editor = page.locator('.editor-instance .monaco-editor').first();
      await editor.locator('.view-lines').filter({ hasText: 'Subject: Re: [Bug] Crash when opening settings' }).waitFor();
      await page.keyboard.type('Thanks Priya, the fix is in review (#2317) and will be in 2.3.2.');
      await page.waitForTimeout(1200);
      await journal.shot('reply');
      await media('reply.png', editorPart);
      await runCommand(page, 'Mail: Discard Draft');
      const dialog = page.locator('.monaco-dialog-box');
      await dialog.getByRole('button', { name: 'Discard Draft' }).click();
      await dialog.waitFor({ state: 'detached' });
      await page.locator('.tabs-container .tab', { hasText: 'Re: [Bug] Crash when opening settings' }).waitFor({ state: 'detached' });

      // 5. test the server
      await contextMenu(page, treeRow(page, 'triage@demo.test'), 'Test Connection');
      const report = await webviewFrame(page, '.verdict', 60000);
      assert.match((await report.locator('.verdict-line').innerText()).trim(), /^PASS: all \d+ checks passed\.$/);
      await journal.shot('doctor');
      await media('doctor.png', editorPart);
      await runCommand(page, 'View: Close All Editors');

      // back to the walkthrough: every step done is checked off
      const steps = await openWalkthrough();
      const titles = (await page.locator('.gettingStartedContainer .getting-started-step h3.step-title').allInnerTexts()).map((t) => t.trim());
      assert.deepEqual(titles, walkthrough.steps.map((s) => s.title));
      /** The step's picture shown for the current theme (VS Code picks it by the theme's kind). */
      const shownImage = async (step: WalkthroughStep, kind: 'dark' | 'light') => {
        const button = steps.filter({ has: page.locator('h3.step-title', { hasText: step.title }) });
        await button.locator('h3.step-title').click();
        const image = page.locator(`.getting-started-media img[srcset*="${step.media.image[kind].split('/').pop()!}"]`);
        await image.waitFor({ timeout: 10000 });
        return image;
      };
      for (const step of walkthrough.steps) {
        const button = steps.filter({ has: page.locator('h3.step-title', { hasText: step.title }) });
        assert.equal(await button.getAttribute('aria-checked'), 'true', `${step.id} is checked off`);
        const image = await shownImage(step, LIGHT ? 'light' : 'dark');
        // VS Code sets `srcset` ("<uri> 1.5x") by the theme kind; wait until that picture has loaded
        await page.waitForFunction((el) => (el as HTMLImageElement).complete, await image.elementHandle(), { timeout: 10000 });
        const natural = await image.evaluate((el) => [(el as HTMLImageElement).naturalWidth, (el as HTMLImageElement).naturalHeight]);
        assert.ok(natural[0] > 0 && natural[1] > 0, `${step.id}: the image loaded (${natural.join('x')})`);
        assert.equal(await image.getAttribute('alt'), step.media.altText);
      }
      await steps.filter({ hasText: walkthrough.steps[0].title }).locator('h3.step-title').click();
      await journal.shot(`walkthrough-${LIGHT ? 'light' : 'dark'}`);
      await steps.filter({ hasText: walkthrough.steps[2].title }).locator('h3.step-title').click();
      await journal.shot(`walkthrough-${LIGHT ? 'light' : 'dark'}-triage`);
      await setColorTheme(page, LIGHT ? 'Default Dark Modern' : 'Light Modern');
      // the other theme shows the other picture
      await shownImage(walkthrough.steps[2], LIGHT ? 'dark' : 'light');
      await journal.shot(`walkthrough-${LIGHT ? 'dark' : 'light'}-triage`);
      await shownImage(walkthrough.steps[4], LIGHT ? 'dark' : 'light');
      await journal.shot(`walkthrough-${LIGHT ? 'dark' : 'light'}-doctor`);
      await setColorTheme(page, THEME);
    } catch (err) {
      await journal.shot('failure').catch(() => undefined);
      journal.saveLogs(vscode.logsDir);
      throw err;
    }
  });

  it('renders the Marketplace icon from media/icon.svg (when updating the media)', { skip: !UPDATE }, async () => {
    const icon = await browser.newPage({ viewport: { width: 128, height: 128 } });
    const svg = readFileSync(join(REPO_ROOT, 'media', 'icon.svg'), 'utf8');
    await icon.setContent(`<!doctype html><html><body style="margin:0;background:transparent">${svg}</body></html>`);
    await icon.screenshot({ path: join(REPO_ROOT, 'media', 'icon.png'), omitBackground: true });
    await icon.close();
    assert.deepEqual(pngSize(join(REPO_ROOT, 'media', 'icon.png')), { width: 128, height: 128 });
  });
});

describe('walkthrough: manifest', () => {
  it('every step has a screenshot on disk, a title, and command links to real commands', () => {
    const commands = new Set(manifest.contributes.commands.map((c) => c.command));
    assert.deepEqual(walkthrough.steps.map((s) => s.id), ['addAccount', 'readMessage', 'triage', 'reply', 'testServer']);
    for (const step of walkthrough.steps) {
      const { dark, light, hc, hcLight } = step.media.image;
      assert.ok(/-light\.png$/.test(light) && light === hcLight && dark === hc && dark !== light, `${step.id}: a dark and a light picture`);
      for (const image of [dark, light]) {
        const file = join(REPO_ROOT, image);
        assert.ok(existsSync(file), `${step.id}: ${image} exists`);
        const { width, height } = pngSize(file);
        assert.ok(width >= 600 && height >= 300, `${step.id}: ${width}x${height} is big enough to read`);
        assert.ok(statSync(file).size <= MAX_MEDIA_BYTES, `${step.id}: ${statSync(file).size} bytes`);
      }
      assert.ok(step.media.altText.length > 20, `${step.id}: alt text`);
      const links = [...step.description.matchAll(/\(command:([\w.]+)/g)].map((m) => m[1]);
      assert.ok(links.length > 0, `${step.id}: a command link`);
      for (const command of links) {
        assert.ok(commands.has(command) || command.startsWith('workbench.'), `${step.id}: ${command} is contributed`);
      }
      for (const event of step.completionEvents ?? []) {
        const command = /^onCommand:(.*)$/.exec(event)?.[1];
        assert.ok(!command || commands.has(command), `${step.id}: ${event} names a contributed command`);
      }
    }
    assert.deepEqual(pngSize(join(REPO_ROOT, manifest.icon)), { width: 128, height: 128 }, 'the Marketplace icon is 128x128');
  });
});
