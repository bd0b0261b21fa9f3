import { describe, expect, it } from 'vitest';
import { withoutExtras } from '../../src/discord/render/reply.js';
import { wordTokens } from '../fakes/gateway/state.js';
import { GATEWAY_KINDS, isLive, replySubtext, replyText, startStack, waitForSettledReply } from './harness.js';

describe.each(GATEWAY_KINDS)('/ask against the %s gateway', (kind) => {
  it('defers at once, streams edits in order, and ends with exactly the gateway text and no Stop button', async () => {
    const { discord, gateway } = await startStack({ gateway: kind });
    const answer = 'Streaming answers, word by word, until the very end of this sentence.';
    gateway.setReplyScript(() => ({ tokens: wordTokens(answer), tokenDelayMs: 60 }));
    const { token } = discord.sendChatInput({ name: 'ask', options: { prompt: 'tell me something' } });
    const messages = await waitForSettledReply(discord, token);
    const view = discord.interaction(token)!;
    expect(view.ackType).toBe(5);
    expect(view.ackLatencyMs).toBeLessThan(1_000);
    expect(messages).toHaveLength(1);
    expect(withoutExtras(messages[0]!.content)).toBe(answer);
    const versions = messages[0]!.versions.map((v) => v.content);
    const streamed = versions.filter((c) => c.endsWith(' ▌'));
    expect(streamed.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < streamed.length; i++) expect(streamed[i]!.length).toBeGreaterThan(streamed[i - 1]!.length);
    expect(new Set(versions).size).toBe(versions.length);
    expect(isLive(messages[0]!)).toBe(false);
    expect(messages[0]!.versions.filter((v) => v.components.length > 0).length).toBeGreaterThan(0);
    // Every version the bot wrote (the first is Discord's own "thinking…" from the defer) pings no one.
    const written = messages[0]!.versions.slice(1);
    expect(written.every((v) => JSON.stringify(v.allowedMentions) === JSON.stringify({ parse: [], replied_user: false }))).toBe(true);
    expect(written.filter((v) => v.components.length > 0).every((v) => v.flags === 4)).toBe(true);
    expect(replyText(messages)).toBe(answer);
    // Under the answer, who answered: the channel's agent by name, the model of the session, how long it took.
    const [footer] = replySubtext(messages);
    expect(footer).toMatch(kind === 'card' ? /^🤖 Asha · ollama\/kimi-k2\.5:cloud · \d+ s$/ : /^🤖 Asha · ollama\/kimi-k2\.5:cloud · \d+ s( · \d+ tokens)?$/);
  });
});
