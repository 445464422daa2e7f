// Tiny scripted IMAP-ish servers for the failure modes a real Dovecot will not produce on demand:
// one that never greets, one that offers no STARTTLS (and records whether a password arrived),
// one that refuses logins in a big provider's words, greetings that refuse, hang up, come late or
// are not IMAP, and a middlebox that strips STARTTLS on its way through.
import { readFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, TLSSocket } from 'node:tls';
import { type CertFiles } from './certs';

export interface FakeServer {
  port: number;
  received: string[];
  close(): Promise<void>;
}

async function listen(handler: (socket: Socket, received: string[]) => void, tls?: CertFiles, host = '127.0.0.1', port = 0): Promise<FakeServer> {
  const received: string[] = [];
  const sockets = new Set<Socket>();
  const onConnection = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    handler(socket, received);
  };
  const server: Server = tls ? createTlsServer({ cert: readFileSync(tls.cert), key: readFileSync(tls.key) }, onConnection) : createServer(onConnection);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
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

/** Splits what a client sends into lines, records each, and hands over its tag and upper-cased command. */
function commands(received: string[], onCommand: (tag: string, command: string) => void): (chunk: Buffer) => void {
  let buffer = '';
  return (chunk) => {
    buffer += chunk.toString('latin1');
    let index;
    while ((index = buffer.indexOf('\r\n')) >= 0) {
      const line = buffer.slice(0, index);
      buffer = buffer.slice(index + 2);
      received.push(line);
      const [tag, command] = line.split(' ');
      onCommand(tag, (command ?? '').toUpperCase());
    }
  };
}

/** What every fake answers alike: LOGOUT ends the session, any other tagged command is OK. */
function answerOthers(stream: Socket | TLSSocket, tag: string, command: string): void {
  if (command === 'LOGOUT') {
    stream.write(`* BYE\r\n${tag} OK bye\r\n`);
    stream.end();
  } else if (tag) {
    stream.write(`${tag} OK ${command} done\r\n`);
  }
}

/** Accepts TCP connections and says nothing, like a firewall that swallows the session. */
export function silentServer(host = '127.0.0.1', port = 0): Promise<FakeServer> {
  return listen(() => undefined, undefined, host, port);
}

/** A plaintext IMAP server without STARTTLS that would happily take a LOGIN. */
export function noStarttlsServer(): Promise<FakeServer> {
  return listen((socket, received) => {
    socket.write('* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] fake server ready\r\n');
    socket.on('data', commands(received, (tag, command) => {
      if (command === 'CAPABILITY') {
        socket.write(`* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n${tag} OK done\r\n`);
      } else if (command === 'STARTTLS') {
        socket.write(`${tag} BAD no STARTTLS here\r\n`);
      } else {
        answerOthers(socket, tag, command);
      }
    }));
  });
}

/**
 * An implicit-TLS IMAP server that answers every AUTHENTICATE or LOGIN with `refusal` (the text
 * after the tag), as a provider does when it wants an app password or OAuth.
 */
export function refusingTlsServer(cert: CertFiles, refusal: string, capabilities = 'IMAP4rev1 SASL-IR ID AUTH=PLAIN AUTH=XOAUTH2'): Promise<FakeServer> {
  return listen((socket, received) => {
    socket.write(`* OK [CAPABILITY ${capabilities}] ready\r\n`);
    socket.on('data', commands(received, (tag, command) => {
      if (command === 'AUTHENTICATE' || command === 'LOGIN') {
        socket.write(`${tag} ${refusal}\r\n`);
      } else if (command === 'ID') {
        socket.write(`* ID ("name" "GImap")\r\n${tag} OK done\r\n`);
      } else {
        answerOthers(socket, tag, command);
      }
    }));
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
    const onData = commands(received, (tag, command) => {
      if (command === 'STARTTLS' && stream === socket) {
        socket.off('data', onData);
        socket.write(`${tag} OK begin TLS\r\n* CAPABILITY IMAP4rev1 INJECTED AUTH=PLAIN\r\n`);
        stream = new TLSSocket(socket, { isServer: true, cert: readFileSync(cert.cert), key: readFileSync(cert.key) });
        stream.on('error', () => undefined);
        stream.on('data', onData);
      } else if (command === 'CAPABILITY') {
        stream.write(`* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n${tag} OK done\r\n`);
      } else {
        answerOthers(stream, tag, command);
      }
    });
    socket.on('data', onData);
  });
}

export interface GreetingServerOptions {
  /** The first line, without CRLF, or raw bytes sent as they are. */
  greeting: string | Buffer;
  /** Wait this long before greeting (a server that looks up the client's address first). */
  delayMs?: number;
  /** 'close': hang up right after the greeting; 'serve' (default): answer like noStarttlsServer does. */
  then?: 'close' | 'serve';
  /** Implicit TLS with this certificate. */
  tls?: CertFiles;
  /** Listen here instead of 127.0.0.1 (::1 for an IPv6 address of a name). */
  host?: string;
  port?: number;
  /** What CAPABILITY answers when serving. */
  capabilities?: string;
}

/** A server whose greeting is the test: a refusal, a hang-up, a late or a garbled greeting. */
export function greetingServer(options: GreetingServerOptions): Promise<FakeServer> {
  const capabilities = options.capabilities ?? 'IMAP4rev1 AUTH=PLAIN';
  return listen((socket, received) => {
    const greet = () => {
      if (socket.destroyed) {
        return;
      }
      socket.write(typeof options.greeting === 'string' ? `${options.greeting}\r\n` : options.greeting);
      if (options.then === 'close') {
        socket.end();
      }
    };
    const timer = setTimeout(greet, options.delayMs ?? 0);
    socket.on('close', () => clearTimeout(timer));
    socket.on('data', commands(received, (tag, command) => {
      if (options.then === 'close') {
        return;
      }
      if (command === 'CAPABILITY') {
        socket.write(`* CAPABILITY ${capabilities}\r\n${tag} OK done\r\n`);
      } else {
        answerOthers(socket, tag, command);
      }
    }));
  }, options.tls, options.host, options.port);
}

/** A plaintext server that announces STARTTLS and answers it with `answer` ("BAD ...", "NO ..."). */
export function refusingStarttlsServer(answer: string): Promise<FakeServer> {
  return listen((socket, received) => {
    socket.write('* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready\r\n');
    socket.on('data', commands(received, (tag, command) => {
      if (command === 'CAPABILITY') {
        socket.write(`* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\n${tag} OK done\r\n`);
      } else if (command === 'STARTTLS') {
        socket.write(`${tag} ${answer}\r\n`);
      } else {
        answerOthers(socket, tag, command);
      }
    }));
  });
}

export interface Middlebox {
  port: number;
  close(): Promise<void>;
}

/**
 * A TCP relay in front of a real server that edits what the server says on its way to the client,
 * as firewalls with "mail inspection" do: `rewrite` gets each chunk from the server (STARTTLS to
 * XXXXXXXX, or removed).
 */
export async function middlebox(target: { host: string; port: number }, rewrite: (text: string) => string): Promise<Middlebox> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.on('data', (chunk: Buffer) => upstream.write(chunk));
    upstream.on('data', (chunk: Buffer) => client.write(Buffer.from(rewrite(chunk.toString('latin1')), 'latin1')));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: async () => {
      sockets.forEach((s) => s.destroy());
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
