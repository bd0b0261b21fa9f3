import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PUBLIC_FAILURE_NOTE } from '../../src/discord/errors.js';
import { startFakeDiscord } from '../fakes/discord/index.js';
import { wordTokens } from '../fakes/gateway/state.js';
import { startOpenClawGateway, type OpenClawGateway } from '../fakes/gateway/openclaw-gateway.js';
import { onCleanup, waitFor } from '../gateway/helpers.js';
import { formatViolation } from '../spec/validate.js';
import { answer, answerOf, type Answer } from './answers.js';
import { isLive, replyMessages, startBot, startStack, waitForSettledReply } from './harness.js';

const ADMIN = { permissions: String(1n << 5n) }; // Manage Server
describe('commands against a gateway that answers every request 6 s late', () => {
  it('acknowledge within 3 s, the Stop button too, and each ends with its answer', async () => {
    const gateway = await startOpenClawGateway({ protocol: 4, deltaPacingMs: 20, responseDelayMs: 6_000 });
    onCleanup(() => gateway.close());
    const channels = ['status', 'history', 'sessions', 'model', 'agent', 'reset', 'abort', 'ask'];
    const discord = await startFakeDiscord({ rateLimits: false, guilds: [{ channels: channels.map((name) => ({ name })) }] });
    onCleanup(() => discord.close());
    const dir = mkdtempSync(join(tmpdir(), 'clawcord-slow-'));
    // A real deployment's request timeout (15 s): a slow gateway still answers within it.
    await startBot(gateway, discord, {
      config: { gateway: { url: gateway.url, token: gateway.token, deviceKeyPath: join(dir, 'device.json'), requestTimeoutMs: 15_000, connectTimeoutMs: 3_000 } },
    });
    gateway.setReplyScript(() => ({ tokens: wordTokens('a slow and steady answer '.repeat(60)), tokenDelayMs: 60 }));
    const at = (name: string) => ({ channelId: discord.channelId(name) });

    const ask = discord.sendChatInput({ name: 'ask', options: { prompt: 'take your time' }, ...at('ask') });
    const sent = {
      status: discord.sendChatInput({ name: 'status', ...at('status') }),
      history: discord.sendChatInput({ name: 'history', ...at('history') }),
      sessions: discord.sendChatInput({ name: 'sessions', ...at('sessions') }),
      modelShown: discord.sendChatInput({ name: 'model', member: ADMIN, ...at('model') }),
      modelSwitched: discord.sendChatInput({ name: 'model', options: { model: 'ollama/glm-5:cloud' }, member: ADMIN, ...at('model') }),
      agentSwitched: discord.sendChatInput({ name: 'agent', options: { agent: 'cody' }, member: ADMIN, ...at('agent') }),
      reset: discord.sendChatInput({ name: 'reset', member: ADMIN, ...at('reset') }),
      abort: discord.sendChatInput({ name: 'abort', ...at('abort') }),
    };
    const choices = await discord.sendAutocomplete({ name: 'model', focused: 'model', value: 'glm', member: ADMIN, ...at('model') });
    expect(choices).toEqual([]);

    const live = await waitFor(() => {
      const message = replyMessages(discord, ask.token)[0];
      return message && isLive(message) && message.content.endsWith(' ▌') ? message : undefined;
    }, 20_000, 'the answer streaming');
    const button = (live.components[0] as { components: Array<{ custom_id: string }> }).components[0]!;
    const stop = discord.clickButton({ messageId: live.id, customId: button.custom_id });

    const answers = Object.fromEntries(
      await Promise.all(Object.entries(sent).map(async ([name, { token }]) => [name, await answer(discord, token, { timeoutMs: 25_000 })] as const)),
    ) as Record<keyof typeof sent, Answer>;
    expect(answers.status).toMatchObject({ ephemeral: true, content: expect.stringContaining('✅ connected: OpenClaw protocol v4') });
    expect(answers.history).toEqual({ ephemeral: true, content: 'This session has no messages yet.', notes: [] });
    expect(answers.sessions.ephemeral).toBe(true);
    expect(answers.modelShown).toMatchObject({ ephemeral: true, content: expect.stringMatching(/^Model: /) });
    expect(answers.modelSwitched).toMatchObject({ ephemeral: false, content: expect.stringContaining("switched this session's model to `ollama/glm-5:cloud`") });
    expect(answers.agentSwitched).toMatchObject({ ephemeral: false, content: expect.stringContaining('to agent `cody`') });
    expect(answers.reset).toMatchObject({ ephemeral: false, content: expect.stringContaining('cleared this channel') });
    expect(answers.abort).toEqual({ ephemeral: true, content: 'Nothing is streaming in this channel.', notes: [] });

    const [stopped] = await waitForSettledReply(discord, ask.token, undefined, 25_000);
    expect(stopped!.content).toMatch(/\n\n⏹️ Stopped by Tester\.$/);

    const views = [ask, stop, ...Object.values(sent)].map((s) => discord.interaction(s.token)!);
    const autocomplete = discord.interactions().find((v) => v.type === 4)!;
    for (const view of [...views, autocomplete]) {
      expect(view.ackLatencyMs, `${String(view.payload['data'] && (view.payload['data'] as { name?: string }).name)} acknowledged`).not.toBeNull();
      expect(view.ackLatencyMs!).toBeLessThan(3_000);
      expect(view.callbacks.every((c) => c.errorCode === null)).toBe(true);
    }
    expect(discord.interaction(stop.token)!.ackType).toBe(6);
    expect(discord.specViolations().map(formatViolation)).toEqual([]);
  }, 60_000);
});

