// Files both ways against real OpenClaw gateways. First the gateway alone, through an operator socket (what the
// gateway does with a file, whatever the bot does): a PNG reaches the fake LLM as an image_url part, 2026.9 serves a
// file the agent wrote through artifacts.download, 2026.2 keeps only its path. Then the real bot process on the
// fake Discord, as a member sees it: a PNG attached to /ask reaches the model with the same bytes, a file the agent
// writes comes back attached to the final (2026.9) or named with a note that the gateway cannot hand it over
// (2026.2), and a text file arrives inlined (2026.2) or as the gateway's own <file> block (2026.9).
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relaySchema } from '../../src/config/schema.js';
import { attributePrompt } from '../../src/relay/prompt.js';
import type { AttachmentInfo, RecordedMessage } from '../fakes/discord/types.js';
import { answer } from '../e2e/answers.js';
import { replyMessages, replyText } from '../e2e/harness.js';
import { waitFor } from '../gateway/helpers.js';
import { BotStacks, checked, describeEndChecks, settledReply, startBotStack, type BotStack } from './harness/bot-stack.js';
import type { FakeLlmRequest } from './harness/fake-llm.js';
import type { OpenClawVersion } from './harness/openclaw.js';
import type { Operator, OperatorFrame } from './harness/operator.js';
import { pngImage } from './harness/png.js';

const VERSIONS: OpenClawVersion[] = ['2026.2.17', '2026.9.6'];
const V3: OpenClawVersion = '2026.2.17';
const V4: OpenClawVersion = '2026.9.6';
const CHANNELS = ['image', 'text-model', 'made', 'made-split', 'made-whole', 'text'];
const ADMIN = { permissions: String(1n << 5n) }; // Manage Server
const PROMPT_TEMPLATE = relaySchema.parse({}).promptTemplate;
/** The default model sees pixels; without it 2026.2 drops images and 2026.9 has them described. */
const IMAGE_MODELS = ['fake-fast'];

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
/** What 2026.2 leaves of a text: every run of whitespace one space (it turns the message's line breaks into spaces). */
const collapsed = (text: string) => text.replace(/\s+/g, ' ').trim();

/** The prompt that makes the agent write `name` from base64 with a real exec and name it in a MEDIA: line. */
function makeFilePrompt(bytes: Buffer, name: string, said: string): string {
  return `TOOLCALL:exec:echo ${bytes.toString('base64')} | base64 -d > ${name} && echo saved REPLY:${said}\\nMEDIA:./${name}`;
}

const stacks = new BotStacks();
const stackOf = (version: OpenClawVersion) => stacks.of(version);

beforeAll(async () => {
  const started = await Promise.allSettled(
    VERSIONS.map(async (version) => {
      stacks.set(version, await startBotStack({ version, channels: CHANNELS, gateway: { imageModels: IMAGE_MODELS } }));
    }),
  );
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
});

afterAll(async () => {
  await Promise.all(stacks.all().map((stack) => stack.close()));
});

interface ChatPayload {
  runId?: string;
  sessionKey?: string;
  state?: string;
  message?: { content?: Array<{ type?: string; text?: string }> };
}

/** The operator's frames of one event name whose payload matches. */
function eventsOf<T>(operator: Operator, event: string, match: (payload: T) => boolean): T[] {
  return operator.frames
    .map((f) => f.frame)
    .filter((frame: OperatorFrame) => frame.type === 'event' && frame.event === event && match(frame.payload as T))
    .map((frame) => frame.payload as T);
}

/** chat.send through the operator socket; resolves with the run's terminal `chat` event. */
async function operatorRun(operator: Operator, params: { sessionKey: string; message: string; attachments?: unknown[] }): Promise<{ runId: string; final: ChatPayload }> {
  const sent = await operator.rpc<{ runId: string }>('chat.send', { ...params, idempotencyKey: randomUUID() });
  const final = await waitFor(
    () => eventsOf<ChatPayload>(operator, 'chat', (p) => p.runId === sent.runId && ['final', 'error', 'aborted'].includes(p.state ?? ''))[0],
    90_000,
    `the end of run ${sent.runId}`,
  );
  return { runId: sent.runId, final };
}

