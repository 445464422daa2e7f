// Tiny scripted IMAP-ish servers for the failure modes a real Dovecot will not produce on demand:
// one that never greets, one that offers no STARTTLS (and records whether a password arrived),
// one that refuses logins in a big provider's words.
import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, TLSSocket } from 'node:tls';
import { type CertFiles } from './certs';

export interface FakeServer {
  port: number;
  received: string[];
  close(): Promise<void>;
}

async function listen(handler: (socket: Socket, received: string[]) => void, tls?: CertFiles): Promise<FakeServer> {
  const received: string[] = [];
  const sockets = new Set<Socket>();
  const onConnection = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    handler(socket, received);
  };
  const server: Server = tls ? createTlsServer({ cert: readFileSync(tls.cert), key: readFileSync(tls.key) }, onConnection) : createServer(onConnection);
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

/**
 * An implicit-TLS IMAP server that answers every AUTHENTICATE or LOGIN with `refusal` (the text
 * after the tag), as a provider does when it wants an app password or OAuth.
 */
export function refusingTlsServer(cert: CertFiles, refusal: string, capabilities = 'IMAP4rev1 SASL-IR ID AUTH=PLAIN AUTH=XOAUTH2'): Promise<FakeServer> {
  return listen((socket, received) => {
    socket.write(`* OK [CAPABILITY ${capabilities}] ready\r\n`);
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
        if (upper === 'AUTHENTICATE' || upper === 'LOGIN') {
          socket.write(`${tag} ${refusal}\r\n`);
        } else if (upper === 'LOGOUT') {
          socket.write(`* BYE\r\n${tag} OK bye\r\n`);
          socket.end();
        } else if (upper === 'ID') {
          socket.write(`* ID ("name" "GImap")\r\n${tag} OK done\r\n`);
        } else if (tag) {
          socket.write(`${tag} OK ${upper} done\r\n`);
        }
      }
    });
  }, cert);
}

/**
 * A STARTTLS server that "injects" a line right behind its go-ahead, in the same packet, the way
 * the 2011 STARTTLS command-injection bugs did: a client that keeps reading its buffer after the
 * handshake would take the line as if it had come over TLS.
 */
export function injectingStarttlsServer(cert: CertFiles): Promise<FakeServer> {
  return listen((socket, received) => {
    socket.write('* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN] ready\r\n');
    let stream: Socket | TLSSocket = socket;
    let buffer = '';
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      let index;
      while ((index = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, index);
        buffer = buffer.slice(index + 2);
        received.push(line);
        const [tag, command] = line.split(' ');
        const upper = (command ?? '').toUpperCase();
        if (upper === 'STARTTLS' && stream === socket) {
          socket.off('data', onData);
          socket.write(`${tag} OK begin TLS\r\n* CAPABILITY IMAP4rev1 INJECTED AUTH=PLAIN\r\n`);
          stream = new TLSSocket(socket, { isServer: true, cert: readFileSync(cert.cert), key: readFileSync(cert.key) });
          stream.on('error', () => undefined);
          stream.on('data', onData);
        } else if (upper === 'CAPABILITY') {
          stream.write(`* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n${tag} OK done\r\n`);
        } else if (upper === 'LOGOUT') {
          stream.write(`* BYE\r\n${tag} OK bye\r\n`);
          stream.end();
        } else if (tag) {
          stream.write(`${tag} OK ${upper} done\r\n`);
        }
      }
    };
    socket.on('data', onData);
  });
}
