import { describe, expect, it } from 'vitest';
import { withoutExtras } from '../../src/discord/render/reply.js';
import { wordTokens } from '../fakes/gateway/state.js';
import { waitFor } from '../gateway/helpers.js';
import { answer } from './answers.js';
import { isLive, replyMessages, replyText, startStack, waitForSettledReply } from './harness.js';

/** A long answer with prose and code blocks in several languages: about 9000 characters. */
function longAnswer(): string {
  const parts: string[] = [];
  for (let i = 0; parts.join('\n\n').length < 9_000; i++) {
    parts.push(`Section ${i}: ${'The quick brown fox jumps over the lazy dog. '.repeat(6).trim()}`);
    const lang = ['ts', 'python', 'sh'][i % 3]!;
    parts.push(`\`\`\`${lang}\n${Array.from({ length: 14 }, (_, l) => `line_${i}_${l} = compute(${l}) # step ${l}`).join('\n')}\n\`\`\``);
  }
  return parts.join('\n\n');
}

describe('streaming a reply', () => {
  it('carries a 9000-character answer with code fences across messages, losing and repeating nothing', async () => {
    // Past relay.fileAfterMessages a final keeps one message and attaches the whole (test/e2e/files-out.test.ts).
    const { discord, gateway } = await startStack({ gateway: 'openclaw-v4', config: { relay: { minEditIntervalMs: 250, fileAfterMessages: 50 } } });
    const answer = longAnswer();
    gateway.setReplyScript(() => ({ tokens: answer.match(/[\s\S]{1,120}/g)!, tokenDelayMs: 10 }));
    const { token } = discord.sendChatInput({ name: 'ask', options: { prompt: 'write a lot' } });
    const messages = await waitForSettledReply(discord, token, undefined, 20_000);
    expect(messages.length).toBeGreaterThanOrEqual(5);
    for (const message of messages) {
      expect(message.content.length).toBeLessThanOrEqual(2000);
      // Every message opens and closes its code blocks: an even number of fence lines.
      expect(message.content.split('\n').filter((line) => /^```/.test(line)).length % 2).toBe(0);
      expect(isLive(message)).toBe(false);
    }
    expect(messages.map((m) => m.content).join('').includes('```python\nline_')).toBe(true);
    expect(replyText(messages)).toBe(answer);
    // Earlier messages were only finished once, never rewritten with other text.
    for (const message of messages.slice(0, -1)) {
      const finals = message.versions.filter((v) => !v.content.endsWith(' ▌') && v.content !== '' && !v.content.startsWith('⏳'));
      expect(new Set(finals.map((v) => v.content)).size).toBe(1);
    }
  });

  it('paces edits of one reply at the configured interval, with the first text at once', async () => {
    const { discord, gateway } = await startStack({ gateway: 'openclaw-v4', config: { relay: { minEditIntervalMs: 400 } } });
    gateway.setReplyScript(() => ({ tokens: wordTokens('tick '.repeat(60)), tokenDelayMs: 25 }));
    const { token } = discord.sendChatInput({ name: 'ask', options: { prompt: 'count' } });
    const [message] = await waitForSettledReply(discord, token);
    const live = message!.versions.filter((v) => v.content.endsWith(' ▌'));
    expect(live.length).toBeGreaterThanOrEqual(3);
    for (let i = 2; i < live.length; i++) expect(live[i]!.at - live[i - 1]!.at).toBeGreaterThanOrEqual(380);
  });

  it('stops by /abort and by the Stop button, saying who stopped it; only the asker or an admin may', async () => {
    const { discord, gateway } = await startStack({ gateway: 'openclaw-v4' });
    gateway.setReplyScript(() => ({ tokens: wordTokens('never ending story '.repeat(50)), tokenDelayMs: 80 }));

    const first = discord.sendChatInput({ name: 'ask', options: { prompt: 'long one' }, user: { id: '200000000000000001', username: 'ada', globalName: 'Ada' } });
    await waitFor(() => replyMessages(discord, first.token)[0]?.content.endsWith(' ▌'), 5_000, 'streaming');
    const stranger = discord.sendChatInput({ name: 'abort', user: { id: '200000000000000002', username: 'bob', globalName: 'Bob' } });
    expect(await answer(discord, stranger.token)).toMatchObject({ ephemeral: true, content: 'Only Ada (who asked) or a clawcord admin can stop this answer.' });
    discord.sendChatInput({ name: 'abort', user: { id: '200000000000000001', username: 'ada', globalName: 'Ada' } });
    const [stopped] = await waitForSettledReply(discord, first.token);
    expect(stopped!.content).toMatch(/^never[\s\S]*\n\n⏹️ Stopped by Ada\.$/);

    const second = discord.sendChatInput({ name: 'ask', options: { prompt: 'another long one' } });
    const live = await waitFor(() => {
      const message = replyMessages(discord, second.token)[0];
      return message && isLive(message) && message.content.endsWith(' ▌') ? message : undefined;
    }, 5_000, 'a Stop button');
    const button = (live.components[0] as { components: Array<{ custom_id: string; label: string }> }).components[0]!;
    expect(button.label).toBe('Stop');
    await discord.clickButton({ messageId: live.id, customId: button.custom_id });
    const [byButton] = await waitForSettledReply(discord, second.token);
    expect(byButton!.content).toMatch(/\n\n⏹️ Stopped by Tester\.$/);
    expect(gateway.state.activeRuns()).toHaveLength(0);

    const nothing = discord.sendChatInput({ name: 'abort' });
    expect(await answer(discord, nothing.token)).toMatchObject({ ephemeral: true, content: 'Nothing is streaming in this channel.' });
  });

  it('queues prompts per session, shows the position, and answers busy past relay.maxQueue', async () => {
    const { discord, gateway } = await startStack({ gateway: 'card', config: { relay: { minEditIntervalMs: 250, maxQueue: 1 } } });
    gateway.setReplyScript(({ message }) => ({ tokens: wordTokens(`answer to ${message}`), tokenDelayMs: 120 }));
    const first = discord.sendChatInput({ name: 'ask', options: { prompt: 'one' } });
    await waitFor(() => replyMessages(discord, first.token)[0]?.content.endsWith(' ▌'), 5_000, 'first streaming');
    const second = discord.sendChatInput({ name: 'ask', options: { prompt: 'two' } });
    await waitFor(() => replyMessages(discord, second.token)[0]?.versions.some((v) => v.content.startsWith('⏳ Queued: position 1')), 5_000, 'queued');
    const third = discord.sendChatInput({ name: 'ask', options: { prompt: 'three' } });
    await waitFor(() => discord.interaction(third.token)?.callbacks.length, 5_000, 'busy');
    const busy = discord.interaction(third.token)!.callbacks[0]!;
    expect(busy.type).toBe(4);
    expect(((busy.data as { flags: number }).flags & 64) !== 0).toBe(true);
    expect((busy.data as { content: string }).content).toContain('This session is busy');

    const [a] = await waitForSettledReply(discord, first.token);
    const [b] = await waitForSettledReply(discord, second.token);
    expect(withoutExtras(a!.content)).toBe(`answer to [Tester (${discord.defaultUserId})] one`);
    expect(withoutExtras(b!.content)).toBe(`answer to [Tester (${discord.defaultUserId})] two`);
    // One run at a time: the second started after the first ended.
    const runs = [...gateway.state.sessions.values()][0]!.messages.filter((m) => m.role === 'user').map((m) => m.content);
    expect(runs).toEqual([`[Tester (${discord.defaultUserId})] one`, `[Tester (${discord.defaultUserId})] two`]);
  });

  it('never pings: model text with @everyone and user mentions is sent with no mentions allowed', async () => {
    const { discord, gateway } = await startStack({ gateway: 'openclaw-v3' });
    gateway.setReplyScript(() => ({ tokens: wordTokens('Hey @everyone and @here, also <@200000000000000001> and <@&300000000000000001>!'), tokenDelayMs: 5 }));
    const { token } = discord.sendChatInput({ name: 'ask', options: { prompt: 'ping everyone' } });
    const [message] = await waitForSettledReply(discord, token);
    expect(message!.content).toContain('@everyone');
    for (const version of message!.versions) {
      expect(version.pinged).toMatchObject({ everyone: false, users: [], roles: [] });
    }
  });
});

describe('long and failing runs', () => {
  it('keeps editing through channel messages once the interaction token has expired', async () => {
    const { discord, gateway } = await startStack({ gateway: 'openclaw-v4', discord: { rateLimits: false, tokenTtlMs: 700 } });
    const answer = 'outliving the interaction token '.repeat(6).trim();
    gateway.setReplyScript(() => ({ tokens: wordTokens(answer), tokenDelayMs: 120 }));
    const { token } = discord.sendChatInput({ name: 'ask', options: { prompt: 'a long one' } });
    const [message] = await waitForSettledReply(discord, token, undefined, 15_000);
    expect(withoutExtras(message!.content)).toBe(answer);
    const routes = message!.versions.map((v) => v.route);
    expect(routes.some((r) => r.startsWith('PATCH /webhooks/'))).toBe(true);
    expect(routes.at(-1)).toMatch(/^PATCH \/channels\//);
  });

  it("shows a model failure plainly in the message, never as a stuck live reply; the provider's words go only to the asker", async () => {
    const { discord } = await startStack({ gateway: 'openclaw-v4' });
    const { token } = discord.sendChatInput({ name: 'ask', options: { prompt: 'please FAIL' } });
    const [message] = await waitForSettledReply(discord, token);
    expect(message!.content).toMatch(/\n\n⚠️ \*\*Error:\*\* The agent's run failed; the details went to Tester privately\.$/);
    expect(message!.content).not.toContain('provider rejected');
    expect(isLive(message!)).toBe(false);
    const notes = discord.interaction(token)!.followUps.filter((m) => m.ephemeral);
    expect(notes.map((m) => m.content)).toEqual(['❌ Your question failed. The gateway said: LLM request failed: provider rejected the request schema or tool payload.']);
  });
});
