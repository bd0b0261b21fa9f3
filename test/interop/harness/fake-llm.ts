// An OpenAI-compatible chat-completions server for the test gateways (runs in the test process).
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface FakeLlmRequest {
  model: string;
  userText: string;
  stream: boolean;
  /** HTTP status answered (200, or the injected failure). */
  status: number;
  /** True when the client closed the request before the response was complete (e.g. the run was aborted). */
  closedByClient: boolean;
  at: number;
  /** The parsed request body, as sent by the gateway. */
  body: unknown;
  /** Names of the tools the gateway offered the model in this request. */
  tools: string[];
  /** Tool results the gateway sent back since the prompt (`role: "tool"` messages), in order. */
  toolResults: ToolResult[];
  /** The prompt (the last user message that is not the gateway's internal context) as the model got it: every text
   * part joined, the gateway's envelope and any file blocks included. */
  promptText: string;
  /** The `image_url` parts of the prompt, in order. */
  images: ImagePart[];
  /** The usage the fake reported for this answer (OpenAI names). */
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  /** What the fake answered: plain text, or tool calls (with any text said before them). */
  answer?: { kind: 'text'; text: string } | { kind: 'tool_calls'; say: string; calls: ToolCall[] };
}

export interface ToolCall {
  id: string;
  name: string;
  arguments: Record<string, unknown>;
}

/** One `image_url` part: a `data:` URL decoded (MIME type, size and SHA-256 of the bytes), or the URL as given. */
export interface ImagePart {
  mime: string | null;
  bytes: number | null;
  sha256: string | null;
  /** Only for a URL that is not `data:…;base64,`. */
  url?: string;
}

export interface ToolResult {
  toolCallId: string;
  /** The tool's name, from the call the fake made with that id. */
  name: string | undefined;
  text: string;
}

export interface FakeLlmOptions {
  /** Delay before each streamed token (default 30 ms). */
  tokenDelayMs?: number;
  /** Delay per token for prompts containing SLOW (default 400 ms). */
  slowTokenDelayMs?: number;
  /** Number of tokens of a SLOW reply (default 40: "slow1 slow2 … slow40"). */
  slowTokens?: number;
  /** Which prompts get the slow reply (default: those containing SLOW). */
  slowWhen?: RegExp;
}

export interface FakeLlm {
  /** e.g. http://127.0.0.1:40123/v1, the provider baseUrl. */
  baseUrl: string;
  port: number;
  requests: FakeLlmRequest[];
  tokenDelayMs: number;
  slowTokenDelayMs: number;
  slowTokens: number;
  /** The next chat request (only that one) answers this HTTP status with an OpenAI-style error body. */
  failNext(status: number): void;
  /** The full reply the fake gives for this model ("fake/fake-fast" or "fake-fast") and user text. */
  expectedReply(model: string, userText: string): string;
  close(): Promise<void>;
}

export const FAKE_MODELS = ['fake-fast', 'fake-smart'] as const;
const SUBAGENTS_SETTLED_MARKER = 'Every subagent spawned from this session has now settled';
/** What the fake answers in the successor turn of a yielded v4 run. */
export const SUCCESSOR_REPLY = 'Successor turn: the sub-agents are done.';
const INTERNAL_CONTEXT_MARKER = '<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>>';

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => (part && typeof part === 'object' && 'text' in part ? String((part as { text: unknown }).text) : ''))
      .join('');
  }
  return '';
}

// The gateway wraps the typed text in an envelope. v4: "[Tue 2026-11-24 18:40 UTC] <text>\n\nRuntime: …";
// v3: "Conversation info (untrusted metadata):\n```json…```\n\n[Wed 2026-11-25 01:39 UTC] <text>", sometimes after
// "System: […] …" lines. The typed text follows the last "[<weekday> <date> <time> <tz>]" stamp.
const ENVELOPE_STAMP = /(?:^|\n)\[(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{4}-\d{2}-\d{2} \d{2}:\d{2}[^\]\n]*\] ?/g;

