// What the CDN reads from a file: its media type and, for images, width and height (Attachment Object: "height of
// file (if image or video)"). Only headers are read; a file that is not what its header says is just bytes.

const BY_EXTENSION: Record<string, string> = {
  txt: 'text/plain; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  log: 'text/plain; charset=utf-8',
  json: 'application/json; charset=utf-8',
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  ts: 'text/plain; charset=utf-8',
  py: 'text/x-python; charset=utf-8',
  pdf: 'application/pdf',
  zip: 'application/zip',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  mp3: 'audio/mpeg',
  ogg: 'audio/ogg',
  wav: 'audio/wav',
  mp4: 'video/mp4',
  webm: 'video/webm',
};

export interface ImageSize {
  width: number;
  height: number;
  type: string;
}

function startsWith(data: Buffer, bytes: number[], at = 0): boolean {
  return data.length >= at + bytes.length && bytes.every((b, i) => data[at + i] === b);
}

function jpegSize(data: Buffer): ImageSize | null {
  let i = 2;
  while (i + 9 < data.length) {
    if (data[i] !== 0xff) return null;
    const marker = data[i + 1]!;
    // SOF0–SOF15 carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but do not.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: data.readUInt16BE(i + 5), width: data.readUInt16BE(i + 7), type: 'image/jpeg' };
    }
    i += 2 + data.readUInt16BE(i + 2);
  }
  return null;
}

function webpSize(data: Buffer): ImageSize | null {
  if (data.length < 30) return null;
  const chunk = data.toString('latin1', 12, 16);
  if (chunk === 'VP8 ') return { width: data.readUInt16LE(26) & 0x3fff, height: data.readUInt16LE(28) & 0x3fff, type: 'image/webp' };
  if (chunk === 'VP8L') {
    const b = (n: number) => data[21 + n]!;
    return { width: 1 + (((b(1) & 0x3f) << 8) | b(0)), height: 1 + (((b(3) & 0x0f) << 10) | (b(2) << 2) | ((b(1) & 0xc0) >> 6)), type: 'image/webp' };
  }
  if (chunk === 'VP8X') return { width: 1 + data.readUIntLE(24, 3), height: 1 + data.readUIntLE(27, 3), type: 'image/webp' };
  return null;
}

/** Width, height and type of a PNG, GIF, JPEG or WebP image; null for anything else. */
export function imageSize(data: Buffer): ImageSize | null {
  if (startsWith(data, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) && data.length >= 24) {
    return { width: data.readUInt32BE(16), height: data.readUInt32BE(20), type: 'image/png' };
  }
  if ((data.toString('latin1', 0, 6) === 'GIF87a' || data.toString('latin1', 0, 6) === 'GIF89a') && data.length >= 10) {
    return { width: data.readUInt16LE(6), height: data.readUInt16LE(8), type: 'image/gif' };
  }
  if (startsWith(data, [0xff, 0xd8])) return jpegSize(data);
  if (data.toString('latin1', 0, 4) === 'RIFF' && data.toString('latin1', 8, 12) === 'WEBP') return webpSize(data);
  return null;
}

function extension(filename: string): string {
  const dot = filename.lastIndexOf('.');
  return dot < 0 ? '' : filename.slice(dot + 1).toLowerCase();
}

/**
 * The media type the CDN gives a file: what the uploader said, unless that is nothing or the generic octet-stream;
 * then the image header, then the extension. Text types get `charset=utf-8` as Discord's attachments show them
 * (undocumented).
 */
export function mediaType(filename: string, declared: string | undefined, data: Buffer | null): string {
  if (declared && declared !== 'application/octet-stream') return declared;
  const image = data ? imageSize(data) : null;
  return image?.type ?? BY_EXTENSION[extension(filename)] ?? 'application/octet-stream';
}

/**
 * application-commands.mdx, `file_types` (and reference.mdx, File Type Filtering): "image", "video", "audio" or a
 * dot-prefixed extension, matched against the filename only. The groups are Discord's list at the time of writing.
 */
const FILE_TYPE_GROUPS: Record<string, string[]> = {
  image: ['png', 'gif', 'jpg', 'jpeg', 'jfif', 'webp', 'avif'],
  video: ['mp4', 'mov', 'qt', 'webm'],
  audio: ['mp3', 'm4a', 'wav', 'ogg', 'opus', 'flac'],
};

export function isFileTypeFilter(value: unknown): boolean {
  return typeof value === 'string' && (value in FILE_TYPE_GROUPS || /^\.[^./\\\s]+$/.test(value));
}

export function matchesFileTypes(filename: string, fileTypes: unknown[]): boolean {
  const ext = extension(filename);
  return fileTypes.some((t) => typeof t === 'string' && (FILE_TYPE_GROUPS[t]?.includes(ext) ?? t.toLowerCase() === `.${ext}`));
}
