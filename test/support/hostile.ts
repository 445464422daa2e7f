// The hostile corpus (test/fixtures/hostile) made concrete for one test run: every {{REMOTE}}
// placeholder becomes the host:port of the counting server, including those only visible after
// base64 decoding (bodies and data: URLs), so every would-be request is counted.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const HOSTILE_DIR = join(__dirname, '..', 'fixtures', 'hostile');
const PLACEHOLDER = '{{REMOTE}}';

function fillDataUrls(text: string, hostPort: string): string {
  return text.replace(/(data:[^,;"'\s]*(?:;[^,;"'\s]*)*;base64,)([A-Za-z0-9+/=]+)/g, (whole, prefix: string, payload: string) => {
    const decoded = Buffer.from(payload, 'base64').toString('latin1');
    if (!decoded.includes(PLACEHOLDER)) {
      return whole;
    }
    return prefix + Buffer.from(fill(decoded, hostPort), 'latin1').toString('base64');
  });
}

function fill(text: string, hostPort: string): string {
  return fillDataUrls(text, hostPort).split(PLACEHOLDER).join(hostPort);
}

/** Rewrites base64 MIME bodies that contain the placeholder once decoded. */
function fillBase64Bodies(raw: string, hostPort: string): string {
  return raw.replace(/(Content-Transfer-Encoding:\s*base64[^\n]*\n(?:[^\n]+\n)*\n)((?:[A-Z0-9+/=]+\r?\n?)+)/gi, (whole, head: string, body: string) => {
    const decoded = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('latin1');
    const filled = fill(decoded, hostPort);
    if (filled === decoded) {
      return whole;
    }
    const encoded = Buffer.from(filled, 'latin1').toString('base64').replace(/.{1,76}/g, '$&\n');
    return head + encoded;
  });
}

export function materialize(raw: Buffer, hostPort: string): Buffer {
  const text = raw.toString('latin1');
  return Buffer.from(fill(fillBase64Bodies(text, hostPort), hostPort), 'latin1');
}

export interface HostileMessage {
  id: string;
  file: string;
  raw: Buffer;
}

export function hostileCorpus(hostPort: string): HostileMessage[] {
  return readdirSync(HOSTILE_DIR)
    .filter((f) => f.endsWith('.eml'))
    .sort()
    .map((file) => ({ id: file.slice(0, 2), file, raw: materialize(readFileSync(join(HOSTILE_DIR, file)), hostPort) }));
}
