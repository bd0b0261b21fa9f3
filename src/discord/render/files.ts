import { fileSize, shownName } from '../../relay/media.js';
import type { ReplyFile } from '../../relay/phase.js';

export { fileSize, shownName };

// The files a final reply carries, and the lines that tell what became of them. Discord's limits (reference.mdx,
// Uploading Files; message.mdx, Create Message): at most 10 files a message, 25 MiB a request, each file at most the
// upload limit (10 MiB unless the guild's boost raises it; an interaction says its own `attachment_size_limit`).

export const MAX_FILES_PER_MESSAGE = 10;
export const MAX_REQUEST_BYTES = 25 * 1024 * 1024;
/** Room kept in a request for its JSON part and the multipart framing. */
const REQUEST_OVERHEAD_BYTES = 64 * 1024;
export const DEFAULT_UPLOAD_LIMIT_BYTES = 10 * 1024 * 1024;

/** What can go on one message, and a line for each file that cannot. */
export function fitFiles(files: readonly ReplyFile[], uploadLimitBytes: number): { kept: ReplyFile[]; lines: string[] } {
  const kept: ReplyFile[] = [];
  const lines: string[] = [];
  let requestBytes = REQUEST_OVERHEAD_BYTES;
  for (const file of files) {
    const size = file.data.length;
    const named = `\`${shownName(file.name)}\` (${fileSize(size)})`;
    if (size > uploadLimitBytes) lines.push(`📎 ${named} is over Discord's ${fileSize(uploadLimitBytes)} limit.`);
    else if (kept.length >= MAX_FILES_PER_MESSAGE) lines.push(`📎 ${named} is left out: a Discord message takes ${MAX_FILES_PER_MESSAGE} files.`);
    else if (requestBytes + size > MAX_REQUEST_BYTES) lines.push(`📎 ${named} is left out: a Discord message takes ${fileSize(MAX_REQUEST_BYTES)} of files.`);
    else {
      kept.push(file);
      requestBytes += size;
    }
  }
  return { kept, lines };
}

/** File names made unique on one message (Discord matches attachments to parts by name): `a.png`, `a-2.png`. */
export function uniqueNames(files: readonly ReplyFile[]): ReplyFile[] {
  const used = new Set<string>();
  return files.map((file) => {
    let name = file.name;
    for (let n = 2; used.has(name.toLowerCase()); n++) {
      const dot = file.name.lastIndexOf('.');
      name = dot > 0 ? `${file.name.slice(0, dot)}-${n}${file.name.slice(dot)}` : `${file.name}-${n}`;
    }
    used.add(name.toLowerCase());
    return name === file.name ? file : { ...file, name };
  });
}

const EXTENSIONS: Record<string, string> = {
  python: 'py', py: 'py', python3: 'py',
  typescript: 'ts', ts: 'ts', tsx: 'tsx',
  javascript: 'js', js: 'js', jsx: 'jsx', mjs: 'mjs', cjs: 'cjs',
  json: 'json', jsonc: 'json', yaml: 'yaml', yml: 'yaml', toml: 'toml', ini: 'ini', xml: 'xml', csv: 'csv',
  html: 'html', css: 'css', scss: 'scss', markdown: 'md', md: 'md',
  sh: 'sh', bash: 'sh', shell: 'sh', zsh: 'sh', console: 'sh', powershell: 'ps1', ps1: 'ps1',
  rust: 'rs', rs: 'rs', go: 'go', golang: 'go', java: 'java', kotlin: 'kt', kt: 'kt', swift: 'swift',
  c: 'c', h: 'h', cpp: 'cpp', 'c++': 'cpp', cc: 'cpp', hpp: 'hpp', csharp: 'cs', cs: 'cs',
  ruby: 'rb', rb: 'rb', php: 'php', lua: 'lua', perl: 'pl', r: 'r', scala: 'scala', dart: 'dart',
  sql: 'sql', diff: 'diff', patch: 'diff', dockerfile: 'dockerfile', makefile: 'mk', graphql: 'graphql',
  elixir: 'ex', haskell: 'hs', clojure: 'clj', zig: 'zig', nix: 'nix', proto: 'proto', tf: 'tf', hcl: 'hcl',
};

/** The extension for a code block's info string (```python → py); `txt` when unknown. */
export function extensionFor(info: string): string {
  const language = info.trim().split(/[\s{,]/)[0]!.toLowerCase();
  return EXTENSIONS[language] ?? 'txt';
}

interface CodeBlock {
  info: string;
  lines: string[];
}

const FENCE = /^ {0,3}(`{3,}|~{3,})(.*)$/;

/** The fenced code blocks of a Markdown text (CommonMark fences; a block still open at the end runs to it). */
export function codeBlocks(text: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  let open: { marker: string; block: CodeBlock } | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const fence = FENCE.exec(line);
    if (open) {
      const closes = fence && fence[1]![0] === open.marker[0] && fence[1]!.length >= open.marker.length && /^[ \t]*$/.test(fence[2]!);
      if (closes) {
        blocks.push(open.block);
        open = undefined;
      } else open.block.lines.push(line);
    } else if (fence && !(fence[1]![0] === '`' && fence[2]!.includes('`'))) {
      open = { marker: fence[1]!, block: { info: fence[2]!.trim(), lines: [] } };
    }
  }
  if (open) blocks.push(open.block);
  return blocks;
}

/** The code blocks of more than `maxLines` lines, as files named `snippet-1.py`, `snippet-2.txt`, … */
export function codeFiles(text: string, maxLines: number): ReplyFile[] {
  return codeBlocks(text)
    .filter((block) => block.lines.length > maxLines)
    .map((block, i) => ({ name: `snippet-${i + 1}.${extensionFor(block.info)}`, data: Buffer.from(`${block.lines.join('\n')}\n`), contentType: 'text/plain; charset=utf-8' }));
}

/** The whole answer as a Markdown file. */
export function answerFile(text: string): ReplyFile {
  return { name: 'answer.md', data: Buffer.from(text), contentType: 'text/markdown; charset=utf-8' };
}
