// What the demo prints when it is ready, and a small PNG banner, generated, for the demo
// newsletter's "remote" image.
import { deflateSync } from 'node:zlib';

function crc32(buf: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of buf) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) {
      crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
    }
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

export function bannerPng(width = 520, height = 80): Buffer {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 3 + 1)] = 0;
    for (let x = 0; x < width; x++) {
      const o = y * (width * 3 + 1) + 1 + x * 3;
      const t = x / width;
      raw[o] = Math.round(31 + 60 * t);
      raw[o + 1] = Math.round(111 + 40 * (y / height));
      raw[o + 2] = 235;
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8;
  header[9] = 2;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

export interface DemoInfo {
  url: string;
  email: string;
  user: string;
  password: string;
  host: string;
  imapsPort: number;
  smtpPort: number;
  remoteOrigin: string;
}

/** The text `npm run demo` prints once everything runs: where to go and how to log in, also by hand. */
export function demoBanner(info: DemoInfo): string {
  return `
IMAP Mailbox Explorer demo is running.

  Open VS Code:  ${info.url}
  Account:       ${info.email}, configured (the Mail view in the activity bar asks for the password once)
  IMAP login:    user ${info.user}, password ${info.password}
  IMAP server:   ${info.host}:${info.imapsPort} (TLS, self-signed; its SHA-256 fingerprint is pinned in the account)
                 by hand: openssl s_client -connect ${info.host}:${info.imapsPort} -quiet, then a1 LOGIN ${info.user} ${info.password}
  SMTP sink:     ${info.host}:${info.smtpPort} (STARTTLS, same certificate and login; mail you send is printed here)
  Remote images: ${info.remoteOrigin} (requests are printed here: none until you ask)

Press Ctrl+C to stop everything.
`;
}
