// The certificates exactly as the server sent them, in its order. Node only exposes the chain it
// could link (getPeerCertificate(true) drops a sent certificate that did not issue the one before
// it, and adds the root from the trust store), so a wrong or an extra intermediate would be
// invisible. The doctor keeps the server's handshake bytes and reads the Certificate message itself:
// in clear text up to TLS 1.2 (RFC 5246 7.4.2); under TLS 1.3 it is encrypted with the server's
// handshake traffic key (RFC 8446 4.4.2, 5.2, 7.3), which Node hands out through its 'keylog' event.
// Reading only: nothing here takes part in the handshake or decides whether a certificate is trusted.
import { createDecipheriv, createHmac } from 'node:crypto';
import { type TLSSocket } from 'node:tls';

/** More than any real chain; a server sending more than this before its certificate is not read. */
const CAPTURE_LIMIT = 256 * 1024;

const RECORD_HANDSHAKE = 22;
const RECORD_APPLICATION_DATA = 23;
const RECORD_CHANGE_CIPHER_SPEC = 20;
const HANDSHAKE_CERTIFICATE = 11;

/** TLS 1.3 cipher suites (RFC 8446 B.4) as Node's getCipher().standardName names them. */
const TLS13_SUITES: Record<string, { cipher: 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305'; keyLength: number; hash: 'sha256' | 'sha384' }> = {
  TLS_AES_128_GCM_SHA256: { cipher: 'aes-128-gcm', keyLength: 16, hash: 'sha256' },
  TLS_AES_256_GCM_SHA384: { cipher: 'aes-256-gcm', keyLength: 32, hash: 'sha384' },
  TLS_CHACHA20_POLY1305_SHA256: { cipher: 'chacha20-poly1305', keyLength: 32, hash: 'sha256' },
};

/** Collects the bytes a server sends during one handshake, and Node's TLS 1.3 handshake secret. */
export class HandshakeCapture {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private stopped = false;
  private serverHandshakeSecret: Buffer | undefined;

  /** Bytes from the server, in order; ignored once stopped or past the limit. */
  push(chunk: Buffer): void {
    if (this.stopped || this.size >= CAPTURE_LIMIT) {
      return;
    }
    const part = chunk.subarray(0, CAPTURE_LIMIT - this.size);
    this.chunks.push(Buffer.from(part));
    this.size += part.length;
  }

  /** Listens for the NSS key log lines Node emits during the handshake (only the server's handshake secret is kept). */
  watch(socket: TLSSocket): void {
    socket.on('keylog', (line: Buffer) => {
      const match = /^SERVER_HANDSHAKE_TRAFFIC_SECRET [0-9a-f]+ ([0-9a-f]+)/i.exec(line.toString('latin1'));
      if (match) {
        this.serverHandshakeSecret = Buffer.from(match[1], 'hex');
      }
    });
  }

  /** The handshake is over: later bytes are application data and are not kept. */
  stop(): void {
    this.stopped = true;
  }

  /**
   * The DER certificates of the server's Certificate message, leaf first, as sent. `protocol` and
   * `cipher` are Node's getProtocol() and getCipher().standardName. Undefined when they cannot be
   * read (a cipher suite this reader does not know, a cut-off capture).
   */
  certificates(protocol: string, cipher: string): Buffer[] | undefined {
    try {
      const records = parseRecords(Buffer.concat(this.chunks));
      if (protocol === 'TLSv1.3') {
        const suite = TLS13_SUITES[cipher];
        if (!suite || !this.serverHandshakeSecret) {
          return undefined;
        }
        return certificateMessage(decryptHandshake(records, this.serverHandshakeSecret, suite), true);
      }
      // up to TLS 1.2 every handshake message before ChangeCipherSpec travels in clear text
      const clear: Buffer[] = [];
      for (const record of records) {
        if (record.type === RECORD_CHANGE_CIPHER_SPEC) {
          break;
        }
        if (record.type === RECORD_HANDSHAKE) {
          clear.push(record.payload);
        }
      }
      return certificateMessage(Buffer.concat(clear), false);
    } catch {
      return undefined;
    }
  }
}

