import { describe, expect, it } from 'vitest';
import { CARD_ATTACHMENTS, openClawAttachmentLimits } from '../../src/gateway/attachment-limits.js';
import { formatBytes } from '../../src/gateway/sizes.js';
import type { GatewayInfo } from '../../src/gateway/types.js';
import {
  expectedKind,
  fenceFor,
  fetchRefusal,
  FilesRefusedError,
  formatSize,
  gatewayFiles,
  inlineTextFile,
  planFiles,
  prepareFiles,
  sniffImage,
  type FetchedFile,
  type FileFacts,
} from '../../src/relay/attachments.js';
import { FileTooLargeError } from '../../src/relay/scope.js';

const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), Buffer.alloc(32)]);
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(16)]);
const GIF = Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1');
const WEBP = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBPVP8 ')]);
const PDF = Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n', 'latin1');
const RULES = { downloadMaxBytes: 25 * 1024 * 1024, inlineTextMaxChars: 20_000 };

function info(kind: 'card' | 'v3' | 'v4'): GatewayInfo {
  const policy = { maxPayload: 26_214_400, ...(kind === 'v4' ? { attachments: { maxBytes: 19_464_192, maxImageBytes: 6_291_456 } } : {}) };
  return {
    dialect: kind === 'card' ? 'card' : 'openclaw',
    protocol: kind === 'card' ? '1.0' : kind === 'v3' ? '3' : '4',
    serverVersion: kind === 'card' ? '1.0.0' : kind === 'v3' ? '2026.2.17' : '2026.9.6',
    uptimeMs: undefined,
    connectedAt: 0,
    methods: undefined,
    scopes: undefined,
    tickIntervalMs: undefined,
    defaultAgentId: undefined,
    features: {
      toolProgress: false,
      approvals: false,
      listApprovals: false,
      steer: false,
      stopsBackgroundCommands: false,
      missingScopes: [],
      attachments: kind === 'card' ? CARD_ATTACHMENTS : openClawAttachmentLimits(kind === 'v3' ? 3 : 4, policy),
      producedFiles: kind === 'v4',
    },
  };
}
const CARD = gatewayFiles(info('card'));
const V3 = gatewayFiles(info('v3'));
const V4 = gatewayFiles(info('v4'));

const facts = (name: string, size: number, contentType?: string): FileFacts => ({ name, size, contentType });
const fetched = (name: string, data: Buffer, contentType?: string): FetchedFile => {
  const f = facts(name, data.length, contentType);
  return { facts: f, expected: expectedKind(f), data };
};
const lines = (result: { refusals: Array<{ line: string }> }) => result.refusals.map((r) => r.line);

describe('what a file is', () => {
  it('by its name and Discord type first: the name wins for source files Discord types as something else', () => {
    expect(expectedKind({ name: 'cat.PNG', contentType: undefined })).toBe('image');
    expect(expectedKind({ name: 'photo', contentType: 'image/webp' })).toBe('image');
    expect(expectedKind({ name: 'main.ts', contentType: 'video/mp2t' })).toBe('text');
    expect(expectedKind({ name: 'data', contentType: 'application/json; charset=utf-8' })).toBe('text');
    expect(expectedKind({ name: 'feed', contentType: 'application/atom+xml' })).toBe('text');
    expect(expectedKind({ name: 'Dockerfile', contentType: undefined })).toBe('text');
    expect(expectedKind({ name: 'report.pdf', contentType: 'application/pdf' })).toBe('other');
    expect(expectedKind({ name: 'scan.bmp', contentType: 'image/bmp' })).toBe('other');
    expect(expectedKind({ name: 'blob', contentType: 'application/octet-stream' })).toBe('unknown');
  });

  it('images by their magic: PNG, JPEG, GIF, WEBP and nothing else', () => {
    expect([PNG, JPEG, GIF, WEBP].map(sniffImage)).toEqual(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);
    expect(sniffImage(PDF)).toBeUndefined();
    expect(sniffImage(Buffer.from('BM\x00\x00', 'latin1'))).toBeUndefined();
  });

  it('sizes as people read them, limits in the unit they were set in', () => {
    expect(formatSize(7_100_000)).toBe('7.1 MB');
    expect(formatSize(512)).toBe('512 bytes');
    expect(formatBytes(6_291_456)).toBe('6 MiB');
    expect(formatBytes(5_000_000)).toBe('5 MB');
    expect(formatBytes(19_464_192)).toBe('18.6 MiB');
  });
});

