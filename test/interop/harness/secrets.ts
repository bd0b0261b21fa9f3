// Finds secrets in captured log lines and describes each hit by line number and field path, never by value.
import { createPrivateKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';

export interface Secret {
  /** What the secret is, for the failure message ("the gateway token"). */
  name: string;
  value: string;
}

/** A secret known by its form rather than its value: one the gateway hands out, such as a media ticket. */
export interface SecretShape {
  name: string;
  pattern: RegExp;
}

/** 2026.9's media tickets (`artifacts.download` urls, `?mediaTicket=v1.<base64url JSON>.<signature>`): the parameter
 * with any value, and a ticket on its own. */
export const MEDIA_TICKET_SHAPES: SecretShape[] = [
  { name: 'a media ticket (mediaTicket=…)', pattern: /mediaTicket=[^&\s"']{8,}/ },
  { name: 'a media ticket (v1.eyJ…)', pattern: /\bv1\.eyJ[\w-]{8,}/ },
];

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

type Holds = (text: string) => boolean;

/** Where in a parsed JSON value a secret occurs, as dotted paths (`err.url`, `args.0`). */
function fieldsHolding(value: unknown, holds: Holds, path: string[] = []): string[] {
  if (typeof value === 'string') return holds(value) ? [path.join('.') || '(the whole value)'] : [];
  if (Array.isArray(value)) return value.flatMap((item, i) => fieldsHolding(item, holds, [...path, String(i)]));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) => {
      const inKey = holds(key) ? [`${[...path, '(a key)'].join('.')}`] : [];
      return [...inKey, ...fieldsHolding(item, holds, [...path, key])];
    });
  }
  return [];
}

/** One description per (line, secret) hit: `line 12 (fields err.url, msg): the interaction token`. */
export function findSecrets(lines: readonly string[], secrets: ReadonlyArray<Secret | SecretShape>): string[] {
  const usable = secrets
    .filter((s) => !('value' in s) || s.value.length >= 8)
    .map((s) => ({ name: s.name, holds: 'value' in s ? (text: string) => text.includes(s.value) : (text: string) => s.pattern.test(text) }));
  const hits: string[] = [];
  lines.forEach((line, index) => {
    for (const secret of usable) {
      if (!secret.holds(line)) continue;
      let where = 'not JSON';
      try {
        const fields = fieldsHolding(JSON.parse(line), secret.holds);
        where = fields.length > 0 ? `fields ${fields.join(', ')}` : 'JSON, split across fields';
      } catch {
        // a plain-text line: only its number can be named
      }
      hits.push(`line ${index + 1} (${where}): ${secret.name}`);
    }
  });
  return hits;
}
