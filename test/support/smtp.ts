// A real SMTP server on loopback (npm smtp-server, by nodemailer's authors) that keeps what it
// receives: the SMTP sink of the demo and the server of the sending tests.
import { readFileSync } from 'node:fs';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { freePort } from './net';

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: Buffer;
}

export interface SmtpSink {
  port: number;
  received: ReceivedMail[];
  close(): Promise<void>;
}

export interface SinkOptions extends Partial<SMTPServerOptions> {
  port?: number;
  onMail?: (mail: ReceivedMail) => void;
  /** Offer STARTTLS with this certificate (and require it before AUTH). */
  tls?: { cert: string; key: string };
  /** Require AUTH with exactly these credentials. */
  credentials?: { user: string; pass: string };
  /** Refuse these recipients with 550. */
  rejectRecipients?: string[];
}

export async function startSmtpSink(options: SinkOptions = {}): Promise<SmtpSink> {
  const received: ReceivedMail[] = [];
  const { onMail, port: wanted, tls, credentials, rejectRecipients, ...rest } = options;
  const server = new SMTPServer({
    authOptional: !credentials,
    disabledCommands: tls ? [] : ['STARTTLS'],
    logger: false,
    ...(tls ? { key: readFileSync(tls.key), cert: readFileSync(tls.cert) } : {}),
    ...(credentials
      ? {
          onAuth(auth, _session, callback) {
            if (auth.username === credentials.user && auth.password === credentials.pass) {
              callback(null, { user: auth.username });
            } else {
              callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
            }
          },
        }
      : {}),
    ...(rejectRecipients
      ? {
          onRcptTo(address, _session, callback) {
            if (rejectRecipients.includes(address.address.toLowerCase())) {
              callback(Object.assign(new Error(`<${address.address}>: no such user here`), { responseCode: 550 }));
            } else {
              callback();
            }
          },
        }
      : {}),
    ...rest,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const mail = { from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks) };
        received.push(mail);
        onMail?.(mail);
        callback();
      });
    },
  });
  const port = wanted ?? (await freePort());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  server.on('error', () => undefined);
  return { port, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
