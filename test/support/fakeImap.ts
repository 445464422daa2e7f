// Tiny scripted IMAP-ish servers for the failure modes a real Dovecot will not produce on demand:
// one that never greets, one that offers no STARTTLS (and records whether a password arrived).
import { createServer, type Server, type Socket } from 'node:net';

export interface FakeServer {
  port: number;
  received: string[];
  close(): Promise<void>;
}

async function listen(handler: (socket: Socket, received: string[]) => void): Promise<FakeServer> {
  const received: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    handler(socket, received);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    received,
    close: async () => {
      sockets.forEach((s) => s.destroy());
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Accepts TCP connections and says nothing, like a firewall that swallows the session. */
export function silentServer(): Promise<FakeServer> {
  return listen(() => undefined);
}

/** A plaintext IMAP server without STARTTLS that would happily take a LOGIN. */
export function noStarttlsServer(): Promise<FakeServer> {
  return listen((socket, received) => {
    socket.write('* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] fake server ready\r\n');
    let buffer = '';
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      let index;
      while ((index = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, index);
        buffer = buffer.slice(index + 2);
        received.push(line);
        const [tag, command] = line.split(' ');
        const upper = (command ?? '').toUpperCase();
        if (upper === 'CAPABILITY') {
          socket.write(`* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n${tag} OK done\r\n`);
        } else if (upper === 'STARTTLS') {
          socket.write(`${tag} BAD no STARTTLS here\r\n`);
        } else if (upper === 'LOGOUT') {
          socket.write(`* BYE\r\n${tag} OK bye\r\n`);
          socket.end();
        } else if (tag) {
          socket.write(`${tag} OK ${upper} done\r\n`);
        }
      }
    });
  });
}
