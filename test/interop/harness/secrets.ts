// Finds secrets in captured log lines and describes each hit by line number and field path, never by value.
import { createPrivateKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';

export interface Secret {
  /** What the secret is, for the failure message ("the gateway token"). */
  name: string;
  value: string;
}

/** The forms a device private key could take in a log: the PEM's base64 body and the raw key in common encodings. */
export function deviceKeySecrets(deviceKeyPath: string): Secret[] {
  if (!existsSync(deviceKeyPath)) return [];
  const { privateKeyPem } = JSON.parse(readFileSync(deviceKeyPath, 'utf8')) as { privateKeyPem: string };
  const body = privateKeyPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  const d = createPrivateKey(privateKeyPem).export({ format: 'jwk' }).d!;
  const raw = Buffer.from(d, 'base64url');
  return [
    { name: 'the device private key (PEM body)', value: body },
    { name: 'the device private key (base64url)', value: d },
    { name: 'the device private key (base64)', value: raw.toString('base64').replace(/=+$/, '') },
    { name: 'the device private key (hex)', value: raw.toString('hex') },
  ];
}

/** Where in a parsed JSON value a secret occurs, as dotted paths (`err.url`, `args.0`). */
function fieldsHolding(value: unknown, secret: string, path: string[] = []): string[] {
  if (typeof value === 'string') return value.includes(secret) ? [path.join('.') || '(the whole value)'] : [];
  if (Array.isArray(value)) return value.flatMap((item, i) => fieldsHolding(item, secret, [...path, String(i)]));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) => {
      const inKey = key.includes(secret) ? [`${[...path, '(a key)'].join('.')}`] : [];
      return [...inKey, ...fieldsHolding(item, secret, [...path, key])];
    });
  }
  return [];
}

/** One description per (line, secret) hit: `line 12 (fields err.url, msg): the interaction token`. */
export function findSecrets(lines: readonly string[], secrets: readonly Secret[]): string[] {
  const usable = secrets.filter((s) => s.value.length >= 8);
  const hits: string[] = [];
  lines.forEach((line, index) => {
    for (const secret of usable) {
      if (!line.includes(secret.value)) continue;
      let where = 'not JSON';
      try {
        const fields = fieldsHolding(JSON.parse(line), secret.value);
        where = fields.length > 0 ? `fields ${fields.join(', ')}` : 'JSON, split across fields';
      } catch {
        // a plain-text line: only its number can be named
      }
      hits.push(`line ${index + 1} (${where}): ${secret.name}`);
    }
  });
  return hits;
}
