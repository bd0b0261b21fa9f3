// What the gateways tell about a file's bytes: MIME type from magic bytes (both versions sniff with `file-type`:
// v3 src/media/mime.ts sniffMime, v4 src/media/sniff-mime-from-base64.ts over the first 256 base64 chars), from a file
// name (MIME_BY_EXT), the media kind (mediaKindFromMime) and an image's size (managed outgoing images carry it).
// Only the common formats are known here; `file-type` knows many more.

const MAGIC: Array<{ at: number; bytes: number[]; mime: string; also?: { at: number; text: string } }> = [
  { at: 0, bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], mime: 'image/png' },
  { at: 0, bytes: [0xff, 0xd8, 0xff], mime: 'image/jpeg' },
  { at: 0, bytes: [0x47, 0x49, 0x46, 0x38], mime: 'image/gif' },
  { at: 0, bytes: [0x52, 0x49, 0x46, 0x46], mime: 'image/webp', also: { at: 8, text: 'WEBP' } },
  { at: 0, bytes: [0x52, 0x49, 0x46, 0x46], mime: 'audio/wav', also: { at: 8, text: 'WAVE' } },
  { at: 0, bytes: [0x42, 0x4d], mime: 'image/bmp' },
  { at: 0, bytes: [0x25, 0x50, 0x44, 0x46], mime: 'application/pdf' },
  { at: 0, bytes: [0x50, 0x4b, 0x03, 0x04], mime: 'application/zip' },
  { at: 0, bytes: [0x1f, 0x8b], mime: 'application/gzip' },
  { at: 0, bytes: [0x49, 0x44, 0x33], mime: 'audio/mpeg' },
  { at: 0, bytes: [0x4f, 0x67, 0x67, 0x53], mime: 'audio/ogg' },
  { at: 4, bytes: [0x66, 0x74, 0x79, 0x70], mime: 'video/mp4' },
];

const MIME_BY_EXT: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.bmp': 'image/bmp',
  '.svg': 'image/svg+xml',
  '.pdf': 'application/pdf',
  '.zip': 'application/zip',
  '.json': 'application/json',
  '.yaml': 'application/yaml',
  '.yml': 'application/yaml',
  '.txt': 'text/plain',
  '.log': 'text/plain',
  '.md': 'text/markdown',
  '.csv': 'text/csv',
  '.html': 'text/html',
  '.ts': 'text/plain',
  '.js': 'text/javascript',
  '.mp3': 'audio/mpeg',
  '.ogg': 'audio/ogg',
  '.wav': 'audio/wav',
  '.mp4': 'video/mp4',
};

const EXT_BY_MIME: Record<string, string> = {
  'image/png': '.png',
  'image/jpeg': '.jpg',
  'image/gif': '.gif',
  'image/webp': '.webp',
  'image/bmp': '.bmp',
  'application/pdf': '.pdf',
  'application/zip': '.zip',
  'application/json': '.json',
  'text/plain': '.txt',
  'text/markdown': '.md',
  'text/csv': '.csv',
  'text/html': '.html',
  'audio/mpeg': '.mp3',
  'audio/ogg': '.ogg',
  'audio/wav': '.wav',
  'video/mp4': '.mp4',
};

/** The MIME type the bytes say, if a known format (plain text says nothing, as with `file-type`). */
export function sniffMime(bytes: Buffer): string | undefined {
  for (const m of MAGIC) {
    if (bytes.length < m.at + m.bytes.length) continue;
    if (!m.bytes.every((b, i) => bytes[m.at + i] === b)) continue;
    if (m.also && bytes.subarray(m.also.at, m.also.at + m.also.text.length).toString('latin1') !== m.also.text) continue;
    return m.mime;
  }
  return undefined;
}

/** Lower-cased, parameters dropped (`text/plain; charset=utf-8` → `text/plain`). */
export function normalizeMime(mime: string | undefined): string | undefined {
  return mime?.split(';')[0]?.trim().toLowerCase() || undefined;
}

export function extensionOf(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot).toLowerCase() : '';
}

export function mimeFromName(name: string | undefined): string | undefined {
  return name === undefined ? undefined : MIME_BY_EXT[extensionOf(name)];
}

export function extensionForMime(mime: string): string | undefined {
  return EXT_BY_MIME[mime];
}

/** `image` | `audio` | `video` | `document` (v4 kindFromMime; what `__openclaw.media` rows say). */
export function mediaKind(mime: string): 'image' | 'audio' | 'video' | 'document' {
  if (mime.startsWith('image/')) return 'image';
  if (mime.startsWith('audio/')) return 'audio';
  if (mime.startsWith('video/')) return 'video';
  return 'document';
}

/** Width and height of a PNG, GIF or JPEG (other formats: unknown). */
export function imageSize(bytes: Buffer): { width: number; height: number } | undefined {
  const mime = sniffMime(bytes);
  if (mime === 'image/png' && bytes.length >= 24) return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
  if (mime === 'image/gif' && bytes.length >= 10) return { width: bytes.readUInt16LE(6), height: bytes.readUInt16LE(8) };
  if (mime === 'image/jpeg') {
    let at = 2;
    while (at + 9 < bytes.length && bytes[at] === 0xff) {
      const marker = bytes[at + 1]!;
      const length = bytes.readUInt16BE(at + 2);
      // SOF0..SOF15, except DHT (c4), JPG (c8) and DAC (cc).
      if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker))
        return { height: bytes.readUInt16BE(at + 5), width: bytes.readUInt16BE(at + 7) };
      at += 2 + length;
    }
  }
  return undefined;
}
