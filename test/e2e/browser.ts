// Debian's Chromium driven by playwright-core (never `playwright install`).
import { type Browser, chromium, type Page } from 'playwright-core';
import { CHROMIUM, CJK_FONT, EMOJI_FONT, ensurePackages } from '../support/system';

export async function launchChromium(): Promise<Browser> {
  ensurePackages([CHROMIUM, EMOJI_FONT, CJK_FONT]);
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/** `timezoneId`: the user's time zone in the browser (the message view formats dates there, as a user sees them). */
export async function openWorkbench(browser: Browser, url: string, options: { colorScheme?: 'light' | 'dark'; timezoneId?: string } = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, colorScheme: options.colorScheme ?? 'dark', ...(options.timezoneId ? { timezoneId: options.timezoneId } : {}) });
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForSelector('.monaco-workbench', { timeout: 60000 });
  return page;
}
