// The interop harness's own pieces that need no gateway: the fake LLM's tool scripts and the secret scan.
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { parseToolScript, startFakeLlm, SUCCESSOR_REPLY } from './harness/fake-llm.js';
import { execApprovalConfig } from './harness/openclaw.js';
import { pngImage } from './harness/png.js';
import { findSecrets, MEDIA_TICKET_SHAPES } from './harness/secrets.js';

describe('the fake LLM', () => {
  it('reads SAY, TOOLCALL and REPLY in order, each SAY belonging to the next tool call', () => {
    expect(parseToolScript('[Tester (1)] SAY:Let me check. TOOLCALL:exec:echo one SAY:Next. TOOLCALL:read:notes.txt REPLY:Done: {results}')).toEqual({
      steps: [
        { say: 'Let me check.', tool: 'exec', args: 'echo one' },
        { say: 'Next.', tool: 'read', args: 'notes.txt' },
      ],
      reply: 'Done: {results}',
    });
    expect(parseToolScript('TOOLCALL:sessions_yield:{"acknowledgment":"later"}')?.steps[0]?.args).toBe('{"acknowledgment":"later"}');
    expect(parseToolScript('hello, no tools here')).toBeUndefined();
  });

  it('answers a tool script with a streamed tool call, then with the final text once the result is back', async () => {
    const llm = await startFakeLlm({ tokenDelayMs: 1 });
    try {
      const tools = [{ type: 'function', function: { name: 'exec', parameters: { type: 'object', required: ['command'], properties: { command: { type: 'string' } } } } }];
      const prompt = { role: 'user', content: 'SAY:Checking. TOOLCALL:exec:echo hi REPLY:Got {results}' };
      const first = await post(llm.baseUrl, { model: 'fake-fast', stream: true, tools, messages: [prompt] });
      const chunks = sse(first);
      expect(chunks.map((c) => c.delta.content ?? '').join('')).toBe('Checking.');
      const named = chunks.find((c) => c.delta.tool_calls?.[0]?.function?.name);
      expect(named?.delta.tool_calls?.[0]).toMatchObject({ index: 0, type: 'function', function: { name: 'exec' } });
      expect(chunks.flatMap((c) => c.delta.tool_calls ?? []).map((t) => t.function?.arguments ?? '').join('')).toBe('{"command":"echo hi"}');
      expect(chunks.at(-1)?.finish_reason).toBe('tool_calls');

      const id = named!.delta.tool_calls![0]!.id!;
      const call = { role: 'assistant', content: 'Checking.', tool_calls: [{ id, type: 'function', function: { name: 'exec', arguments: '{"command":"echo hi"}' } }] };
      const second = await post(llm.baseUrl, { model: 'fake-fast', stream: true, tools, messages: [prompt, call, { role: 'tool', tool_call_id: id, content: 'hi' }] });
      expect(sse(second).map((c) => c.delta.content ?? '').join('')).toBe('Got exec=hi');
      expect(llm.requests[1]!.toolResults).toEqual([{ toolCallId: id, name: 'exec', text: 'hi' }]);
    } finally {
      await llm.close();
    }
  });

  it('refuses exec commands outside its harmless list and tools the gateway did not offer', async () => {
    const llm = await startFakeLlm({ tokenDelayMs: 1 });
    try {
      const tools = [{ type: 'function', function: { name: 'exec', parameters: { required: ['command'] } } }];
      await post(llm.baseUrl, { model: 'fake-fast', tools, messages: [{ role: 'user', content: 'TOOLCALL:exec:rm -rf notes' }] });
      await post(llm.baseUrl, { model: 'fake-fast', tools, messages: [{ role: 'user', content: 'TOOLCALL:exec:echo a; echo b' }] });
      await post(llm.baseUrl, { model: 'fake-fast', tools, messages: [{ role: 'user', content: 'TOOLCALL:read:notes.txt' }] });
      expect(llm.requests.map((r) => r.answer?.kind)).toEqual(['text', 'text', 'text']);
      expect(llm.requests.map((r) => (r.answer?.kind === 'text' ? r.answer.text : ''))).toEqual([
        expect.stringContaining('not on the fake\'s harmless list'),
        expect.stringContaining('not on the fake\'s harmless list'),
        expect.stringContaining('did not offer tool read'),
      ]);
    } finally {
      await llm.close();
    }
  });
});

