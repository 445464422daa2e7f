// Credential commands (auth.method "command"): a program prints the password or an access token,
// as in aerc, himalaya and mutt. It runs from an argv array with no shell (nothing is expanded or
// interpreted), no standard input, a timeout, and a bounded output; on failure its standard error
// is shown, never its standard output (that is the secret).
import { spawn } from 'node:child_process';
import { MailError } from '../errors';
import { registerSecret } from '../log';
import { type Credential, type CredentialSource } from './credentials';

export interface CommandOptions {
  /** Default 20 s. */
  timeoutMs?: number;
  /** What the command prints: `password` keeps the first line, `token` the whole output trimmed. */
  output: 'password' | 'token';
  env?: NodeJS.ProcessEnv;
}

const MAX_OUTPUT = 64 * 1024;
const MAX_STDERR_SHOWN = 600;

/** The program and arguments as one readable line, for messages (arguments are not secret: they are in settings). */
export function describeCommand(argv: string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

function tail(text: string): string {
  const trimmed = text.trim();
  return trimmed.length > MAX_STDERR_SHOWN ? `...${trimmed.slice(-MAX_STDERR_SHOWN)}` : trimmed;
}

/**
 * Runs `argv` (no shell) and returns what it printed: the first line for a password, the trimmed
 * output for a token. Throws MailError COMMAND_FAILED naming the command, with its exit status or
 * signal and the end of its standard error, when it cannot start, fails, times out or prints nothing.
 */
export function runCredentialCommand(argv: string[], options: CommandOptions): Promise<string> {
  const timeoutMs = options.timeoutMs ?? 20000;
  const shown = describeCommand(argv);
  return new Promise<string>((resolve, reject) => {
    if (!argv.length || !argv[0]) {
      reject(new MailError('COMMAND_FAILED', 'The sign-in command is empty.'));
      return;
    }
    const child = spawn(argv[0], argv.slice(1), { shell: false, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true, env: options.env ?? process.env });
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = '';
    let timedOut = false;
    let tooLong = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > MAX_OUTPUT) {
        tooLong = true;
        child.kill('SIGKILL');
        return;
      }
      out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err = (err + chunk.toString('utf8')).slice(-4 * MAX_STDERR_SHOWN);
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const why = e.code === 'ENOENT' ? 'the program was not found (it runs without a shell: give its full path if it is not on the PATH)' : e.code === 'EACCES' ? 'the program may not be run (permission denied)' : e.message;
      reject(new MailError('COMMAND_FAILED', `The sign-in command "${shown}" could not start: ${why}.`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stderr = tail(err);
      const details = stderr ? { stderr } : {};
      const said = stderr ? ` It said: ${stderr}` : '';
      if (timedOut) {
        reject(new MailError('COMMAND_FAILED', `The sign-in command "${shown}" did not finish within ${Math.round(timeoutMs / 1000)} s and was stopped.${said}`, details));
        return;
      }
      if (tooLong) {
        reject(new MailError('COMMAND_FAILED', `The sign-in command "${shown}" printed more than ${MAX_OUTPUT / 1024} KB; a password or token is one line.`, details));
        return;
      }
      if (code !== 0) {
        reject(new MailError('COMMAND_FAILED', `The sign-in command "${shown}" failed (${signal ? `stopped by ${signal}` : `exit status ${code}`}).${said}`, details));
        return;
      }
      const text = Buffer.concat(out).toString('utf8');
      const value = options.output === 'password' ? (text.split(/\r?\n/)[0] ?? '') : text.trim();
      if (!value) {
        reject(new MailError('COMMAND_FAILED', `The sign-in command "${shown}" printed nothing on its standard output.${said}`, details));
        return;
      }
      registerSecret(value);
      resolve(value);
    });
  });
}

/**
 * Credentials from a command, kept in memory for a few minutes so an account's several connections
 * do not each run it; a refused one is fetched again once (a token command prints a new token).
 */
export function commandSource(settings: { command: string[]; output: 'password' | 'token'; timeoutSeconds?: number }, options: { now?: () => number; cacheMs?: number } = {}): CredentialSource {
  const now = options.now ?? Date.now;
  const cacheMs = options.cacheMs ?? 5 * 60 * 1000;
  let cached: { value: string; at: number } | undefined;
  let running: Promise<string> | undefined;
  const run = () => {
    running ??= runCredentialCommand(settings.command, { output: settings.output, ...(settings.timeoutSeconds ? { timeoutMs: settings.timeoutSeconds * 1000 } : {}) })
      .then((value) => {
        cached = { value, at: now() };
        return value;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const wrap = (value: string): Credential => (settings.output === 'token' ? { kind: 'token', accessToken: value } : { kind: 'password', password: value });
  return {
    get: async () => wrap(cached && now() - cached.at < cacheMs ? cached.value : await run()),
    renew: async (rejected) => {
      cached = undefined;
      const value = await run();
      const before = rejected.kind === 'token' ? rejected.accessToken : rejected.password;
      return value === before ? undefined : wrap(value);
    },
  };
}
