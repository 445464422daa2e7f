// A real VS Code for end-to-end tests and the demo: code-server 4.100.3 (VS Code 1.100) from npm,
// installed into test/e2e/.vscode-server (git-ignored, cached between runs), with the extension
// loaded from this checkout. Recipe: ../../../shared/RECIPES.md, section 2.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, waitForPort } from '../support/net';

export const REPO_ROOT = resolve(__dirname, '..', '..');
export const CODE_SERVER_VERSION = '4.100.3';
const SERVER_DIR = join(REPO_ROOT, 'test', 'e2e', '.vscode-server');
const BIN = join(SERVER_DIR, 'node_modules', 'code-server', 'out', 'node', 'entry.js');

function installed(): boolean {
  if (!existsSync(BIN)) {
    return false;
  }
  const pkg = JSON.parse(readFileSync(join(SERVER_DIR, 'node_modules', 'code-server', 'package.json'), 'utf8')) as { version: string };
  // the last things code-server's postinstall makes: an install cut short is done again
  const vscodeDir = join(SERVER_DIR, 'node_modules', 'code-server', 'lib', 'vscode');
  return pkg.version === CODE_SERVER_VERSION && existsSync(join(vscodeDir, 'node_modules.asar')) && existsSync(join(vscodeDir, 'extensions', 'node_modules'));
}

/** Installs code-server once per checkout (a few minutes: see the README); later runs reuse it. */
export function ensureCodeServer(): void {
  if (installed()) {
    return;
  }
  process.stderr.write(`Installing code-server ${CODE_SERVER_VERSION} into ${SERVER_DIR} (once)...\n`);
  mkdirSync(SERVER_DIR, { recursive: true });
  // The cache is a small npm project of its own. npm 11 asks each dependency's install scripts to be
  // approved (allowScripts): argon2 (code-server's password hashing) builds or loads its binary.
  // code-server's own postinstall (it installs VS Code's modules) refuses to run as root unless
  // npm_config_unsafe_perm is "true", a setting npm 11 no longer knows and warns about: it runs
  // below with that variable set for it alone, its output shown only if it fails, as npm shows
  // the output of install scripts.
  writeFileSync(join(SERVER_DIR, 'package.json'), JSON.stringify({ name: 'vscode-server-cache', private: true, dependencies: { 'code-server': CODE_SERVER_VERSION }, allowScripts: { 'code-server': false, argon2: true } }, null, 2));
  // @vscode/ripgrep downloads rg from GitHub unless its cache already holds the archive: give it
  // Debian's rg (recipe). kerberos needs libkrb5-dev, which .ci/run installs.
  const cache = join(tmpdir(), 'vscode-ripgrep-cache-1.15.11');
  const archive = join(cache, 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz');
  if (!existsSync(archive)) {
    const staging = mkdtempSync(join(tmpdir(), 'rg-'));
    copyFileSync('/usr/bin/rg', join(staging, 'rg'));
    mkdirSync(cache, { recursive: true });
    execFileSync('tar', ['czf', archive, '-C', staging, 'rg']);
  }
  const npmEnv = { ...process.env, npm_config_yes: 'true' };
  execFileSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: SERVER_DIR, stdio: 'inherit', env: npmEnv });
  const npmVersion = execFileSync('npm', ['--version'], { env: npmEnv }).toString().trim();
  const postinstall = spawnSync('sh', ['./postinstall.sh'], {
    cwd: join(SERVER_DIR, 'node_modules', 'code-server'),
    env: { ...npmEnv, npm_config_user_agent: `npm/${npmVersion} node/${process.version} ${process.platform} ${process.arch} workspaces/false`, npm_config_unsafe_perm: 'true' },
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (postinstall.status !== 0) {
    process.stderr.write(`${postinstall.stdout}${postinstall.stderr}`);
    throw new Error(`code-server's postinstall failed (exit ${postinstall.status})`);
  }
  if (!installed()) {
    throw new Error('code-server did not install');
  }
}

export interface CodeServerOptions {
  /** User settings.json content. */
  settings?: Record<string, unknown>;
  /** Extra environment for code-server and so for the extension host. */
  env?: Record<string, string>;
  /** Folder to open. */
  workspace?: string;
  port?: number;
}

export interface CodeServer {
  url: string;
  port: number;
  dir: string;
  userDataDir: string;
  logsDir: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function startCodeServer(options: CodeServerOptions = {}): Promise<CodeServer> {
  ensureCodeServer();
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { publisher: string; name: string; version: string };
  const dir = mkdtempSync(join(tmpdir(), 'imapx-vscode-'));
  const extensions = join(dir, 'extensions');
  const userDataDir = join(dir, 'user');
  mkdirSync(extensions, { recursive: true });
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  symlinkSync(REPO_ROOT, join(extensions, `${pkg.publisher}.${pkg.name}-${pkg.version}`));
  const settings = {
    'security.workspace.trust.enabled': false,
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'telemetry.telemetryLevel': 'off',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'update.mode': 'none',
    'chat.disableAIFeatures': true,
    'workbench.welcomePage.walkthroughs.openOnInstall': false,
    ...options.settings,
  };
  writeFileSync(join(userDataDir, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  const workspace = options.workspace ?? join(dir, 'workspace');
  mkdirSync(workspace, { recursive: true });
  const port = options.port ?? (await freePort());
  const child = spawn(process.execPath, [BIN, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--extensions-dir', extensions, '--user-data-dir', userDataDir,
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override', workspace], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  try {
    await waitForPort(port, 60000);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`code-server did not start: ${String(err)}\n${output}`);
  }
  return {
    url: `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`,
    port,
    dir,
    userDataDir,
    logsDir: join(userDataDir, 'logs'),
    process: child,
    stop: async () => {
      if (child.exitCode === null && child.pid) {
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          // already gone
        }
        await new Promise((r) => setTimeout(r, 300));
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
