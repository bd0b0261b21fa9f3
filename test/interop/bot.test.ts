// The whole bot against real OpenClaw gateways: the real bot process (real discord.js) on the project's fake
// Discord, GATEWAY_PROTOCOL=auto, and a real gateway of each verified version with the project's fake LLM.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeDiscord, type FakeDiscord } from '../fakes/discord/index.js';
import type { RecordedMessage } from '../fakes/discord/types.js';
import { isLive, replyMessages, waitForSettledReply } from '../e2e/harness.js';
import { spawnBot, type BotProcess } from '../e2e/process.js';
import { waitFor } from '../gateway/helpers.js';
import { startFakeLlm, type FakeLlm } from './harness/fake-llm.js';
import { startOpenClawGateway, type OpenClawVersion, type RunningGateway } from './harness/openclaw.js';

const VERSIONS: OpenClawVersion[] = ['2026.2.17', '2026.9.6'];
const ADMIN = { permissions: String(1n << 5n) }; // Manage Server
const CHANNELS = ['general', 'agents', 'reset', 'abort', 'failure', 'threads', 'restart', 'botrestart'];

/** What a step checked, for the CI log. */
function checked(version: string, what: string): void {
  console.log(`✓ openclaw@${version}: ${what}`);
}

describe.each(VERSIONS)('the bot against openclaw@%s', (version) => {
  let llm: FakeLlm;
  let gateway: RunningGateway;
  let discord: FakeDiscord;
  let bot: BotProcess;
  let env: Record<string, string>;
  const channel = (name: string) => discord.channelId(name);

  /** Sends a slash command and waits for its plain (type 4) answer. */
  async function command(name: string, options: Record<string, string | number | boolean> = {}, where = 'general', member?: object) {
    const { token } = discord.sendChatInput({ name, options, channelId: channel(where), ...(member ? { member } : {}) });
    const view = await waitFor(() => {
      const v = discord.interaction(token);
      return v?.callbacks.some((c) => c.type === 4) ? v : undefined;
    }, 30_000, `an answer to /${name}`);
    return (view.callbacks.find((c) => c.type === 4)!.data as { content: string }).content;
  }

  async function ask(prompt: string, where: string, extra: Record<string, string | number | boolean> = {}): Promise<{ token: string; messages: RecordedMessage[] }> {
    const { token } = discord.sendChatInput({ name: 'ask', options: { prompt, ...extra }, channelId: channel(where) });
    return { token, messages: await waitForSettledReply(discord, token, undefined, 120_000) };
  }

  const userText = (prompt: string) => `[Tester] ${prompt}`;
  const lastRequest = (prompt: string) => [...llm.requests].reverse().find((r) => r.userText === userText(prompt));

  const startBot = (): BotProcess => spawnBot(env, { outliveTest: true });

  beforeAll(async () => {
    llm = await startFakeLlm({ tokenDelayMs: 120, slowWhen: /SLOW/, slowTokenDelayMs: 300 });
    gateway = await startOpenClawGateway({ version, llmBaseUrl: llm.baseUrl });
    discord = await startFakeDiscord({ guilds: [{ name: 'Team', channels: CHANNELS.map((name) => ({ name })) }] });
    const dir = mkdtempSync(join(tmpdir(), 'clawcord-interop-bot-'));
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ relay: { minEditIntervalMs: 300 }, gateway: { lostRunGraceMs: 15_000, deviceKeyPath: join(dir, 'device.json') } }));
    env = {
      DISCORD_TOKEN: discord.token,
      DISCORD_API_BASE: discord.restBase,
      GATEWAY_URL: gateway.url,
      GATEWAY_TOKEN: gateway.token,
      GATEWAY_PROTOCOL: 'auto',
      STORE_URL: `sqlite://${join(dir, 'state.sqlite')}`,
      CLAWCORD_CONFIG: config,
      LOG_LEVEL: 'info',
    };
    bot = startBot();
    const connected = await bot.waitForLog(/connected to the gateway/, 60_000);
    await bot.waitForLog(/clawcord is running/, 60_000);
    const hello = JSON.parse(connected) as { protocol: string; serverVersion: string };
    console.log(`openclaw@${version}: the bot negotiated protocol v${hello.protocol} (server says version ${hello.serverVersion})`);
    expect(hello.protocol).toBe(String(gateway.expectedProtocol));
  });

  afterAll(async () => {
    bot?.child.kill('SIGKILL');
    await bot?.exited;
    await discord?.close();
    await gateway?.stop();
    await llm?.close();
  });

  it('1. /ask streams into the reply: progressive edits, then exactly what the model produced', async () => {
    const prompt = 'hello there, how are you?';
    const { messages } = await ask(prompt, 'general');
    const expected = llm.expectedReply('fake-fast', userText(prompt));
    expect(messages.map((m) => m.content)).toEqual([expected]);
    const live = messages[0]!.versions.filter((v) => v.content.endsWith(' ▌'));
    expect(live.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < live.length; i++) expect(expected.startsWith(live[i]!.content.slice(0, -2))).toBe(true);
    expect(isLive(messages[0]!)).toBe(false);
    checked(version, `/ask streamed ${live.length} progressive edits and ended with the fake LLM's exact text (${expected.length} chars)`);
  });

  it('2. /agent sends the next run to the other agent\'s session; /model changes the model the LLM is asked for', async () => {
    expect(await command('agent', { agent: 'cody' }, 'agents', ADMIN)).toContain('to agent `cody`');
    await ask('who answers now?', 'agents');
    expect(lastRequest('who answers now?')?.model).toBe('fake-smart');
    const sessions = await command('sessions', { limit: 25 });
    expect(sessions).toContain(`agent:cody:clawcord:${channel('agents')}`);
    checked(version, '/agent cody: the next run went to agent:cody:clawcord:<channel> (cody runs fake-smart)');

    expect(await command('model', { model: 'fake/fake-fast' }, 'agents', ADMIN)).toContain('`fake/fake-fast`');
    await ask('and which model now?', 'agents');
    expect(lastRequest('and which model now?')?.model).toBe('fake-fast');
    checked(version, '/model fake/fake-fast: the fake LLM was asked for fake-fast on the next run');
  });

  it('3. /reset clears the session: the history no longer holds the earlier turn', async () => {
    await ask('remember the number 42', 'reset');
    expect(await command('history', {}, 'reset')).toContain('remember the number 42');
    expect(await command('reset', {}, 'reset', ADMIN)).toContain('cleared this channel\'s session');
    const after = await command('history', {}, 'reset');
    expect(after).not.toContain('remember the number 42');
    checked(version, `/reset: /history no longer holds the earlier turn ("${after.split('\n')[0]}")`);
  });

  it('4. /abort and the Stop button stop a slow run: the LLM request is closed, the message says who, and is no longer live', async () => {
    const first = discord.sendChatInput({ name: 'ask', options: { prompt: 'please answer SLOW' }, channelId: channel('abort') });
    await waitFor(() => replyMessages(discord, first.token)[0]?.content.startsWith('slow1'), 60_000, 'the slow run to stream');
    expect(await command('abort', {}, 'abort')).toBe('⏹️ Stopping the answer to Tester.');
    const [stopped] = await waitForSettledReply(discord, first.token, undefined, 30_000);
    expect(stopped!.content).toMatch(/^slow1[\s\S]*\n\n⏹️ Stopped by Tester\.$/);
    await waitFor(() => lastRequest('please answer SLOW')?.closedByClient, 15_000, 'the LLM request to close');
    checked(version, '/abort: the fake LLM saw its request closed; the reply says "Stopped by Tester" and has no Stop button');

    const second = discord.sendChatInput({ name: 'ask', options: { prompt: 'again SLOW please' }, channelId: channel('abort') });
    const live = await waitFor(() => {
      const message = replyMessages(discord, second.token)[0];
      return message && isLive(message) && message.content.startsWith('slow1') ? message : undefined;
    }, 60_000, 'a live reply with a Stop button');
    const button = (live.components[0] as { components: Array<{ custom_id: string }> }).components[0]!;
    await discord.clickButton({ messageId: live.id, customId: button.custom_id });
    const [byButton] = await waitForSettledReply(discord, second.token, undefined, 30_000);
    expect(byButton!.content).toMatch(/\n\n⏹️ Stopped by Tester\.$/);
    expect(isLive(byButton!)).toBe(false);
    await waitFor(() => lastRequest('again SLOW please')?.closedByClient, 15_000, 'the LLM request to close');
    checked(version, 'Stop button: the fake LLM saw its request closed; the reply says who stopped it');
  });

  it('5. /history, /sessions and /status show what the gateway holds', async () => {
    const history = await command('history', { limit: 4 });
    expect(history).toContain('🧑');
    expect(history).toContain('hello there, how are you?');
    expect(history).not.toContain('Conversation info');
    const sessions = await command('sessions', { limit: 25 });
    expect(sessions).toContain(`agent:main:clawcord:${channel('general')}`);
    expect(sessions).toMatch(/> Hello from fake-llm/);
    const status = await command('status');
    expect(status).toContain(`OpenClaw protocol v${gateway.expectedProtocol}`);
    expect(status).toContain(`version ${version === '2026.2.17' ? 'dev' : version}`);
    expect(status).toMatch(/\d+ sessions, 3 agents/);
    checked(version, `/history, /sessions (titles, previews) and /status (protocol v${gateway.expectedProtocol}, version, counts) show the gateway's data`);
  });

  it('6. an LLM failure (HTTP 500) is shown as an error in the message, never as a stuck live reply', async () => {
    const { messages } = await ask('please FAIL500 now', 'failure');
    expect(messages).toHaveLength(1);
    expect(messages[0]!.content).toMatch(/⚠️ \*\*Error:\*\* .+/);
    expect(isLive(messages[0]!)).toBe(false);
    expect(llm.requests.some((r) => r.userText === userText('please FAIL500 now') && r.status === 500)).toBe(true);
    checked(version, `HTTP 500 from the LLM became: ${JSON.stringify(messages[0]!.content.slice(0, 120))}`);
  });

  it('7. /ask thread:true starts a thread with its own session, continued by a mention', async () => {
    const { token, messages } = await ask('plan the launch', 'threads', { thread: true });
    const threadId = await waitFor(() => discord.message(messages[0]!.id)?.threadId ?? undefined, 10_000, 'a thread');
    const question = discord.sendUserMessage({ channelId: threadId, content: 'and the budget?', mentionsBot: true });
    const answer = await waitFor(
      () => discord.messages(threadId).find((m) => m.byBot && m.replyTo === question.id && !isLive(m) && m.content.startsWith('Hello')),
      60_000,
      'the answer in the thread',
    );
    expect(answer.content).toBe(llm.expectedReply('fake-fast', userText('and the budget?')));
    const sessions = await command('sessions', { limit: 25 });
    expect(sessions).toContain(`agent:main:clawcord:${threadId}`);
    void token;
    checked(version, `thread: the mention in the thread ran on agent:main:clawcord:${threadId}, its own session`);
  });

  it('8. a gateway restart in the middle of a slow run: the bot reconnects, the message ends correctly, the next /ask works', async () => {
    const { token } = discord.sendChatInput({ name: 'ask', options: { prompt: 'a SLOW one before the restart' }, channelId: channel('restart') });
    await waitFor(() => replyMessages(discord, token)[0]?.content.startsWith('slow1'), 60_000, 'the slow run to stream');
    const reconnects = bot.output.filter((line) => line.includes('connected to the gateway')).length;
    await gateway.restart();
    await waitFor(() => bot.output.filter((line) => line.includes('connected to the gateway')).length > reconnects, 60_000, 'the bot to reconnect');
    const [message] = await waitForSettledReply(discord, token, undefined, 90_000);
    expect(isLive(message!)).toBe(false);
    // 2026.2 loses the turn (the reply says so); 2026.9 drains it, or resumes it under a new run id whose answer
    // the reply then shows.
    const original = llm.expectedReply('fake-fast', userText('a SLOW one before the restart'));
    const final = message!.content === original || message!.content.startsWith('Hello from fake-llm');
    if (!final) expect(message!.content).toMatch(/\n\n⚠️ Interrupted: the gateway restarted or the connection dropped before the answer was complete\.$/);
    const { messages } = await ask('are you back?', 'restart');
    expect(messages[0]!.content).toBe(llm.expectedReply('fake-fast', userText('are you back?')));
    checked(version, `gateway restart: the bot reconnected; the message ended ${final ? `with the resumed turn's final text ${JSON.stringify(message!.content.slice(0, 80))}` : 'with a clear interrupted note'}; the next /ask worked`);
  });

  it('9. a bot restart in the middle of a run: on start it finishes the message from chat.history', async () => {
    const { token } = discord.sendChatInput({ name: 'ask', options: { prompt: 'SLOW but steady' }, channelId: channel('botrestart') });
    await waitFor(() => replyMessages(discord, token)[0]?.content.startsWith('slow1'), 60_000, 'the slow run to stream');
    bot.child.kill('SIGKILL');
    await bot.exited;
    expect(isLive(replyMessages(discord, token)[0]!)).toBe(true);
    bot = startBot();
    await bot.waitForLog(/finished a reply left over from before the restart/, 120_000);
    const [message] = replyMessages(discord, token);
    expect(isLive(message!)).toBe(false);
    expect(message!.content).toBe(llm.expectedReply('fake-fast', userText('SLOW but steady')));
    checked(version, 'bot restart: the new bot process finished the left-over reply with the final text');
  });

  it('sent nothing off the machine', () => {
    const records = gateway.netguardRecords();
    expect(records.filter((record) => !record.blocked)).toEqual([]);
    checked(version, `${records.length} non-loopback attempt(s) by the gateway, all refused`);
  });
});
