// The directive reader against the texts the real gateways were seen to change (H-B's interop runs) and the
// parsers' own rules (v3 src/auto-reply/reply/directives.ts, v4 directive-parsing.ts).
import { describe, expect, it } from 'vitest';
import { interpretChatInput, type InputContext } from './openclaw-chat-input.js';
import { isStopCommand, parseDirectives, stripStructuralPrefixes } from './openclaw-directives.js';
import type { ProtocolVersion } from './protocol-tables.js';

const MODELS = ['fake/fake-fast', 'fake/fake-smart'];

function ctx(protocol: ProtocolVersion, extra: Partial<InputContext> = {}): InputContext {
  return {
    protocol,
    suppressed: false,
    resolveModel: (raw) => MODELS.find((m) => m === raw || m.endsWith(`/${raw}`)),
    currentModel: 'fake/fake-fast',
    defaultModel: 'fake/fake-fast',
    levels: {},
    thinkingLevels: (ref) => (ref === 'fake/fake-smart' ? ['off', 'minimal', 'low', 'medium', 'high'] : ['off']),
    commandReply: (command) => `<${command} reply>`,
    ...extra,
  };
}

const run = (text: string, protocol: ProtocolVersion, extra?: Partial<InputContext>) => interpretChatInput(text, ctx(protocol, extra));

