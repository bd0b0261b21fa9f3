import { describe, expect, it } from 'vitest';
import { codeFiles, extensionFor, fitFiles } from '../../src/discord/render/files.js';
import { createReplyRenderer, renderReply, shownText } from '../../src/discord/render/reply.js';
import { joinChunks, splitMessage } from '../../src/discord/render/split.js';
import type { ReplyExtras, ReplyFile } from '../../src/relay/phase.js';

const footer = { agent: 'main', model: 'openai/gpt-5', durationMs: 42_000, tokens: 1234 };
const MiB = 1024 * 1024;

function prose(chars: number): string {
  const parts: string[] = [];
  for (let i = 0; parts.join('\n\n').length < chars; i++) parts.push(`Paragraph ${i}: ${'The quick brown fox jumps over the lazy dog. '.repeat(5).trim()}`);
  return parts.join('\n\n').slice(0, chars);
}

const code = (lang: string, lines: number) => `\`\`\`${lang}\n${Array.from({ length: lines }, (_, i) => `value_${i} = ${i} * 2`).join('\n')}\n\`\`\``;

describe('a final reply with files', () => {
  it('keeps a 20,000-character answer as its first message and attaches the whole as answer.md', () => {
    const text = prose(20_000);
    const [message, ...rest] = renderReply(text, { kind: 'final' }, { footer });
    expect(rest).toEqual([]);
    expect(message!.wholeReply).toBe(true);
    expect(message!.files!.map((f) => f.name)).toEqual(['answer.md']);
    expect(message!.files![0]!.data.toString('utf8')).toBe(text);
    expect(message!.content.length).toBeLessThanOrEqual(2000);
    const lines = message!.content.split('\n');
    expect(lines.at(-2)).toBe('-# 📄 The whole answer (20,000 characters) is attached as `answer.md`.');
    expect(lines.at(-1)).toMatch(/^-# 🤖 main · openai\/gpt-5/);
    // Its text is where the answer starts; read back after a restart it is that beginning, without the lines.
    expect(text.startsWith(shownText([message!.content]))).toBe(true);
    expect(shownText([message!.content]).length).toBeGreaterThan(1_000);
  });

  it('changes nothing while streaming, and only past relay.fileAfterMessages', () => {
    const text = prose(20_000);
    const streaming = renderReply(text, { kind: 'streaming' }, { footer });
    expect(streaming.length).toBeGreaterThan(4);
    expect(streaming.every((m) => m.files === undefined && !m.wholeReply)).toBe(true);
    const roomy = createReplyRenderer({ fileAfterMessages: 20, codeFileLines: 80 })(text, { kind: 'final' });
    expect(roomy.length).toBe(streaming.length);
    expect(roomy.every((m) => m.files === undefined)).toBe(true);
    expect(joinChunks(roomy.map((m) => m.content))).toBe(text);
    const exactly = splitMessage(prose(7_000), { reserve: 250 }).length;
    expect(createReplyRenderer({ fileAfterMessages: exactly, codeFileLines: 80 })(prose(7_000), { kind: 'final' })).toHaveLength(exactly);
    // A stopped or failed answer is not a final: it keeps its messages.
    expect(renderReply(text, { kind: 'aborted', by: 'Ada' }).length).toBeGreaterThan(4);
  });

  it('attaches code blocks longer than relay.codeFileLines, named by their language, and keeps them in the text', () => {
    const text = `Here:\n\n${code('python', 100)}\n\nand\n\n${code('ts', 80)}\n\nand\n\n${code('weird-lang', 81)}\n\n${code('', 90)}`;
    const messages = renderReply(text, { kind: 'final' });
    const files = messages.at(-1)!.files!;
    expect(files.map((f) => f.name)).toEqual(['snippet-1.py', 'snippet-2.txt', 'snippet-3.txt']);
    expect(files[0]!.data.toString()).toBe(`${Array.from({ length: 100 }, (_, i) => `value_${i} = ${i} * 2`).join('\n')}\n`);
    expect(messages.slice(0, -1).every((m) => m.files === undefined)).toBe(true);
    expect(joinChunks(messages.map((m) => m.content))).toBe(text);
    expect(renderReply(text, { kind: 'streaming' }).every((m) => m.files === undefined)).toBe(true);
    expect(createReplyRenderer({ fileAfterMessages: 4, codeFileLines: 100 })(text, { kind: 'final' }).at(-1)!.files).toBeUndefined();
    expect([extensionFor('TypeScript'), extensionFor('bash title="x"'), extensionFor('rust,ignore'), extensionFor('')]).toEqual(['ts', 'sh', 'rs', 'txt']);
    expect(codeFiles('```py\nopen\n', 0).map((f) => f.name)).toEqual(['snippet-1.py']);
  });

  it("attaches the agent's files to the last message, and names each one that cannot go with its size", () => {
    const png = (name: string, size: number): ReplyFile => ({ name, data: Buffer.alloc(size, 1), contentType: 'image/png' });
    const extras: ReplyExtras = {
      footer,
      files: [png('chart.png', 2_000), png('big.png', 11 * MiB), png('chart.png', 10)],
      fileNotes: ['📎 The agent made `out.png`; OpenClaw 2026.2 cannot hand files over.'],
      uploadLimitBytes: 10 * MiB,
    };
    const [message] = renderReply('Done, see the chart.', { kind: 'final' }, extras);
    expect(message!.files!.map((f) => f.name)).toEqual(['chart.png', 'chart-2.png']);
    expect(message!.content).toBe(
      [
        'Done, see the chart.',
        "-# 📎 `big.png` (11 MB) is over Discord's 10 MB limit.",
        '-# 📎 The agent made `out.png`; OpenClaw 2026.2 cannot hand files over.',
        '-# 🤖 main · openai/gpt-5 · 42 s · 1.2k tokens',
      ].join('\n'),
    );
    expect(shownText([message!.content])).toBe('Done, see the chart.');
    // A boosted guild's interaction says more.
    expect(renderReply('x', { kind: 'final' }, { ...extras, uploadLimitBytes: 50 * MiB })[0]!.files).toHaveLength(3);
  });

  it("keeps to Discord's 10 files and 25 MiB a message", () => {
    const many = Array.from({ length: 12 }, (_, i) => ({ name: `f${i}.bin`, data: Buffer.alloc(100) }));
    const fitted = fitFiles(many, 10 * MiB);
    expect(fitted.kept).toHaveLength(10);
    expect(fitted.lines).toEqual(['📎 `f10.bin` (100 bytes) is left out: a Discord message takes 10 files.', '📎 `f11.bin` (100 bytes) is left out: a Discord message takes 10 files.']);
    const heavy = fitFiles([1, 2, 3].map((i) => ({ name: `v${i}.mp4`, data: Buffer.alloc(9 * MiB) })), 10 * MiB);
    expect(heavy.kept.map((f) => f.name)).toEqual(['v1.mp4', 'v2.mp4']);
    expect(heavy.lines).toEqual(['📎 `v3.mp4` (9 MB) is left out: a Discord message takes 25 MB of files.']);
  });

  it('shows a final of files only with its files, not "(no text)", and says while they are fetched', () => {
    const file = { name: 'out.png', data: Buffer.from('png') };
    expect(renderReply('', { kind: 'final' }, { files: [file] })).toEqual([{ content: '', live: false, files: [file] }]);
    expect(renderReply('', { kind: 'final' }, { files: [file], footer })[0]!.content).toBe('-# 🤖 main · openai/gpt-5 · 42 s · 1.2k tokens');
    expect(renderReply('', { kind: 'final' }, { filesPending: ['out.png'] })[0]!.content).toBe('-# 📎 Attaching `out.png`…');
    expect(renderReply('Hi', { kind: 'final' }, { filesPending: ['a.png', 'b.png'] })[0]!.content).toBe('Hi\n-# 📎 Attaching 2 files…');
    expect(renderReply('', { kind: 'final' })[0]!.content).toBe('*(no text)*');
    expect(shownText(['-# 📎 Attaching `out.png`…'])).toBe('');
  });

  it('puts the file lines on a message of their own when the last one is full', () => {
    const text = 'word '.repeat(354); // one message, filled up to the reserve
    const notes = Array.from({ length: 8 }, (_, i) => `📎 The agent made \`file-${i}-${'n'.repeat(40)}.png\`; OpenClaw 2026.2 cannot hand files over.`);
    const messages = renderReply(text, { kind: 'final' }, { fileNotes: notes, footer });
    expect(messages).toHaveLength(2);
    expect(messages.every((m) => m.content.length <= 2000)).toBe(true);
    expect(messages[0]!.content).toBe(text);
    const lines = messages[1]!.content.split('\n');
    expect(lines).toHaveLength(7);
    expect(lines[5]).toBe('-# 📎 3 more lines about files are left out.');
    expect(shownText(messages.map((m) => m.content))).toBe(text);
  });
});
