// `imap-explorer check`: the connection doctor on the command line. Prints the report (text,
// Markdown or JSON) and exits 0 when every check passed (warnings allowed), 1 when one failed,
// 2 on bad usage. Bundled to dist/cli.js; passwords come from the environment or a hidden prompt.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import { runCredentialCommand } from '../core/auth/command';
import { parseCommandLine } from '../core/auth/commandLine';
import { normaliseFingerprint } from '../core/account';
import { MailError } from '../core/errors';
import { dnsServerResolver, type DoctorStep, parseImapTarget, parseSmtpTarget, reportToJson, reportToMarkdown, reportToText, runDoctor } from '../core/doctor';
import { PromptCancelled, promptHidden } from './prompt';

const USAGE = `Usage: imap-explorer check <server> [options]

Checks an IMAP (and SMTP) configuration step by step and says in plain words what fails.

<server>
  imaps://user@host:993     TLS from the first byte (993 if no port is given)
  imap://user@host:143      STARTTLS (143 if no port is given)
  host:port, host           TLS, or STARTTLS when the port is 143
  you@example.com           discover the servers of example.com (SRV, autoconfig, usual names)

Options:
  --smtp <url>      also check SMTP submission: smtp://host:587 (STARTTLS) or smtps://host:465 (TLS)
  --json            print the report as JSON only
  --markdown        print the report as Markdown, to paste into a bug report
  --verbose         add the protocol transcript to the text report
  --timeout <ms>    how long each network step may take (default 10000)
  --ca <file>       also trust this CA certificate (PEM file)
  --pin <sha256>    trust the certificate with this SHA-256 fingerprint (a self-signed server)
  --oauth-token-cmd <command>
                    log in with the OAuth 2.0 access token this command prints (IMAP OAUTHBEARER
                    or XOAUTH2, SMTP XOAUTH2), e.g. "oama access alice@example.com" or
                    "gcloud auth print-access-token"; run without a shell
  --dns <ip[:port]> ask this DNS server for addresses and SRV records instead of the system's
  -h, --help        show this help

Passwords are read from IMAP_PASSWORD and SMTP_PASSWORD (SMTP uses the IMAP password when unset),
or asked for without echo when a user name is given and the terminal is interactive. Without a
password the login is not checked. Passwords never appear in the output.

Exit status: 0 all checks passed (warnings allowed), 1 a check failed, 2 bad usage.
`;

interface Io {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
  env: NodeJS.ProcessEnv;
}

class UsageError extends Error {}

function parse(argv: string[]) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        smtp: { type: 'string' },
        json: { type: 'boolean' },
        markdown: { type: 'boolean' },
        verbose: { type: 'boolean' },
        timeout: { type: 'string' },
        ca: { type: 'string' },
        pin: { type: 'string' },
        'oauth-token-cmd': { type: 'string' },
        dns: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    return { help: true as const };
  }
  const [command, target, ...extra] = positionals;
  if (command !== 'check') {
    throw new UsageError(command ? `Unknown command "${command}".` : 'Missing the command: imap-explorer check <server>.');
  }
  if (!target) {
    throw new UsageError('Missing the server to check.');
  }
  if (extra.length) {
    throw new UsageError(`Unexpected argument "${extra[0]}".`);
  }
  if (values.json && values.markdown) {
    throw new UsageError('Choose one of --json and --markdown.');
  }
  let timeout: number | undefined;
  if (values.timeout !== undefined) {
    timeout = Number(values.timeout);
    if (!/^\d+$/.test(values.timeout) || timeout < 1 || timeout > 600000) {
      throw new UsageError(`--timeout takes milliseconds (1 to 600000), not "${values.timeout}".`);
    }
  }
  let pin: string | undefined;
  if (values.pin !== undefined) {
    pin = normaliseFingerprint(values.pin);
    if (!pin) {
      throw new UsageError('--pin takes a SHA-256 fingerprint: 64 hex digits, colons optional.');
    }
  }
  let dns: string | undefined;
  if (values.dns !== undefined) {
    const match = /^(\[[0-9a-f:.]+\]|[0-9.]+)(?::(\d{1,5}))?$/i.exec(values.dns);
    if (!match || !isIP(match[1].replace(/^\[|\]$/g, '')) || (match[2] !== undefined && (Number(match[2]) < 1 || Number(match[2]) > 65535))) {
      throw new UsageError(`--dns takes the IP address of a DNS server, with an optional port (127.0.0.1:5353, [::1]:53), not "${values.dns}".`);
    }
    dns = values.dns;
  }
  let ca: string | undefined;
  if (values.ca !== undefined) {
    try {
      ca = readFileSync(values.ca, 'utf8');
    } catch (err) {
      throw new UsageError(`Cannot read the --ca file ${values.ca}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}.`);
    }
    if (!/-----BEGIN CERTIFICATE-----/.test(ca)) {
      throw new UsageError(`The --ca file ${values.ca} holds no PEM certificate.`);
    }
  }
  try {
    // the same parsing runDoctor does, so that a typo is a usage error (exit 2), not a failed check
    const parsedTarget = parseImapTarget(target);
    const smtp = values.smtp !== undefined ? parseSmtpTarget(values.smtp) : undefined;
    const user = parsedTarget.kind === 'endpoint' ? parsedTarget.endpoint.user : parsedTarget.email;
    const tokenCommand = values['oauth-token-cmd'] !== undefined ? parseCommandLine(values['oauth-token-cmd']) : undefined;
    if (typeof tokenCommand === 'string') {
      throw new UsageError(`--oauth-token-cmd: ${tokenCommand}`);
    }
    return { help: false as const, target, tokenCommand, smtp: values.smtp, smtpUser: smtp?.user ?? user, user, json: Boolean(values.json), markdown: Boolean(values.markdown), verbose: Boolean(values.verbose), timeout, pin, ca, caFile: values.ca, dns };
  } catch (err) {
    if (err instanceof MailError) {
      throw new UsageError(err.message);
    }
    throw err;
  }
}