async function pollFor<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The fake LLM's requests whose prompt holds `marker`, once the first of them has come. */
const requestsHolding = (stack: BotStack, marker: string) =>
  waitFor(() => {
    const found = stack.llm.requests.filter((r) => r.promptText.includes(marker));
    return found.length > 0 ? found : undefined;
  }, 60_000, `an LLM request holding ${JSON.stringify(marker)}`);

describe('the gateway alone (an operator socket, no bot)', () => {
  it.concurrent.each(VERSIONS)('openclaw@%s: a PNG on chat.send reaches the fake LLM as an image_url part with the same bytes', async (version) => {
    const { operator, llm } = stackOf(version);
    const png = pngImage(6, 4, 11);
    const marker = `operator-png-${version}`;
    const { final } = await operatorRun(operator, {
      sessionKey: `agent:main:interop:${marker}`,
      message: `what is in this image? ${marker}`,
      attachments: [{ type: 'image', mimeType: 'image/png', fileName: 'dot.png', content: png.toString('base64') }],
    });
    expect(final.state).toBe('final');
    const requests = llm.requests.filter((r) => r.promptText.includes(marker));
    expect(requests.map((r) => r.images)).toEqual([[{ mime: 'image/png', bytes: png.length, sha256: sha256(png) }]]);
    checked(version, `the model got ${JSON.stringify(requests[0]!.images)}; the prompt text ${JSON.stringify(requests[0]!.promptText.slice(0, 240))}`);
  });

  it('openclaw@2026.9.6: a file the agent writes and names in a MEDIA: line is listed by artifacts.list and downloaded over HTTP with its ticket', async () => {
    const { operator, gateway } = stackOf(V4);
    const made = pngImage(5, 5, 23);
    const sessionKey = 'agent:main:interop:operator-made';
    const { runId, final } = await operatorRun(operator, { sessionKey, message: makeFilePrompt(made, 'chart.png', 'Here is the chart') });
    expect(final.state).toBe('final');
    expect(final.message?.content?.map((b) => b.text).join('')).toBe('Here is the chart');
    const mediaUrls = eventsOf<{ runId?: string; stream?: string; data?: { mediaUrls?: string[] } }>(operator, 'agent', (p) => p.runId === runId && p.stream === 'assistant')
      .flatMap((p) => p.data?.mediaUrls ?? []);
    expect([...new Set(mediaUrls)]).toEqual(['./chart.png']);

    type Artifact = { id: string; type: string; title: string; mimeType: string; sizeBytes: number; runId?: string };
    // The file is listed only some 0.5 s after the chat final (the transcript row is rewritten then), with no event
    // for it on this socket: poll.
    const finalAt = Date.now();
    const lists: Array<{ afterMs: number; count: number }> = [];
    const artifacts = await pollFor(async () => {
      const listed = await operator.rpc<{ artifacts: Artifact[] }>('artifacts.list', { sessionKey, runId, messageRole: 'assistant' });
      lists.push({ afterMs: Date.now() - finalAt, count: listed.artifacts.length });
      return listed.artifacts.length > 0 ? listed.artifacts : undefined;
    }, 15_000, 'the artifact');

    expect(artifacts.map((a) => ({ type: a.type, title: a.title, mimeType: a.mimeType, sizeBytes: a.sizeBytes }))).toEqual([
      { type: 'image', title: 'chart.png', mimeType: 'image/png', sizeBytes: made.length },
    ]);
    const download = await operator.rpc<{ url: string; expiresAt: string }>('artifacts.download', { sessionKey, artifactId: artifacts[0]!.id });
    expect(download.url).toMatch(/^\/api\/chat\/media\/outgoing\/.+\?mediaTicket=/);
    const res = await fetch(`${gateway.httpUrl}${download.url}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(sha256(made));
    const withoutTicket = await fetch(`${gateway.httpUrl}${download.url.split('?')[0]}`);
    expect(withoutTicket.status).toBe(401);
    const deltas = eventsOf<ChatPayload>(operator, 'chat', (p) => p.runId === runId && p.state === 'delta').map((p) => p.message?.content?.map((b) => b.text).join(''));
    checked(V4, `chat deltas ${JSON.stringify(deltas)}; artifacts.list after the final: ${lists.map((l) => `${l.count} at ${l.afterMs} ms`).join(', ')}; artifact ${JSON.stringify(artifacts[0])}; GET ${download.url.split('?')[0]} with the ticket: 200 image/png ${made.length} bytes, the same; without it: 401; ticket until ${download.expiresAt}`);
  });

  it('openclaw@2026.2.17: the agent writes the file; the gateway keeps only its path (history text; mediaUrls only when the MEDIA: line came whole, else the final keeps its start)', async () => {
    const { operator, gateway, llm } = stackOf(V3);
    const made = pngImage(5, 5, 29);
    const sessionKey = 'agent:main:interop:operator-made';
    const { runId, final } = await operatorRun(operator, { sessionKey, message: makeFilePrompt(made, 'chart.png', 'Here is the chart') });
    expect(final.state).toBe('final');
    // The fake streams "…chart", "\nMED", "IA", ":./", …: once ":" comes, the cleaned text ("Here is the chart") no
    // longer extends what was streamed, so 2026.2 emits nothing more (mediaUrls included) and the final keeps
    // "\nMEDIA" (dist pi-embedded: handleMessageUpdate, `previousCleaned && !cleanedText.startsWith(previousCleaned)`).
    const streamed = llm.requests.find((r) => r.promptText.includes('chart.png') && r.answer?.kind === 'text');
    expect(streamed?.answer).toEqual({ kind: 'text', text: 'Here is the chart\nMEDIA:./chart.png' });
    expect(final.message?.content?.map((b) => b.text).join('')).toBe('Here is the chart\nMEDIA');
    const assistant = eventsOf<{ runId?: string; stream?: string; data?: { text?: string; mediaUrls?: string[] } }>(operator, 'agent', (p) => p.runId === runId && p.stream === 'assistant');
    expect(assistant.flatMap((p) => p.data?.mediaUrls ?? [])).toEqual([]);
    const history = await operator.rpc<{ messages: Array<{ role: string; content: unknown }> }>('chat.history', { sessionKey });
    const last = history.messages.filter((m) => m.role === 'assistant').at(-1);
    expect(last?.content).toEqual([{ type: 'text', text: 'Here is the chart\nMEDIA:./chart.png' }]);
    expect(sha256(readFileSync(join(gateway.workspaceDir('main'), 'chart.png')))).toBe(sha256(made));
    const methods = ((operator.hello.features as { methods?: string[] } | undefined)?.methods ?? []).filter((m) => m.startsWith('artifacts.'));
    expect(methods).toEqual([]);
    // A reply of many words is streamed a word a chunk, so the media line comes whole.
    const long = 'Here is the chart you asked for, drawn from the numbers in the sheet this morning';
    const whole = await operatorRun(operator, { sessionKey: `${sessionKey}-whole`, message: makeFilePrompt(made, 'chart2.png', long) });
    const wholeEvents = eventsOf<{ runId?: string; stream?: string; data?: { text?: string; mediaUrls?: string[] } }>(operator, 'agent', (p) => p.runId === whole.runId && p.stream === 'assistant');
    expect(whole.final.message?.content).toEqual([{ type: 'text', text: long }]);
    expect(wholeEvents.at(-1)?.data).toEqual({ text: long, delta: '', mediaUrls: ['./chart2.png'] });
    checked(V3, `split line: final ${JSON.stringify(final.message?.content)}, last assistant event ${JSON.stringify(assistant.at(-1)?.data)}; whole line: ${JSON.stringify(wholeEvents.at(-1)?.data)}; history ${JSON.stringify(last?.content)}; the file is in the workspace; no artifacts.* method`);
  });

  it.concurrent.each(VERSIONS)('openclaw@%s: a text file on chat.send (2026.2 drops it; 2026.9 puts it in a <file> block)', async (version) => {
    const { operator, llm } = stackOf(version);
    const marker = `operator-text-${version}`;
    const text = 'first line of the notes\nsecond line\n';
    const { final } = await operatorRun(operator, {
      sessionKey: `agent:main:interop:${marker}`,
      message: `summarise the notes ${marker}`,
      attachments: [{ type: 'file', mimeType: 'text/plain', fileName: 'notes.txt', content: Buffer.from(text).toString('base64') }],
    });
    expect(final.state).toBe('final');
    const [request] = llm.requests.filter((r) => r.promptText.includes(marker));
    if (version === V4) {
      expect(request!.promptText).toMatch(/<file name="notes[^"]*\.txt" mime="text\/plain">/);
      expect(request!.promptText).toContain(text.trim());
    } else {
      expect(request!.promptText).not.toContain('first line of the notes');
    }
    checked(version, `the model's prompt: ${JSON.stringify(request!.promptText)}`);
  });
});

/** Helpers bound to one version's stack, for the bot's side. */
function on(version: OpenClawVersion) {
  const stack = stackOf(version);
  const { discord } = stack;
  const channel = (name: string) => discord.channelId(name);
  /** The /ask option names that take a file, as the bot registered them. */
  const fileOptions = () => {
    const ask = discord.commands().find((c) => c.name === 'ask');
    const names = (ask?.options ?? []).filter((o) => o['type'] === 11).map((o) => String(o['name']));
    if (names.length === 0) throw new Error(`/ask takes no file: its options are ${JSON.stringify(ask?.options?.map((o) => o['name']))}`);
    return names;
  };
  return {
    stack,
    discord,
    llm: stack.llm,
    channel,
    userText: (prompt: string) => attributePrompt(PROMPT_TEMPLATE, { id: discord.defaultUserId, name: 'Tester' }, prompt),
    /** A slash command and what its user reads. */
    async command(name: string, options: Record<string, string>, where: string, member?: object) {
      const { token } = discord.sendChatInput({ name, options, channelId: channel(where), ...(member ? { member } : {}) });
      return (await answer(discord, token, { timeoutMs: 30_000 })).content;
    },
    /** /ask with files: each is put on the fake CDN (a slash command's upload) and given to the next file option. */
    ask(prompt: string, where: string, files: Array<{ filename: string; data: Buffer | string; contentType?: string }> = []) {
      const names = files.length > 0 ? fileOptions() : [];
      const uploaded = files.map((file) => discord.addAttachment(file, { channelId: channel(where) }));
      const options: Record<string, string> = { prompt };
      uploaded.forEach((info, i) => (options[names[i]!] = info.id));
      return { ...discord.sendChatInput({ name: 'ask', options, channelId: channel(where) }), uploaded };
    },
  };
}

/** Every file on a reply's messages, in order. */
const filesOf = (messages: RecordedMessage[]): AttachmentInfo[] => messages.flatMap((m) => m.attachments);

describe('an image to the agent, through the bot', () => {
  it.concurrent.each(VERSIONS)('openclaw@%s: a PNG attached to /ask reaches the model as an image_url part with the bytes the member attached', async (version) => {
    const { ask, stack, llm } = on(version);
    const png = pngImage(8, 8, version === V3 ? 3 : 4);
    const marker = `describe-${version}`;
    const { token, uploaded } = ask(`what is in this image? ${marker}`, 'image', [{ filename: 'dot.png', data: png }]);
    const messages = await settledReply(stack.discord, token, 60_000);
    const requests = await requestsHolding(stack, marker);
    expect(uploaded[0]!.sha256).toBe(sha256(png));
    expect(requests.map((r) => r.images)).toEqual([[{ mime: 'image/png', bytes: png.length, sha256: uploaded[0]!.sha256 }]]);
    expect(replyText(messages)).toBe(llm.expectedReply('fake-fast', requests[0]!.userText));
    expect(filesOf(messages)).toEqual([]);
    checked(version, `the model got ${JSON.stringify(requests[0]!.images)}; the reply ${JSON.stringify(replyText(messages).slice(0, 200))}`);
  });

  it('openclaw@2026.2.17: a PNG for a model without image input is refused privately, naming the file, the model and the prompt, and nothing reaches the model', async () => {
    // 2026.2 would drop the picture without a word (the operator test above has it reach only an image model).
    const { ask, command, stack } = on(V3);
    expect(await command('model', { model: 'fake/fake-smart' }, 'text-model', ADMIN)).toContain('`fake/fake-smart`');
    const marker = 'text-model-v3';
    const prompt = `what is in this image? ${marker}`;
    const { token } = ask(prompt, 'text-model', [{ filename: 'dot.png', data: pngImage(4, 4, 5) }]);
    const refusal = await answer(stack.discord, token, { timeoutMs: 30_000 });
    expect(refusal.ephemeral).toBe(true);
    expect(refusal.content).toContain('dot.png');
    expect(refusal.content).toContain('fake/fake-smart');
    expect(refusal.content).toContain(prompt);
    // The one fixed wait: a request that must not come has no event to wait for.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(stack.llm.requests.filter((r) => r.promptText.includes(marker))).toEqual([]);
    checked(V3, `the asker read ${JSON.stringify(refusal.content)}`);
  });
});

describe('a file the agent writes, through the bot', () => {
  it('openclaw@2026.9.6: it comes back attached to the final with the same bytes, and no MEDIA: line shows', async () => {
    const { ask, stack } = on(V4);
    const made = pngImage(7, 5, 41);
    const { token } = ask(makeFilePrompt(made, 'chart.png', 'Here is the chart'), 'made');
    await settledReply(stack.discord, token, 90_000);
    const messages = await waitFor(() => {
      const shown = replyMessages(stack.discord, token);
      return filesOf(shown).length > 0 ? shown : undefined;
    }, 30_000, 'the produced file on the reply').catch((error: Error) => {
      const logged = stack.bot.output.filter((line) => /media|produced|artifact|file|upload/i.test(line)).map((line) => line.slice(0, 500));
      throw new Error(`${error.message}; the reply shows ${JSON.stringify(replyMessages(stack.discord, token).map((m) => m.content))}; the bot logged ${JSON.stringify(logged)}`, { cause: error });
    });
    expect(replyText(messages)).toBe('Here is the chart');
    const final = messages.at(-1)!;
    expect(final.attachments.map((a) => ({ filename: a.filename, size: a.size, sha256: a.sha256 }))).toEqual([
      { filename: 'chart.png', size: made.length, sha256: sha256(made) },
    ]);
    expect(messages.flatMap((m) => m.versions).filter((v) => v.content.includes('MEDIA:'))).toEqual([]);
    const firstWithFile = final.versions.findIndex((v) => v.attachments.length > 0);
    const shown = messages.flatMap((m) => m.versions.map((v) => v.content));
    checked(V4, `shown while streaming ${JSON.stringify(shown)}; the final ${JSON.stringify(final.content)} carries ${JSON.stringify(final.attachments.map((a) => `${a.filename} ${a.contentType} ${a.size} B`))} (version ${firstWithFile + 1} of ${final.versions.length} of that message)`);
  });

  // The reply decides how the fake LLM streams the MEDIA: line: after three words it is split ("\nMED", "IA", ":./"…),
  // and 2026.2 then sends no mediaUrls and a final ending in "\nMEDIA"; after fifteen words it comes in one chunk.
  it.concurrent.each([
    ['split across chunks', 'Here is the chart', 'chart.png', 'made-split'],
    ['in one chunk', 'Here is the chart you asked for, drawn from the numbers in the sheet this morning', 'chart2.png', 'made-whole'],
  ])('openclaw@2026.2.17: the reply names the file and says this gateway cannot hand it over (the MEDIA: line %s)', async (_how, said, name, where) => {
    const { ask, stack } = on(V3);
    const made = pngImage(7, 5, name.length);
    const { token } = ask(makeFilePrompt(made, name, said), where);
    const messages = await settledReply(stack.discord, token, 90_000);
    const text = replyText(messages);
    expect(text.startsWith(said), `the reply ${JSON.stringify(messages.map((m) => m.content))} starts with ${JSON.stringify(said)}`).toBe(true);
    // The line may be the answer's own or small print under it.
    const shown = messages.map((m) => m.content).join('\n');
    const note = shown.split('\n').find((line) => line.includes(name));
    expect(note, `a line naming ${name} in ${JSON.stringify(shown)}`).toBeDefined();
    expect(note).toMatch(/\b(?:cannot|can't|can not)\b/i);
    expect(shown).not.toMatch(/\bMEDIA\b/);
    expect(filesOf(messages)).toEqual([]);
    // The agent did write it: the gateway just has no way to give it out.
    expect(sha256(readFileSync(join(stack.gateway.workspaceDir('main'), name)))).toBe(sha256(made));
    checked(V3, `the reply ${JSON.stringify(shown)}`);
  });
});

describe('a text file to the agent, through the bot', () => {
  const notes = 'Release notes\n  - faster uploads\n  - fewer pings\n\nEnd of notes.\n';

  it('openclaw@2026.2.17: it arrives inlined in the user text with its name (the gateway turns its line breaks into spaces)', async () => {
    const { ask, stack, llm } = on(V3);
    const marker = 'summarise-v3';
    const { token } = ask(`summarise these ${marker}`, 'text', [{ filename: 'notes.txt', data: notes }]);
    const messages = await settledReply(stack.discord, token, 60_000);
    const [request, ...others] = await requestsHolding(stack, marker);
    expect(others).toEqual([]);
    expect(request!.images).toEqual([]);
    expect(request!.userText).toContain('notes.txt');
    expect(collapsed(request!.userText)).toContain(collapsed(notes));
    expect(request!.userText.split(collapsed(notes)).length - 1).toBe(1);
    expect(replyText(messages)).toBe(llm.expectedReply('fake-fast', request!.userText));
    checked(V3, `the model's user text ${JSON.stringify(request!.userText)}`);
  });

  it('openclaw@2026.9.6: it arrives as the gateway\'s own <file> block, once, its lines intact', async () => {
    const { ask, stack } = on(V4);
    const marker = 'summarise-v4';
    const { token } = ask(`summarise these ${marker}`, 'text', [{ filename: 'notes.txt', data: notes }]);
    const messages = await settledReply(stack.discord, token, 60_000);
    const [request, ...others] = await requestsHolding(stack, marker);
    expect(others).toEqual([]);
    const block = /<file name="notes[^"]*\.txt" mime="text\/plain">([\s\S]*?)<\/file>/.exec(request!.promptText);
    expect(block, `a <file> block in ${JSON.stringify(request!.promptText)}`).not.toBeNull();
    expect(block![1]).toContain(notes.trim());
    // Sent as a file, not also inlined by the bot.
    expect(request!.promptText.split('- faster uploads').length - 1).toBe(1);
    expect(messages.length).toBeGreaterThan(0);
    checked(V4, `the model's prompt ${JSON.stringify(request!.promptText.slice(0, 600))}`);
  });
});

describeEndChecks(VERSIONS, stacks);
