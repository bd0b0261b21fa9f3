// An OpenAI-compatible chat-completions server for the test gateways (runs in the test process).
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
    const stream = body.stream === true;
    const status =
      failQueue.shift() ?? (userText.includes('FAIL500') ? 500 : userText.includes('FAIL400') ? 400 : 200);
    const rec: FakeLlmRequest = { model, userText, stream, status, closedByClient: false, at: Date.now(), body };
    api.requests.push(rec);
    res.on('close', () => {
      if (!res.writableFinished) rec.closedByClient = true;
    });

    if (status !== 200) {
      const type = status >= 500 ? 'server_error' : 'invalid_request_error';
      json(res, status, { error: { message: `fake-llm injected HTTP ${status}`, type, code: null } });
      return;
    }

    const slow = slowWhen.test(userText);
    const reply = api.expectedReply(model, userText);
    const tokens = slow ? tokenize(reply, api.slowTokens) : tokenize(reply, 12);
    const delay = slow ? api.slowTokenDelayMs : api.tokenDelayMs;
    const id = `chatcmpl-fake-${++completionId}`;
    const created = Math.floor(Date.now() / 1000);
    // Small, fixed-ish usage: reporting the real prompt size (~25k tokens) makes the gateway compact the session.
    const usage = { prompt_tokens: 10 + Math.ceil(userText.length / 4), completion_tokens: tokens.length };
    const usageBody = { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens };

    if (!stream) {
      await sleep(delay * tokens.length);
      if (rec.closedByClient) return;
      json(res, 200, {
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [{ index: 0, message: { role: 'assistant', content: reply }, finish_reason: 'stop' }],
        usage: usageBody,
      });
      return;
    }

    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const send = (delta: Record<string, unknown>, finish: string | null = null) =>
      res.write(
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`,
      );
    send({ role: 'assistant', content: '' });
    for (const token of tokens) {
      await sleep(delay);
      if (rec.closedByClient) return;
      send({ content: token });
    }
    send({}, 'stop');
    const streamOptions = body.stream_options as { include_usage?: boolean } | undefined;
    if (streamOptions?.include_usage) {
      res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage: usageBody })}\n\n`);
    }
    res.end('data: [DONE]\n\n');
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