describe('a command that fails after its public "thinking…"', () => {
  it('leaves a neutral note in the channel and tells the reason only to the asker, after the edit', async () => {
    const { discord, gateway } = await startStack({ gateway: 'openclaw-v4' });
    // /reset announces itself in the channel, so it defers publicly; then the gateway never answers the reset.
    (gateway as OpenClawGateway).withholdAnswers('sessions.reset', 1);
    const { token } = discord.sendChatInput({ name: 'reset', member: ADMIN });
    const failed = await answer(discord, token, { timeoutMs: 8_000, notes: 1 });
    expect(failed.ephemeral).toBe(false);
    expect(failed.content).toBe(PUBLIC_FAILURE_NOTE);
    expect(failed.notes).toHaveLength(1);
    expect(failed.notes[0]).toMatch(/^❌ The gateway is not answering in time \(sessions\.reset: no answer from the gateway within \d+ ms\)/);
    const view = discord.interaction(token)!;
    // The note is a message of its own, created after the deferred reply was edited, and private.
    expect(view.original!.deleted).toBe(false);
    expect(view.followUps.filter((m) => !m.ephemeral)).toEqual([]);
    expect(discord.visibleMessages(view.channelId).map((m) => m.content)).not.toContain(failed.notes[0]);
    expect(discord.specViolations().map(formatViolation)).toEqual([]);
  });

  it('a Stop button that cannot stop answers privately and leaves the reply as it is', async () => {
    const { discord, gateway } = await startStack({ gateway: 'openclaw-v4' });
    gateway.setReplyScript(() => ({ tokens: wordTokens('a long answer '.repeat(80)), tokenDelayMs: 40 }));
    const ask = discord.sendChatInput({ name: 'ask', options: { prompt: 'go on' }, user: { id: '200000000000000001', username: 'ada', globalName: 'Ada' } });
    const live = await waitFor(() => {
      const message = replyMessages(discord, ask.token)[0];
      return message && isLive(message) && message.content.endsWith(' ▌') ? message : undefined;
    }, 5_000, 'a Stop button');
    const button = (live.components[0] as { components: Array<{ custom_id: string }> }).components[0]!;
    const stranger = discord.clickButton({ messageId: live.id, customId: button.custom_id, user: { id: '200000000000000002', username: 'bob', globalName: 'Bob' } });
    const refusal = await waitFor(() => discord.interaction(stranger.token)?.followUps[0], 5_000, 'the refusal');
    expect(refusal.ephemeral).toBe(true);
    expect(refusal.content).toBe('Only Ada (who asked) or a clawcord admin can stop this answer.');
    expect(discord.interaction(stranger.token)!.ackType).toBe(6);
    const [finished] = await waitForSettledReply(discord, ask.token, undefined, 15_000);
    expect(finished!.content).not.toContain('Stopped');
    const late = discord.clickButton({ messageId: finished!.id, customId: button.custom_id, force: true });
    const already = await waitFor(() => discord.interaction(late.token)?.followUps[0], 5_000, 'the late answer');
    expect(already).toMatchObject({ ephemeral: true, content: 'This answer has already finished.' });
    expect(discord.message(finished!.id)!.content).toBe(finished!.content);
    expect(discord.specViolations().map(formatViolation)).toEqual([]);
  });
});