describe('the fake LLM, for agents at work', () => {
  it('takes a JSON argument whole, so a sub-agent task may hold a script of its own', () => {
    const spawn = JSON.stringify({ id: 'sessions_spawn', args: { task: 'TOOLCALL:exec:sleep 6 REPLY:child done' } });
    expect(parseToolScript(`SAY:Spawning. TOOLCALL:tool_call:${spawn} TOOLCALL:sessions_yield:{"message":"wait"} REPLY:parent`)).toEqual({
      steps: [
        { say: 'Spawning.', tool: 'tool_call', args: spawn },
        { say: '', tool: 'sessions_yield', args: '{"message":"wait"}' },
      ],
      reply: 'parent',
    });
  });

  it('runs "sleep N; touch <abs path>" (the Stop tests\' marker) and "sleep N; echo <words>", but no other compound command', async () => {
    const llm = await startFakeLlm({ tokenDelayMs: 1 });
    try {
      const tools = [{ type: 'function', function: { name: 'exec', parameters: { required: ['command'] } } }];
      const commands = ['sleep 60; touch /tmp/stop-marker', 'sleep 6; echo hi', 'sleep 1; rm /tmp/x', 'sleep 1; touch /tmp/../etc/x', 'sleep 1; echo $(id)', 'sleep 1; echo a > /tmp/x'];
      for (const command of commands) {
        await post(llm.baseUrl, { model: 'fake-fast', tools, messages: [{ role: 'user', content: `TOOLCALL:exec:${command}` }] });
      }
      expect(llm.requests.map((r) => r.answer?.kind)).toEqual(['tool_calls', 'tool_calls', 'text', 'text', 'text', 'text']);
    } finally {
      await llm.close();
    }
  });

  it('answers the successor turn of a yield plainly, without re-running the quoted child task', async () => {
    const llm = await startFakeLlm({ tokenDelayMs: 1 });
    try {
      const tools = [{ type: 'function', function: { name: 'exec', parameters: { required: ['command'] } } }];
      const settled = '[Subagent Context] Every subagent spawned from this session has now settled — none are still running.\nChild result: TOOLCALL:exec:sleep 6 REPLY:child done';
      await post(llm.baseUrl, { model: 'fake-fast', tools, messages: [{ role: 'user', content: settled }] });
      expect(llm.requests[0]!.answer).toEqual({ kind: 'text', text: SUCCESSOR_REPLY });
      expect(llm.requests[0]!.usage).toMatchObject({ prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number) });
    } finally {
      await llm.close();
    }
  });

  it('knows the exec settings that make each version ask for approval', () => {
    expect(execApprovalConfig('2026.2.17')).toEqual({ host: 'gateway', security: 'allowlist', ask: 'on-miss' });
    expect(execApprovalConfig('2026.9.6')).toEqual({ mode: 'ask' });
  });
});

