// MailSessions for integration tests, with a logger that keeps every line for assertions.
import { type AccountConfig, type Security } from '../../src/core/account';
import { type Logger } from '../../src/core/log';
import { MailSession, type SessionDeps } from '../../src/core/mail/session';
import { memoryPinStore } from '../../src/core/tls';
import { DEFAULT_USER } from './dovecot';

/** What a session needs of a test server (Dovecot, Cyrus: see servers.ts). */
export interface ImapEndpoint {
  host: string;
  imapPort: number;
  imapsPort: number;
  ca?: { pem: string };
}

export interface RecordingLogger extends Logger {
  lines: string[];
}

export function recordingLogger(): RecordingLogger {
  const lines: string[] = [];
  const push = (level: string) => (m: string) => void lines.push(`${level} ${m}`);
  return { lines, trace: push('trace'), debug: push('debug'), info: push('info'), warn: push('warn'), error: push('error') };
}

export function testAccount(server: ImapEndpoint, overrides: { port?: number; security?: Security; user?: string; pinnedCertificate?: string; host?: string } = {}): AccountConfig {
  const security = overrides.security ?? 'tls';
  return {
    id: 'test',
    email: 'alice@example.test',
    imap: {
      host: overrides.host ?? server.host,
      port: overrides.port ?? (security === 'tls' ? server.imapsPort : server.imapPort),
      security,
      user: overrides.user ?? DEFAULT_USER.name,
    },
    ...(overrides.pinnedCertificate ? { pinnedCertificate: overrides.pinnedCertificate } : {}),
  };
}

export function testSession(server: ImapEndpoint, options: Partial<Omit<SessionDeps, 'password'>> & { password?: string } = {}): MailSession & { logger: RecordingLogger } {
  const logger = recordingLogger();
  const session = new MailSession({
    account: options.account ?? testAccount(server),
    password: options.password !== undefined ? async () => options.password : async () => DEFAULT_USER.password,
    pins: options.pins ?? memoryPinStore(),
    logger: options.logger ?? logger,
    extraCa: options.extraCa ?? (server.ca ? [server.ca.pem] : undefined),
    clientOptions: options.clientOptions,
    now: options.now,
    after: options.after,
  });
  return Object.assign(session, { logger });
}

/** The C: lines imapflow logged, for asserting which commands went over the wire. */
export function clientCommands(logger: RecordingLogger): string[] {
  return logger.lines.filter((l) => / C: /.test(l)).map((l) => l.replace(/^trace \[[^\]]*\] C: /, ''));
}
