// A real SMTP server on loopback (npm smtp-server, by nodemailer's authors) that keeps what it
// receives: the SMTP sink of the demo and the server of the sending tests.
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

export async function startSmtpSink(options: Partial<SMTPServerOptions> & { port?: number; onMail?: (mail: ReceivedMail) => void } = {}): Promise<SmtpSink> {
  const received: ReceivedMail[] = [];
  const { onMail, port: wanted, ...rest } = options;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
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