describe('the gateway', () => {
  it('is named by its release, or as the card', () => {
    expect([CARD.name, V3.name, V4.name]).toEqual(['the card gateway', 'OpenClaw 2026.2', 'OpenClaw 2026.9']);
    expect(gatewayFiles({ ...info('v3'), serverVersion: undefined }).name).toBe('OpenClaw (protocol 3)');
    expect([CARD.dropsImagesForTextModels, V3.dropsImagesForTextModels, V4.dropsImagesForTextModels]).toEqual([false, true, false]);
  });
});

describe('deciding from what Discord says (before anything is shown)', () => {
  it('the card takes no images and no other files; text files will be inlined', () => {
    const result = planFiles([facts('cat.png', 1_000, 'image/png'), facts('report.pdf', 2_000, 'application/pdf'), facts('notes.txt', 10, 'text/plain')], CARD, RULES);
    expect(lines(result)).toEqual([
      '`cat.png`: the card gateway takes no images (clawcord inlines text files only)',
      '`report.pdf`: the card gateway takes no files (clawcord inlines text files only)',
    ]);
    expect(result.plans.map((p) => [p.facts.name, p.expected, p.cap.bytes])).toEqual([['notes.txt', 'text', RULES.downloadMaxBytes]]);
  });

  it('2026.2 takes only images, up to 5,000,000 bytes each', () => {
    const result = planFiles([facts('report.pdf', 2_000, 'application/pdf'), facts('big.png', 7_100_000, 'image/png'), facts('edge.png', 5_000_001, 'image/png'), facts('ok.png', 5_000_000, 'image/png')], V3, RULES);
    expect(lines(result)).toEqual([
      '`report.pdf`: OpenClaw 2026.2 takes only images (and clawcord inlines text files)',
      "`big.png` (7.1 MB): over this gateway's 5 MB limit for images",
      "`edge.png` (5,000,001 bytes): over this gateway's 5 MB limit for images",
    ]);
    expect(result.plans.map((p) => [p.facts.name, p.cap.bytes])).toEqual([['ok.png', 5_000_000]]);
  });

  it('2026.9 takes images up to its policy limit and any file up to its file limit', () => {
    const result = planFiles([facts('big.png', 7_100_000, 'image/png'), facts('report.pdf', 2_000, 'application/pdf'), facts('huge.zip', 20_000_000, 'application/zip'), facts('blob', 100, undefined)], V4, RULES);
    expect(lines(result)).toEqual([
      "`big.png` (7.1 MB): over this gateway's 6 MiB limit for images",
      "`huge.zip` (20.0 MB): over this gateway's 18.6 MiB limit for files",
    ]);
    expect(result.plans.map((p) => [p.facts.name, p.expected, p.cap.bytes])).toEqual([
      ['report.pdf', 'other', 19_464_192],
      ['blob', 'unknown', 19_464_192],
    ]);
  });

  it("clawcord's own download limit comes first when it is the lower one", () => {
    const result = planFiles([facts('notes.txt', 2_000_000, 'text/plain')], V3, { ...RULES, downloadMaxBytes: 1024 * 1024 });
    expect(lines(result)).toEqual(["`notes.txt` (2.0 MB): over clawcord's 1 MiB limit for one file (attachments.maxBytes)"]);
  });

  it('on 2026.2, images for a session model without image input are refused (it would drop them without a word); 2026.9 describes them', () => {
    const v3Text = gatewayFiles(info('v3'), { ref: 'ollama/glm-5:cloud', takesImages: false });
    expect(lines(planFiles([facts('cat.png', 100, 'image/png')], v3Text, RULES))).toEqual([
      "`cat.png`: the session's model `ollama/glm-5:cloud` takes no images, and OpenClaw 2026.2 would drop the picture without a word",
    ]);
    expect(lines(planFiles([facts('cat.png', 100, 'image/png')], gatewayFiles(info('v4'), { ref: 'x/glm', takesImages: false }), RULES))).toEqual([]);
    expect(lines(planFiles([facts('cat.png', 100, 'image/png')], gatewayFiles(info('v3'), { ref: 'x/y', takesImages: undefined }), RULES))).toEqual([]);
  });

  it('keeps the whole frame under the max payload: files that fit one by one may not fit together', () => {
    const many = [1, 2].map((i) => facts(`part${i}.bin`, 10_000_000, 'application/zip'));
    expect(lines(planFiles(many, V4, RULES))).toEqual([
      '`part1.bin`, `part2.bin` (20.0 MB together): more than one message to OpenClaw 2026.9 can carry (about 18.6 MiB of files); send fewer or smaller files',
    ]);
    // Text inlined on 2026.2 is not an attachment of the frame.
    expect(lines(planFiles([facts('a.txt', 10_000_000), facts('b.txt', 10_000_000)], V3, RULES))).toEqual([]);
  });

  it('a refusal names each file', () => {
    const error = new FilesRefusedError(planFiles([facts('a.pdf', 1, 'application/pdf'), facts('b.pdf', 1, 'application/pdf')], V3, RULES).refusals);
    expect(error.message).toBe(
      'Nothing was sent, as 2 files cannot go:\n• `a.pdf`: OpenClaw 2026.2 takes only images (and clawcord inlines text files)\n• `b.pdf`: OpenClaw 2026.2 takes only images (and clawcord inlines text files)',
    );
    expect(new FilesRefusedError([{ name: 'x', line: '`x`: why' }]).message).toBe('Nothing was sent: `x`: why.');
  });
});