describe('autocomplete', () => {
  it('offers nothing to those who may not run the command, and asks the gateway nothing for them', async () => {
    const { discord, gateway } = await startStack({ gateway: 'openclaw-v4' });
    const gatewayCalls = () => gateway.received.filter((r) => ['models.list', 'agents.list'].includes((r.frame as { method?: string }).method ?? '')).length;
    const before = gatewayCalls();
    // Not an admin; and in DMs, which access.allowDMs keeps closed.
    expect(await discord.sendAutocomplete({ name: 'model', focused: 'model', value: 'glm' })).toEqual([]);
    expect(await discord.sendAutocomplete({ name: 'agent', focused: 'agent', value: 'co' })).toEqual([]);
    expect(await discord.sendAutocomplete({ name: 'model', focused: 'model', value: 'glm', dm: true, member: ADMIN })).toEqual([]);
    expect(gatewayCalls()).toBe(before);
    expect(await discord.sendAutocomplete({ name: 'model', focused: 'model', value: 'glm', member: ADMIN })).toEqual([
      { name: 'ollama/glm-5:cloud (glm-5)', value: 'ollama/glm-5:cloud' },
    ]);
    expect(discord.specViolations().map(formatViolation)).toEqual([]);
  });
});

describe('/sessions', () => {
  it('lists only the sessions of channels this member may use here, never the gateway\'s others or other people\'s DMs', async () => {
    const storeFile = join(mkdtempSync(join(tmpdir(), 'clawcord-sessions-')), 'state.sqlite');
    const { discord, gateway, app } = await startStack({ gateway: 'openclaw-v4', storeFile, config: { access: { allowDMs: true } } });
    gateway.setReplyScript(({ message }) => ({ tokens: wordTokens(`You said: ${message}`), tokenDelayMs: 2 }));
    const general = discord.channelId('general');
    const random = discord.channelId('random');
    await waitForSettledReply(discord, discord.sendChatInput({ name: 'ask', options: { prompt: 'in general' } }).token);
    const mine = discord.sendChatInput({ name: 'ask', options: { prompt: 'my own dm' }, dm: true });
    await waitForSettledReply(discord, mine.token);
    const bob = { id: '200000000000000002', username: 'bob', globalName: 'Bob' };
    await waitForSettledReply(discord, discord.sendChatInput({ name: 'ask', options: { prompt: 'bob private dm' }, dm: true, user: bob }).token);
    // A session of #random from when clawcord was allowed there, and the owner's own chat on the gateway.
    const randomKey = `agent:main:clawcord:${random}`;
    gateway.state.ensureSession(randomKey, 'main');
    gateway.state.appendInjected(randomKey, 'staff only: the salaries', 'run-r');
    await app.store.saveMapping({ ...(await app.store.mapping(general))!, scopeId: random, sessionKey: randomKey });
    gateway.state.ensureSession('agent:main:main', 'main');
    gateway.state.appendInjected('agent:main:main', 'owner: my private notes', 'run-o');

    // The same store, now with clawcord limited to #general.
    await app.stop();
    await startBot(gateway, discord, { storeFile, config: { access: { allowDMs: true, channels: [general] } } });
    const inGeneral = await answer(discord, discord.sendChatInput({ name: 'sessions' }).token);
    expect(inGeneral.ephemeral).toBe(true);
    expect(inGeneral.content).toContain(`agent:main:clawcord:${general}`);
    expect(inGeneral.content).toContain('> You said:');
    for (const hidden of ['salaries', 'owner: my private notes', 'agent:main:main', randomKey, 'my own dm', 'bob private dm']) expect(inGeneral.content).not.toContain(hidden);

    const inMyDm = await answer(discord, discord.sendChatInput({ name: 'sessions', dm: true }).token);
    expect(inMyDm.content).toContain('my own dm');
    expect(inMyDm.content).not.toContain('bob private dm');
    expect(inMyDm.content).not.toContain('in general');
  });
});