/** The text the user typed: the last user turn that is not the gateway's internal-context block, unwrapped. */
export function extractUserText(body: unknown): string {
  const messages = (body as { messages?: unknown })?.messages;
  if (!Array.isArray(messages)) return '';
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i] as { role?: unknown; content?: unknown } | null;
    if (m?.role !== 'user') continue;
    let text = textOf(m.content);
    if (text.includes(INTERNAL_CONTEXT_MARKER)) continue;
    const stamps = [...text.matchAll(ENVELOPE_STAMP)];
    const last = stamps[stamps.length - 1];
    if (last) text = text.slice(last.index + last[0].length);
    return text.replace(/\n\nRuntime:[\s\S]*$/, '').trim();
  }
  return '';
}

// Tool-calling prompts. `SAY:<text>` is said before the next tool call (in the same response), each
// `TOOLCALL:<tool>:<args>` is one model step that calls a tool, and `REPLY:<text>` is the final answer once every
// tool result is back (default `Tool results: <tool>=<result>; …`; `{results}` in it stands for that list). <args> is
// a JSON object, or a plain string given to the tool's first required parameter (exec: command, read: path).
const TRIGGER = /(?:^|\s)(SAY|TOOLCALL|REPLY):/g;

export interface ToolScript {
  steps: Array<{ say: string; tool: string; args: string }>;
  reply: string | undefined;
}

/** The tool script in a prompt, or undefined when the prompt has no TOOLCALL. */
export function parseToolScript(userText: string): ToolScript | undefined {
  const marks: Array<{ kind: 'SAY' | 'TOOLCALL' | 'REPLY'; start: number; body: number }> = [];
  // JSON arguments are taken whole, so a sub-agent's task may itself hold a script (its REPLY: is not this one's).
  let skipUntil = 0;
  for (const m of userText.matchAll(TRIGGER)) {
    if (m.index < skipUntil) continue;
    const mark = { kind: m[1] as 'SAY' | 'TOOLCALL' | 'REPLY', start: m.index, body: m.index + m[0].length };
    marks.push(mark);
    if (mark.kind === 'TOOLCALL') {
      const args = /^[\w.-]+:\s*\{/.exec(userText.slice(mark.body));
      if (args) skipUntil = jsonObjectEnd(userText, mark.body + args[0].length - 1);
    }
  }
  if (!marks.some((m) => m.kind === 'TOOLCALL')) return undefined;
  const script: ToolScript = { steps: [], reply: undefined };
  let say: string[] = [];
  marks.forEach((mark, i) => {
    const text = userText.slice(mark.body, marks[i + 1]?.start ?? userText.length).trim();
    if (mark.kind === 'SAY') say.push(text);
    else if (mark.kind === 'REPLY') script.reply = text;
    else {
      const colon = text.indexOf(':');
      const tool = colon < 0 ? text : text.slice(0, colon);
      script.steps.push({ say: say.join(' '), tool, args: colon < 0 ? '' : text.slice(colon + 1).trim() });
      say = [];
    }
  });
  return script;
}

/** The index just past the JSON object starting at `from` (or the text's end when it never closes). */
function jsonObjectEnd(text: string, from: number): number {
  let depth = 0;
  let inString = false;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i + 1;
  }
  return text.length;
}