describe('deciding from the bytes (once the prompt is accepted)', () => {
  it('2026.9: images and files as attachments, the type from the bytes', () => {
    const { prepared, refusals } = prepareFiles([fetched('cat.png', PNG, 'image/png'), fetched('notes.txt', Buffer.from('hello'), 'text/plain; charset=utf-8'), fetched('report.pdf', PDF, 'application/pdf'), fetched('blob', PDF)], V4, RULES, 'msg');
    expect(refusals).toEqual([]);
    expect(prepared.inlined).toEqual([]);
    expect(prepared.attachments.map((a) => [a.fileName, a.kind, a.mimeType, a.data.length])).toEqual([
      ['cat.png', 'image', 'image/png', PNG.length],
      ['notes.txt', 'file', 'text/plain', 5],
      ['report.pdf', 'file', 'application/pdf', PDF.length],
      ['blob', 'file', 'application/pdf', PDF.length],
    ]);
  });

  it('2026.2 and the card: text inlined (a file of unknown type too, when its bytes are text)', () => {
    for (const gateway of [V3, CARD]) {
      const { prepared, refusals } = prepareFiles([fetched('notes.txt', Buffer.from('hello\n')), fetched('blob', Buffer.from('{"a":1}'))], gateway, RULES, 'msg');
      expect(refusals).toEqual([]);
      expect(prepared.attachments).toEqual([]);
      expect(prepared.inlined).toEqual(['Attached file `notes.txt`:\n```\nhello\n```', 'Attached file `blob`:\n```\n{"a":1}\n```']);
      expect(prepared.notes).toEqual([]);
    }
    const cut = prepareFiles([fetched('long.txt', Buffer.from('y'.repeat(150)))], V3, { ...RULES, inlineTextMaxChars: 100 }, 'msg').prepared;
    expect(cut.notes).toEqual(['✂️ `long.txt` went into the prompt as text (OpenClaw 2026.2 takes no text files), cut to its first 100 of 150 characters.']);
    expect(prepareFiles([fetched('cat.png', PNG)], V3, RULES, 'm').prepared.attachments.map((a) => a.mimeType)).toEqual(['image/png']);
  });

  it('refuses bytes that are not what the file claimed, and binary files where only images go', () => {
    const result = prepareFiles([fetched('cat.png', Buffer.from('not a picture')), fetched('notes.txt', Buffer.from([0x68, 0x00, 0x69])), fetched('blob', PDF)], V3, RULES, 'm');
    expect(lines(result)).toEqual([
      '`cat.png`: its bytes are not a PNG, JPEG, GIF or WEBP image, whatever its name or type says',
      '`notes.txt`: its bytes are not text (UTF-8), whatever its name or type says',
      `\`blob\` (${PDF.length} bytes): OpenClaw 2026.2 takes only images (and clawcord inlines text files)`,
    ]);
    // Invalid UTF-8 is not text either.
    expect(lines(prepareFiles([fetched('x.txt', Buffer.from([0xc3, 0x28]))], V4, RULES, 'm'))).toHaveLength(1);
  });

  it('checks the real size against the limit, whatever Discord said', () => {
    const big = Buffer.concat([PNG, Buffer.alloc(5_000_001 - PNG.length)]);
    const file: FetchedFile = { facts: facts('cat.png', 10, 'image/png'), expected: 'image', data: big };
    expect(lines(prepareFiles([file], V3, RULES, 'm'))).toEqual(["`cat.png` (5,000,001 bytes): over this gateway's 5 MB limit for images"]);
  });

  it('a download over its cap, or failing, is refused naming the file', () => {
    const [plan] = planFiles([facts('cat.png', 100, 'image/png')], V3, RULES).plans;
    expect(fetchRefusal(plan!, new FileTooLargeError(5_000_000, 7_100_000)).line).toBe("`cat.png` (7.1 MB): over this gateway's 5 MB limit for images");
    expect(fetchRefusal(plan!, new Error("Discord's CDN answered 404: the link expired or the file is gone")).line).toBe(
      "`cat.png`: could not be downloaded from Discord (Discord's CDN answered 404: the link expired or the file is gone); try attaching it again",
    );
  });

  it('counts the message and the inlined text against the frame', () => {
    const small = { ...V4, limits: { ...V4.limits, maxPayloadBytes: 300 * 1024 } };
    const file = fetched('cat.png', Buffer.concat([PNG, Buffer.alloc(20_000)]), 'image/png');
    expect(lines(prepareFiles([file], small, RULES, 'short'))).toEqual([]);
    expect(lines(prepareFiles([file], small, RULES, 'x'.repeat(20_000)))).toHaveLength(1);
  });
});

describe('inlined text', () => {
  it('uses a fence longer than any backtick run inside, and names the file', () => {
    expect(fenceFor('plain')).toBe('```');
    expect(fenceFor('a ```` b ` c')).toBe('`````');
    expect(inlineTextFile('x.md', 'before\n````\ncode\n````\nafter', 1_000)).toBe('Attached file `x.md`:\n`````\nbefore\n````\ncode\n````\nafter\n`````');
  });

  it('is capped at inlineTextMaxChars (in characters, not bytes) with a note of how much was cut', () => {
    const text = `${'é'.repeat(150)}`;
    expect(inlineTextFile('a`b.txt', text, 100)).toBe(`Attached file \`a_b.txt\`:\n\`\`\`\n${'é'.repeat(100)}\n\`\`\`\n(clawcord kept the first 100 of its 150 characters; 50 were cut.)`);
  });
});
