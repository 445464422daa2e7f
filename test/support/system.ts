// Installs the Debian packages the tests and the demo need, when they are missing and we are root on
// Debian/Ubuntu; otherwise explains which command would install them. CI starts from a clean machine.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface SystemPackage {
  /** Debian package name. */
  name: string;
  /** A file the package installs, to test for its presence without asking dpkg. */
  probe: string;
}

export const DOVECOT: SystemPackage = { name: 'dovecot-imapd', probe: '/usr/sbin/dovecot' };
export const CHROMIUM: SystemPackage = { name: 'chromium', probe: '/usr/bin/chromium' };
export const OPENSSL: SystemPackage = { name: 'openssl', probe: '/usr/bin/openssl' };
/** A small DNS server the connection doctor's discovery tests run on a loopback port. */
export const DNSMASQ: SystemPackage = { name: 'dnsmasq-base', probe: '/usr/sbin/dnsmasq' };
/** Screenshots of the UI show the paperclip and other emoji of real mail. */
export const EMOJI_FONT: SystemPackage = { name: 'fonts-noto-color-emoji', probe: '/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf' };
/** Japanese and Chinese text of the fixtures (Shift_JIS mail) instead of empty boxes; 2 MB. */
export const CJK_FONT: SystemPackage = { name: 'fonts-droid-fallback', probe: '/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf' };

export function ensurePackages(packages: SystemPackage[]): void {
  const missing = packages.filter((p) => !existsSync(p.probe));
  if (missing.length === 0) {
    return;
  }
  const names = missing.map((p) => p.name).join(' ');
  const canInstall = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
  if (!canInstall) {
    throw new Error(`Missing system packages: ${names}. Install them with: sudo apt-get install -y ${names}`);
  }
  process.stderr.write(`Installing ${names} with apt-get...\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let result = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...missing.map((p) => p.name)], { env, stdio: 'inherit' });
  if (result.status !== 0) {
    execFileSync('apt-get', ['update'], { env, stdio: 'inherit' });
    result = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...missing.map((p) => p.name)], { env, stdio: 'inherit' });
  }
  if (result.status !== 0) {
    throw new Error(`apt-get could not install ${names}`);
  }
}
