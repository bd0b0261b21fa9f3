import { describe, expect, it } from 'vitest';
import { wordTokens } from '../fakes/gateway/state.js';
import { waitFor } from '../gateway/helpers.js';
import { answer } from './answers.js';
import { GATEWAY_KINDS, startStack, waitForSettledReply } from './harness.js';

const ADMIN = { permissions: String(1n << 5n) }; // Manage Server

/** What the person who ran a command reads in the end (the immediate reply, or the deferred one once edited). */
const replyTo = (discord: Awaited<ReturnType<typeof startStack>>['discord'], token: string) => answer(discord, token);

describe.each(GATEWAY_KINDS)('steering commands against the %s gateway', (kind) => {
  it('/model shows, switches (admins only), and refuses an unknown model with close matches', async () => {
    const { discord, gateway } = await startStack({ gateway: kind });
    // Let the session exist first: the card can only patch a session that had a message.
    const ask = discord.sendChatInput({ name: 'ask', options: { prompt: 'hello' } });
    await waitForSettledReply(discord, ask.token);

    const denied = await replyTo(discord, discord.sendChatInput({ name: 'model', options: { model: 'ollama/glm-5:cloud' } }).token);
    expect(denied).toMatchObject({ ephemeral: true, content: expect.stringContaining('Manage Server') });

    const unknown = await replyTo(discord, discord.sendChatInput({ name: 'model', options: { model: 'glm-6' }, member: ADMIN }).token);
    expect(unknown.ephemeral).toBe(true);
    expect(unknown.content).toContain('Unknown model `glm-6`');
    expect(unknown.content).toContain('`ollama/glm-5:cloud`');

    const switched = await replyTo(discord, discord.sendChatInput({ name: 'model', options: { model: 'ollama/glm-5:cloud' }, member: ADMIN }).token);
    expect(switched).toMatchObject({ ephemeral: false, content: expect.stringContaining('switched this session\'s model to `ollama/glm-5:cloud`') });
    const session = [...gateway.state.sessions.values()][0]!;
    expect(session.model).toBe('ollama/glm-5:cloud');

    const shown = await replyTo(discord, discord.sendChatInput({ name: 'model', member: ADMIN }).token);
    expect(shown).toMatchObject({ ephemeral: true, content: expect.stringMatching(/^Model: `ollama\/glm-5:cloud` \(set by Tester <t:\d+:R>\)\.$/) });

    const choices = await discord.sendAutocomplete({ name: 'model', focused: 'model', value: 'glm', member: ADMIN });
    expect(choices).toEqual([{ name: 'ollama/glm-5:cloud (glm-5)', value: 'ollama/glm-5:cloud' }]);
  });

  it('/agent switches the channel to that agent\'s session; the next run goes there', async () => {
    const { discord, gateway } = await startStack({ gateway: kind });
    const unknown = await replyTo(discord, discord.sendChatInput({ name: 'agent', options: { agent: 'nobody' }, member: ADMIN }).token);
    expect(unknown.content).toBe('❌ Unknown agent `nobody`. Agents: `main` (Asha), `cody` (Cody (Coder)), `qa` (QA (Quality))');

    const switched = await replyTo(discord, discord.sendChatInput({ name: 'agent', options: { agent: 'cody' }, member: ADMIN }).token);
    expect(switched.content).toContain('to agent `cody`');
    const ask = discord.sendChatInput({ name: 'ask', options: { prompt: 'who are you' } });
    await waitForSettledReply(discord, ask.token);
    const keys = [...gateway.state.sessions.keys()];
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(kind === 'card' ? /^cody:clawcord:\d+$/ : /^agent:cody:clawcord:\d+$/);

    const choices = await discord.sendAutocomplete({ name: 'agent', focused: 'agent', value: 'co', member: ADMIN });
    expect(choices).toEqual([{ name: 'cody (Cody (Coder))', value: 'cody' }]);
    const shown = await replyTo(discord, discord.sendChatInput({ name: 'agent', member: ADMIN }).token);
    expect(shown.content).toMatch(/^Agent: `cody` \(set by Tester <t:\d+:R>\); session `/);
  });

  it('/reset clears the session and says so in the channel; /history and /sessions show what the gateway holds', async () => {
    const { discord, gateway } = await startStack({ gateway: kind });
    gateway.setReplyScript(({ message }) => ({ tokens: wordTokens(`You said: ${message}`), tokenDelayMs: 2 }));
    for (const prompt of ['first question', 'second question']) {
      await waitForSettledReply(discord, discord.sendChatInput({ name: 'ask', options: { prompt } }).token);
    }
    const history = await replyTo(discord, discord.sendChatInput({ name: 'history', options: { limit: 3 } }).token);
    expect(history.ephemeral).toBe(true);
    expect(history.content.split('\n')).toEqual([
      '**Last 3 messages**',
      expect.stringMatching(/^🤖( <t:\d+:R>)? You said: \[Tester \(\d+\)\] first question$/),
      expect.stringMatching(/^🧑( <t:\d+:R>)? \[Tester \(\d+\)\] second question$/),
      expect.stringMatching(/^🤖( <t:\d+:R>)? You said: \[Tester \(\d+\)\] second question$/),
    ]);
    const sessions = await replyTo(discord, discord.sendChatInput({ name: 'sessions' }).token);
    expect(sessions.content).toContain('**1 recent sessions**');
    expect(sessions.content).toContain(`> You said: [Tester (${discord.defaultUserId})] second question`);

    const reset = await replyTo(discord, discord.sendChatInput({ name: 'reset', member: ADMIN }).token);
    expect(reset).toMatchObject({ ephemeral: false, content: "🧹 Tester cleared this channel's session: `main` starts fresh." });
    const after = await replyTo(discord, discord.sendChatInput({ name: 'history' }).token);
    expect(after.content).toBe('This session has no messages yet.');
  });

  it('/status shows the gateway, this channel\'s mapping and the runs in progress', async () => {
    const { discord, gateway } = await startStack({ gateway: kind });
    gateway.setReplyScript(() => ({ tokens: wordTokens('slow '.repeat(30)), tokenDelayMs: 100 }));
    discord.sendChatInput({ name: 'ask', options: { prompt: 'take your time' } });
    await waitFor(() => discord.messages().some((m) => m.content.endsWith(' ▌')), 5_000, 'streaming');
    const status = await replyTo(discord, discord.sendChatInput({ name: 'status' }).token);
    expect(status.ephemeral).toBe(true);
    const dialect = kind === 'card' ? 'card dialect' : `OpenClaw protocol v${kind.endsWith('v3') ? 3 : 4}`;
    expect(status.content).toContain(`✅ connected: ${dialect}, version`);
    expect(status.content).toContain('agent `main`');
    expect(status.content).toMatch(/▶️ answering Tester since <t:\d+:R>/);
    expect(status.content).toContain('1 answer streaming in all channels');
  });
});