describe('the fake LLM, for files', () => {
  it('records the prompt\'s image parts by MIME type, size and SHA-256, and its whole text', async () => {
    const llm = await startFakeLlm({ tokenDelayMs: 1 });
    try {
      const png = pngImage(3, 2, 1);
      const content = [
        { type: 'text', text: '[media attached: a.png (image/png)]\n[Tue 2026-12-01 10:00 UTC] what is this?' },
        { type: 'image_url', image_url: { url: `data:image/png;base64,${png.toString('base64')}` } },
        { type: 'image_url', image_url: { url: 'https://example.invalid/x.png' } },
      ];
      await post(llm.baseUrl, { model: 'fake-fast', messages: [{ role: 'user', content: 'an earlier turn' }, { role: 'assistant', content: 'ok' }, { role: 'user', content }] });
      const [request] = llm.requests;
      expect(request!.images).toEqual([
        { mime: 'image/png', bytes: png.length, sha256: createHash('sha256').update(png).digest('hex') },
        { mime: null, bytes: null, sha256: null, url: 'https://example.invalid/x.png' },
      ]);
      expect(request!.promptText).toBe(content[0]!.text);
      expect(request!.userText).toBe('what is this?');
    } finally {
      await llm.close();
    }
  });

  it('writes a file from base64 into a plain name (and nothing else with a pipe or a redirect), and breaks a REPLY\'s literal \\n into lines', async () => {
    const llm = await startFakeLlm({ tokenDelayMs: 1 });
    try {
      const tools = [{ type: 'function', function: { name: 'exec', parameters: { required: ['command'] } } }];
      const b64 = pngImage(1, 1, 2).toString('base64');
      const commands = [`echo ${b64} | base64 -d > out.png && echo saved`, `echo ${b64} | base64 -d > ../out.png`, `echo ${b64} | base64 -d > /tmp/out.png`, `echo ${b64} | sh`, `echo ${b64} | base64 -d > out.png; rm x`];
      for (const command of commands) {
        await post(llm.baseUrl, { model: 'fake-fast', tools, messages: [{ role: 'user', content: `TOOLCALL:exec:${command}` }] });
      }
      expect(llm.requests.map((r) => r.answer?.kind)).toEqual(['tool_calls', 'text', 'text', 'text', 'text']);

      const prompt = { role: 'user', content: `TOOLCALL:exec:${commands[0]} REPLY:Here is the chart\\nMEDIA:./out.png` };
      const call = { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'exec', arguments: '{}' } }] };
      await post(llm.baseUrl, { model: 'fake-fast', tools, messages: [prompt, call, { role: 'tool', tool_call_id: 'c1', content: 'saved' }] });
      expect(llm.requests.at(-1)!.answer).toEqual({ kind: 'text', text: 'Here is the chart\nMEDIA:./out.png' });
    } finally {
      await llm.close();
    }
  });
});

describe('the secret scan', () => {
  it('finds media tickets by their form, in a url parameter or alone', () => {
    const ticket = 'v1.eyJzZXNzaW9uS2V5IjoiYWdlbnQ6bWFpbiJ9.c2lnbmF0dXJl';
    const lines = [
      JSON.stringify({ msg: 'downloading a produced file', url: `/api/chat/media/outgoing/agent%3Amain/abc/full?mediaTicket=${ticket}` }),
      JSON.stringify({ msg: 'artifact', payload: { ticket } }),
      JSON.stringify({ msg: 'downloaded a produced file', name: 'out.png', path: '/api/chat/media/outgoing/agent%3Amain/abc/full' }),
    ];
    expect(findSecrets(lines, MEDIA_TICKET_SHAPES)).toEqual([
      'line 1 (fields url): a media ticket (mediaTicket=…)',
      'line 1 (fields url): a media ticket (v1.eyJ…)',
      'line 2 (fields payload.ticket): a media ticket (v1.eyJ…)',
    ]);
  });

  it('names the line and the JSON fields that hold a secret, never the secret', () => {
    const secret = { name: 'the interaction token', value: 'aW50ZXJhY3Rpb246MTIzNDU2Nzg5' };
    const lines = [
      JSON.stringify({ level: 30, msg: 'sent' }),
      JSON.stringify({ level: 50, err: { url: `https://discord.com/api/v10/webhooks/1/${secret.value}/messages/@original` } }),
      `plain text ${secret.value}`,
    ];
    const hits = findSecrets(lines, [secret]);
    expect(hits).toEqual(['line 2 (fields err.url): the interaction token', 'line 3 (not JSON): the interaction token']);
    expect(hits.join('\n')).not.toContain(secret.value);
  });
});

interface Chunk {
  delta: { content?: string; tool_calls?: Array<{ index?: number; id?: string; type?: string; function?: { name?: string; arguments?: string } }> };
  finish_reason: string | null;
}

async function post(baseUrl: string, body: unknown): Promise<string> {
  const res = await fetch(`${baseUrl}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return res.text();
}

function sse(text: string): Chunk[] {
  return text
    .split('\n\n')
    .map((event) => event.replace(/^data: /, '').trim())
    .filter((data) => data && data !== '[DONE]')
    .map((data) => JSON.parse(data) as { choices: Chunk[] })
    .flatMap((chunk) => chunk.choices);
}