async function passwordFor(envName: string, user: string | undefined, what: string, io: Io): Promise<string | undefined> {
  const fromEnv = io.env[envName];
  if (fromEnv) {
    return fromEnv;
  }
  if (!user || !io.stdin.isTTY || !io.stderr.isTTY) {
    return undefined;
  }
  const answer = await promptHidden(`${what} password for ${user} (Enter to skip the login): `, io.stdin, io.stderr);
  return answer || undefined;
}

function progress(io: Io, enabled: boolean): ((step: DoctorStep) => void) | undefined {
  if (!enabled) {
    return undefined;
  }
  return (step) => io.stderr.write(`\r\u001b[K${step.status.toUpperCase().padEnd(4)} ${step.title}`);
}

async function main(argv: string[], io: Io): Promise<number> {
  let options;
  try {
    options = parse(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`imap-explorer: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
  if (options.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  let password: string | undefined;
  let smtpPassword: string | undefined;
  let accessToken: string | undefined;
  if (options.tokenCommand) {
    try {
      accessToken = await runCredentialCommand(options.tokenCommand, { output: 'token' });
    } catch (err) {
      io.stderr.write(`imap-explorer: ${err instanceof MailError ? err.message : String(err)}\n`);
      return 1;
    }
  }
  try {
    password = accessToken ? undefined : await passwordFor('IMAP_PASSWORD', options.user, 'IMAP', io);
    if (options.smtp && !accessToken) {
      smtpPassword = io.env.SMTP_PASSWORD || (options.smtpUser !== options.user ? await passwordFor('SMTP_PASSWORD', options.smtpUser, 'SMTP', io) : undefined);
    }
  } catch (err) {
    if (err instanceof PromptCancelled) {
      return 130;
    }
    throw err;
  }
  const showProgress = !options.json && Boolean(io.stderr.isTTY);
  const report = await runDoctor(options.target, {
    ...(password ? { password } : {}),
    ...(accessToken ? { accessToken } : {}),
    ...(options.smtp ? { smtp: options.smtp } : {}),
    ...(smtpPassword ? { smtpPassword } : {}),
    ...(options.ca ? { ca: [options.ca], caFile: options.caFile } : {}),
    ...(options.pin ? { pin: options.pin } : {}),
    ...(options.dns ? { resolver: dnsServerResolver([options.dns]) } : {}),
    ...(options.timeout ? { timeouts: { connect: options.timeout, greeting: options.timeout, tls: options.timeout, command: options.timeout, discovery: options.timeout } } : {}),
    onStep: progress(io, showProgress),
  });
  if (showProgress) {
    io.stderr.write('\r\u001b[K');
  }
  io.stdout.write(options.json ? reportToJson(report) : options.markdown ? reportToMarkdown(report) : reportToText(report, { transcript: options.verbose }));
  return report.verdict.status === 'fail' ? 1 : 0;
}

main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env }).then(
  (code) => {
    process.exitCode = code;
    // a socket a server keeps half-open must not keep the command from ending
    setTimeout(() => process.exit(code), 2000).unref();
  },
  (err: unknown) => {
    process.stderr.write(`imap-explorer: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