// Real tools run on the test machine: only these exec commands, without shell operators.
const HARMLESS_COMMAND = /^(?:echo|printf|sleep|cat|ls|pwd|true)(?:\s[^;&|<>`$(){}\\]*)?$/;
// The compound forms allowed: a long step that leaves a marker file when it completes (the Stop tests check that
// the marker never appears), and a step that takes a while before it prints.
const SLEEP_THEN_TOUCH = /^sleep \d+(?:\.\d+)?; touch \/[\w./-]+$/;
const SLEEP_THEN_ECHO = /^sleep \d+(?:\.\d+)?; echo [\w .,-]*$/;
// An agent that makes a file (the files-out tests): base64 bytes into a plain name in the working directory.
const WRITE_FILE = /^echo [A-Za-z0-9+/]+=* \| base64 -d > [\w-]+(?:\.[\w-]+)?(?: && echo [\w .,-]*)?$/;
const harmless = (command: string) =>
  HARMLESS_COMMAND.test(command) || SLEEP_THEN_ECHO.test(command) || WRITE_FILE.test(command) || (SLEEP_THEN_TOUCH.test(command) && !command.includes('..'));

interface OfferedTool {
  name: string;
  parameters?: { required?: unknown; properties?: Record<string, unknown> };
}

function offeredTools(body: Record<string, unknown>): OfferedTool[] {
  if (!Array.isArray(body.tools)) return [];
  return body.tools
    .map((t) => (t as { function?: OfferedTool }).function)
    .filter((f): f is OfferedTool => typeof f?.name === 'string');
}

/** The arguments of a scripted call, or why it cannot be made. */
function toolArguments(step: ToolScript['steps'][number], offered: OfferedTool[]): Record<string, unknown> | string {
  const tool = offered.find((t) => t.name === step.tool);
  if (!tool) return `the gateway did not offer tool ${step.tool} (offered: ${offered.map((t) => t.name).join(', ') || 'none'})`;
  let args: Record<string, unknown>;
  if (step.args.startsWith('{')) {
    try {
      args = JSON.parse(step.args) as Record<string, unknown>;
    } catch {
      return `arguments for ${step.tool} are not JSON: ${step.args}`;
    }
  } else {
    const required = Array.isArray(tool.parameters?.required) ? (tool.parameters.required as string[]) : [];
    const first = required[0] ?? Object.keys(tool.parameters?.properties ?? {})[0];
    if (!first) return `tool ${step.tool} takes no parameter for ${JSON.stringify(step.args)}`;
    args = { [first]: step.args };
  }
  const command = step.tool === 'exec' ? args.command : undefined;
  if (command !== undefined && (typeof command !== 'string' || !harmless(command.trim()))) {
    return `exec command ${JSON.stringify(command)} is not on the fake's harmless list`;
  }
  return args;
}

/** Index of the prompt: the last user message that is not the gateway's internal-context block. */
function promptIndex(messages: unknown[]): number {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i] as { role?: unknown; content?: unknown } | null;
    if (m?.role === 'user' && !textOf(m.content).includes(INTERNAL_CONTEXT_MARKER)) return i;
  }
  return -1;
}