describe('directives in a chat.send text', () => {
  it('strips an inline /model on both; only v4 persists it and announces the change', () => {
    expect(run('/model fake/fake-smart what is 2+2', 3)).toEqual({ kind: 'run', agentText: 'what is 2+2', patch: {}, inline: [] });
    expect(run('/model fake/fake-smart what is 2+2', 4)).toEqual({
      kind: 'run',
      agentText: 'what is 2+2',
      patch: { model: 'fake/fake-smart' },
      inline: [],
      notice: 'Model set to fake/fake-smart for this session only; configured default unchanged.',
    });
    expect(run('[Tester (1)] /model fake/fake-smart what is 2+2', 3)).toMatchObject({ agentText: '[Tester (1)] what is 2+2', patch: {} });
    expect(run('[Tester (1)] /model fake/fake-smart what is 2+2', 4)).toMatchObject({
      agentText: '[Tester (1)] what is 2+2',
      patch: { model: 'fake/fake-smart' },
    });
  });

  it('treats a directive-only text as a setting on both, with the speaker prefix too', () => {
    for (const text of ['/model fake/fake-smart', '[Tester (1)] /model fake/fake-smart']) {
      expect(run(text, 3)).toEqual({ kind: 'reply', text: 'Model set to fake/fake-smart.', patch: { model: 'fake/fake-smart' } });
      expect(run(text, 4)).toEqual({
        kind: 'reply',
        text: 'Model set to fake/fake-smart for this session only; configured default unchanged.',
        patch: { model: 'fake/fake-smart' },
      });
    }
    expect(run('/model nope/none', 3)).toMatchObject({ kind: 'reply', text: expect.stringMatching(/^Unrecognized model "nope\/none"/), patch: {} });
    expect(run('/think high', 3)).toEqual({ kind: 'reply', text: 'Thinking level set to high.', patch: { thinkingLevel: 'high' } });
    expect(run('/think high', 4)).toEqual({
      kind: 'reply',
      text: 'Thinking level "high" is not supported for fake/fake-fast. Use one of: off.',
      patch: {},
    });
  });

  it('runs and strips inline /status; v3 collapses every whitespace run, v4 keeps the bytes', () => {
    expect(run('why does GET /status fail?', 3)).toEqual({ kind: 'run', agentText: 'why does GET fail?', patch: {}, inline: ['/status'] });
    expect(run('why does GET /status fail?', 4)).toMatchObject({ agentText: 'why does GET fail?', inline: ['/status'] });
    expect(run('/status', 4)).toEqual({ kind: 'reply', text: '</status reply>', patch: {} });
    // Even with nothing to strip, v3 flattens the text (stripInlineStatus always collapses).
    expect(run('line one\n    indented', 3)).toMatchObject({ agentText: 'line one indented' });
    expect(run('line one\n    indented', 4)).toMatchObject({ agentText: 'line one\n    indented' });
  });

  it('fails a v4 turn whose /think level the model cannot do; v3 drops the hint and collapses the text', () => {
    expect(run('please /think high explain   indented\n    code', 3)).toEqual({ kind: 'run', agentText: 'please explain indented code', patch: {}, inline: [] });
    expect(run('please /think high explain   indented\n    code', 4)).toEqual({
      kind: 'error',
      errorMessage: 'Thinking level "high" is not supported for fake/fake-fast. Use one of: off.',
      patch: {},
    });
    expect(run('please /think high explain', 4, { currentModel: 'fake/fake-smart' })).toMatchObject({ kind: 'run', agentText: 'please explain', thinkingLevel: 'high' });
    // The `thinking` param is checked the same way on v4, and is lost beside text on v3.
    expect(run('hello', 4, { thinking: 'low' })).toMatchObject({ kind: 'error' });
    expect(run('hello', 3, { thinking: 'low' })).toEqual({ kind: 'run', agentText: 'hello', patch: {}, inline: [] });
  });

  it('keeps /exec security and ask for the one v4 message and strips /exec on both', () => {
    expect(run('run it /exec security=full ask=off now', 4)).toMatchObject({ agentText: 'run it now', exec: { security: 'full', ask: 'off' } });
    expect(run('run it /exec security=full ask=off now', 3)).toEqual({ kind: 'run', agentText: 'run it now', patch: {}, inline: [] });
    expect(run('/exec host=gateway', 3)).toEqual({ kind: 'reply', text: '⚙️ Exec defaults set (host=gateway).', patch: {} });
  });

  it('answers /elevated beside text on v4 without a run', () => {
    expect(run('do it /elevated on please', 4)).toMatchObject({ kind: 'reply', text: expect.stringMatching(/^elevated is not available right now/) });
    expect(run('do it /elevated on please', 3)).toMatchObject({ kind: 'run', agentText: 'do it please' });
  });

  it('runs the inline shortcuts and strips them; alone they are the answer', () => {
    expect(run('hi /whoami there', 4)).toMatchObject({ kind: 'run', agentText: 'hi there', inline: ['/whoami'] });
    expect(run('/help', 3)).toEqual({ kind: 'reply', text: '</help reply>', patch: {} });
    expect(run('/id', 4)).toEqual({ kind: 'reply', text: '</whoami reply>', patch: {} });
  });

  it('leaves a slash that does not start a word, and everything when suppressed', () => {
    expect(run('see a/model b and /modelx and /\u2060model fake/fake-smart', 4)).toMatchObject({
      kind: 'run',
      agentText: 'see a/model b and /modelx and /\u2060model fake/fake-smart',
      patch: {},
    });
    const text = '/model fake/fake-smart what is 2+2 /status';
    expect(run(text, 4, { suppressed: true })).toEqual({ kind: 'run', agentText: text, patch: {}, inline: [] });
  });

  it('reads a lone stop word or /stop as a stop, not as a prompt', () => {
    expect(run('stop', 3)).toEqual({ kind: 'stop' });
    expect(run('Please stop!', 4)).toEqual({ kind: 'stop' });
    expect(isStopCommand('please stop', 3)).toBe(false);
    expect(isStopCommand('[Tester (1)] stop', 4)).toBe(false);
    expect(run('stop', 4, { suppressed: true })).toMatchObject({ kind: 'run' });
  });
});

describe('directive parser details', () => {
  it('v3 takes the next word as the level even when it is none; v4 only a valid one', () => {
    expect(parseDirectives('/think about this', 3)).toMatchObject({ cleaned: 'this', think: { raw: 'about' } });
    expect(parseDirectives('/think about this', 4)).toMatchObject({ cleaned: 'about this', think: {} });
  });

  it('v4 removes a directive alone on its line with its line ending', () => {
    expect(parseDirectives('first\n/model fake/fake-smart\n  second', 4).cleaned).toBe('first\n  second');
  });

  it('finds the speaker prefix and envelope structural', () => {
    expect(stripStructuralPrefixes('[Tester (1)]', 3)).toBe('');
    expect(stripStructuralPrefixes('[Tester (1)]', 4)).toBe('');
    expect(stripStructuralPrefixes('[Tester (1)] hello', 4)).toBe('hello');
  });
});