interface TlsRecord {
  type: number;
  header: Buffer;
  payload: Buffer;
}

function parseRecords(bytes: Buffer): TlsRecord[] {
  const records: TlsRecord[] = [];
  let pos = 0;
  while (pos + 5 <= bytes.length) {
    const length = bytes.readUInt16BE(pos + 3);
    if (pos + 5 + length > bytes.length) {
      break;
    }
    records.push({ type: bytes[pos], header: bytes.subarray(pos, pos + 5), payload: bytes.subarray(pos + 5, pos + 5 + length) });
    pos += 5 + length;
  }
  return records;
}

/** RFC 8446 7.1 HKDF-Expand-Label, for outputs no longer than one hash block (keys and IVs). */
function expandLabel(secret: Buffer, label: string, length: number, hash: string): Buffer {
  const fullLabel = Buffer.from(`tls13 ${label}`, 'latin1');
  const info = Buffer.concat([Buffer.from([length >> 8, length & 0xff, fullLabel.length]), fullLabel, Buffer.from([0])]);
  return createHmac(hash, secret).update(Buffer.concat([info, Buffer.from([1])])).digest().subarray(0, length);
}

/** The server's encrypted handshake messages of a TLS 1.3 handshake, decrypted and joined. */
function decryptHandshake(records: TlsRecord[], secret: Buffer, suite: (typeof TLS13_SUITES)[string]): Buffer {
  const key = expandLabel(secret, 'key', suite.keyLength, suite.hash);
  const iv = expandLabel(secret, 'iv', 12, suite.hash);
  const out: Buffer[] = [];
  let sequence = 0n;
  for (const record of records) {
    if (record.type !== RECORD_APPLICATION_DATA) {
      continue;
    }
    const nonce = Buffer.from(iv);
    const seq = Buffer.alloc(8);
    seq.writeBigUInt64BE(sequence++);
    for (let i = 0; i < 8; i++) {
      nonce[4 + i] ^= seq[i];
    }
    const tag = record.payload.subarray(record.payload.length - 16);
    const decipher = createDecipheriv(suite.cipher as 'aes-128-gcm', key, nonce, { authTagLength: 16 });
    decipher.setAAD(record.header);
    decipher.setAuthTag(tag);
    const inner = Buffer.concat([decipher.update(record.payload.subarray(0, record.payload.length - 16)), decipher.final()]);
    // TLSInnerPlaintext: content, the real content type, zero padding (RFC 8446 5.2)
    let end = inner.length - 1;
    while (end >= 0 && inner[end] === 0) {
      end--;
    }
    if (end < 0 || inner[end] !== RECORD_HANDSHAKE) {
      break;
    }
    out.push(inner.subarray(0, end));
    const joined = Buffer.concat(out);
    if (certificateMessage(joined, true)) {
      return joined;
    }
  }
  return Buffer.concat(out);
}

/** Finds the Certificate message among handshake messages and returns its certificates. */
function certificateMessage(handshake: Buffer, tls13: boolean): Buffer[] | undefined {
  let pos = 0;
  while (pos + 4 <= handshake.length) {
    const type = handshake[pos];
    const length = handshake.readUIntBE(pos + 1, 3);
    const body = handshake.subarray(pos + 4, pos + 4 + length);
    if (body.length < length) {
      return undefined;
    }
    if (type === HANDSHAKE_CERTIFICATE) {
      let at = 0;
      if (tls13) {
        at += 1 + body[0];
      }
      const listEnd = at + 3 + body.readUIntBE(at, 3);
      at += 3;
      const certificates: Buffer[] = [];
      while (at + 3 <= listEnd) {
        const size = body.readUIntBE(at, 3);
        certificates.push(Buffer.from(body.subarray(at + 3, at + 3 + size)));
        at += 3 + size;
        if (tls13) {
          at += 2 + body.readUInt16BE(at);
        }
      }
      return certificates;
    }
    pos += 4 + length;
  }
  return undefined;
}