/** The prompt's text parts joined, and its image parts decoded. */
function promptParts(body: Record<string, unknown>): { text: string; images: ImagePart[] } {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const prompt = messages[promptIndex(messages)] as { content?: unknown } | undefined;
  const content = prompt?.content;
  if (!Array.isArray(content)) return { text: textOf(content), images: [] };
  const images: ImagePart[] = [];
  for (const part of content as Array<{ type?: unknown; image_url?: unknown }>) {
    if (part?.type !== 'image_url') continue;
    const url = typeof part.image_url === 'string' ? part.image_url : String((part.image_url as { url?: unknown } | undefined)?.url ?? '');
    const data = /^data:([^;,]+);base64,(.*)$/s.exec(url);
    if (!data) {
      images.push({ mime: null, bytes: null, sha256: null, url: url.slice(0, 200) });
      continue;
    }
    const bytes = Buffer.from(data[2]!, 'base64');
    images.push({ mime: data[1]!, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
  }
  return { text: textOf(content), images };
}

/** What the gateway sent back since the prompt: the fake's own tool calls and their results. */
function toolTurns(body: Record<string, unknown>): { calls: number; results: ToolResult[] } {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const names = new Map<string, string>();
  const results: ToolResult[] = [];
  let calls = 0;
  for (const raw of messages.slice(promptIndex(messages) + 1)) {
    const m = raw as { role?: unknown; content?: unknown; tool_calls?: unknown; tool_call_id?: unknown } | null;
    if (m?.role === 'assistant' && Array.isArray(m.tool_calls) && m.tool_calls.length > 0) {
      calls++;
      for (const c of m.tool_calls as Array<{ id?: string; function?: { name?: string } }>) {
        if (c.id) names.set(c.id, c.function?.name ?? '');
      }
    } else if (m?.role === 'tool') {
      const id = String(m.tool_call_id ?? '');
      results.push({ toolCallId: id, name: names.get(id), text: textOf(m.content) });
    }
  }
  return { calls, results };
}

function finalToolReply(script: ToolScript, results: ToolResult[]): string {
  const list = results.map((r) => `${r.name ?? '?'}=${r.text.trim()}`).join('; ');
  if (script.reply === undefined) return `Tool results: ${list}`;
  // A literal "\n" is a line break: 2026.2 turns real ones in chat.send into spaces, and a MEDIA: line must be a line.
  return script.reply.replaceAll('{results}', list).replaceAll('\\n', '\n');
}

function localModel(model: string): string {
  return model.includes('/') ? model.slice(model.indexOf('/') + 1) : model;
}

/** Splits text into about `n` chunks whose concatenation is the text. */
function tokenize(text: string, n: number): string[] {
  const tokens = text.match(/\s*\S+/g) ?? [text];
  // few words: split the longest ones; many words: merge neighbours
  while (tokens.length < n) {
    let longest = 0;
    for (let i = 1; i < tokens.length; i++) if (tokens[i]!.length > tokens[longest]!.length) longest = i;
    const t = tokens[longest]!;
    if (t.length < 4) break;
    tokens.splice(longest, 1, t.slice(0, t.length >> 1), t.slice(t.length >> 1));
  }
  const size = Math.ceil(tokens.length / n);
  const out: string[] = [];
  for (let i = 0; i < tokens.length; i += size) out.push(tokens.slice(i, i + size).join(''));
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startFakeLlm(opts: FakeLlmOptions = {}): Promise<FakeLlm> {
  const failQueue: number[] = [];
  const slowWhen = opts.slowWhen ?? /SLOW/;
  const sockets = new Set<Socket>();
  let completionId = 0;

  const api: FakeLlm = {
    baseUrl: '',
    port: 0,
    requests: [],
    tokenDelayMs: opts.tokenDelayMs ?? 30,
    slowTokenDelayMs: opts.slowTokenDelayMs ?? 400,
    slowTokens: opts.slowTokens ?? 40,
    failNext(status) {
      failQueue.push(status);
    },
    expectedReply(model, userText) {
      if (slowWhen.test(userText)) {
        return Array.from({ length: api.slowTokens }, (_, i) => `slow${i + 1}`).join(' ');
      }
      return `Hello from fake-llm (${localModel(model)}). You said: ${userText}`;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };

  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  async function completions(res: http.ServerResponse, raw: string) {
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      // accept anything; an unparsable body is answered like an empty prompt
    }
    const model = typeof body.model === 'string' ? body.model : 'unknown';
    const userText = extractUserText(body);
    const prompt = promptParts(body);
    const stream = body.stream === true;
    const status =
      failQueue.shift() ?? (userText.includes('FAIL500') ? 500 : userText.includes('FAIL400') ? 400 : 200);
    completionId++;
    const rec: FakeLlmRequest = {
      model,
      userText,
      stream,
      status,
      closedByClient: false,
      at: Date.now(),
      body,
      tools: offeredTools(body).map((t) => t.name),
      toolResults: toolTurns(body).results,
      promptText: prompt.text,
      images: prompt.images,
    };
    api.requests.push(rec);
    res.on('close', () => {
      if (!res.writableFinished) rec.closedByClient = true;
    });

    if (status !== 200) {
      const type = status >= 500 ? 'server_error' : 'invalid_request_error';
      json(res, status, { error: { message: `fake-llm injected HTTP ${status}`, type, code: null } });
      return;
    }

    const answer = decideAnswer(model, userText, body, rec);
    rec.answer = answer;
    const slow = answer.kind === 'text' && slowWhen.test(userText);
    const spoken = answer.kind === 'text' ? answer.text : answer.say;
    const tokens = !spoken ? [] : slow ? tokenize(spoken, api.slowTokens) : tokenize(spoken, 12);
    const delay = slow ? api.slowTokenDelayMs : api.tokenDelayMs;
    const toolCalls = answer.kind === 'tool_calls'
      ? answer.calls.map((c, index) => ({ index, id: c.id, type: 'function', function: { name: c.name, arguments: JSON.stringify(c.arguments) } }))
      : [];
    const finish = toolCalls.length > 0 ? 'tool_calls' : 'stop';
    const id = `chatcmpl-fake-${completionId}`;
    const created = Math.floor(Date.now() / 1000);
    // Small, fixed-ish usage: reporting the real prompt size (~25k tokens) makes the gateway compact the session.
    const usage = { prompt_tokens: 10 + Math.ceil(userText.length / 4), completion_tokens: tokens.length + toolCalls.length };
    const usageBody = { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens };
    rec.usage = usageBody;

    if (!stream) {
      await sleep(delay * tokens.length);
      if (rec.closedByClient) return;
      const message = toolCalls.length > 0
        ? { role: 'assistant', content: spoken || null, tool_calls: toolCalls.map(({ index: _, ...call }) => call) }
        : { role: 'assistant', content: spoken };
      json(res, 200, { id, object: 'chat.completion', created, model, choices: [{ index: 0, message, finish_reason: finish }], usage: usageBody });
      return;
    }

    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const send = (delta: Record<string, unknown>, finishReason: string | null = null) =>
      res.write(
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finishReason }] })}\n\n`,
      );
    send({ role: 'assistant', content: '' });
    for (const token of tokens) {
      await sleep(delay);
      if (rec.closedByClient) return;
      send({ content: token });
    }
    // Like OpenAI: the first chunk of a call names it, the arguments follow in pieces.
    for (const call of toolCalls) {
      await sleep(delay);
      if (rec.closedByClient) return;
      const args = call.function.arguments;
      const cut = Math.ceil(args.length / 2);
      send({ tool_calls: [{ ...call, function: { name: call.function.name, arguments: '' } }] });
      send({ tool_calls: [{ index: call.index, function: { arguments: args.slice(0, cut) } }] });
      send({ tool_calls: [{ index: call.index, function: { arguments: args.slice(cut) } }] });
    }
    send({}, finish);
    const streamOptions = body.stream_options as { include_usage?: boolean } | undefined;
    if (streamOptions?.include_usage) {
      res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage: usageBody })}\n\n`);
    }
    res.end('data: [DONE]\n\n');
  }

  /** Plain prompts get the greeting (or the slow reply); tool scripts get their next step. */
  function decideAnswer(model: string, userText: string, body: Record<string, unknown>, rec: FakeLlmRequest): NonNullable<FakeLlmRequest['answer']> {
    // The turn a v4 gateway starts after a yield: its prompt quotes the child's task (script included), which must
    // not run again.
    if (userText.includes(SUBAGENTS_SETTLED_MARKER)) return { kind: 'text', text: SUCCESSOR_REPLY };
    const script = parseToolScript(userText);
    if (!script) return { kind: 'text', text: api.expectedReply(model, userText) };
    const done = toolTurns(body);
    const step = script.steps[done.calls];
    if (!step) return { kind: 'text', text: finalToolReply(script, rec.toolResults) };
    const args = toolArguments(step, offeredTools(body));
    if (typeof args === 'string') return { kind: 'text', text: `fake-llm cannot call the tool: ${args}` };
    return { kind: 'tool_calls', say: step.say, calls: [{ id: `call_${completionId}_0`, name: step.tool, arguments: args }] };
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = (req.url ?? '/').split('?')[0];
      if (req.method === 'GET' && (url === '/v1/models' || url === '/models')) {
        json(res, 200, {
          object: 'list',
          data: FAKE_MODELS.map((id) => ({ id, object: 'model', created: 0, owned_by: 'fake' })),
        });
      } else if (req.method === 'POST' && (url === '/v1/chat/completions' || url === '/chat/completions')) {
        completions(res, Buffer.concat(chunks).toString('utf8')).catch((err: unknown) => {
          if (!res.headersSent) json(res, 500, { error: { message: String(err), type: 'server_error' } });
          else res.destroy();
        });
      } else {
        json(res, 404, { error: { message: `fake-llm: no route ${req.method} ${url}`, type: 'not_found' } });
      }
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  api.port = (server.address() as AddressInfo).port;
  api.baseUrl = `http://127.0.0.1:${api.port}/v1`;
  return api;
}
