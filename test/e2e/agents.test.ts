// Agents at work, as a Discord member sees them: tool progress in the live reply, approvals as buttons, a Stop that
// stops the tool's process, steering, sub-agents, and the footer. Fake Discord and fake OpenClaw gateways (v3 and v4).
import { describe, expect, it } from 'vitest';
import { CONTINUE_PROMPT } from '../../src/relay/approval-card.js';
import { startFakeDiscord, type FakeDiscord } from '../fakes/discord/index.js';
import type { RecordedMessage } from '../fakes/discord/types.js';
import type { OpenClawGateway } from '../fakes/gateway/openclaw-gateway.js';
import { wordTokens, type ReplyContext } from '../fakes/gateway/state.js';
import { onCleanup, waitFor } from '../gateway/helpers.js';
import { answer } from './answers.js';
import { replyMessages, replySubtext, replyText, startGateway, startStack, waitForSettledReply } from './harness.js';
import { botEnvironment, spawnBot } from './process.js';

const ADMIN = { permissions: String(1n << 5n) }; // Manage Server
const BOB = { id: '200000000000000002', username: 'bob', globalName: 'Bob' };
const MODERATOR = { id: '200000000000000003', username: 'mo', globalName: 'Mo' };

type Button = { custom_id: string; label: string; style: number };

function buttons(message: RecordedMessage | undefined): Button[] {
  const rows = (message?.components ?? []) as Array<{ components?: Button[] }>;
  return rows.flatMap((row) => row.components ?? []);
}

/** The approval card posted for a reply: a message of the bot's replying to the reply's first message. */
function cardFor(discord: FakeDiscord, token: string): RecordedMessage | undefined {
  const original = discord.interaction(token)?.original;
  if (!original) return undefined;
  return discord.messages(original.channelId).find((m) => m.byBot && !m.deleted && m.replyTo === original.id);
}

function waitForCard(discord: FakeDiscord, token: string, what: (card: RecordedMessage) => boolean, label: string): Promise<RecordedMessage> {
  return waitFor(() => {
    const card = cardFor(discord, token);
    return card && what(card) ? card : undefined;
  }, 8_000, label);
}

const pendingCard = (card: RecordedMessage) => buttons(card).some((b) => b.custom_id.startsWith('clawcord:approve:once:'));

async function press(discord: FakeDiscord, card: RecordedMessage, label: string, user?: { id: string; username: string; globalName: string }, member?: { permissions: string }) {
  const button = buttons(card).find((b) => b.label === label);
  if (!button) throw new Error(`the card has no ${label} button: ${JSON.stringify(buttons(card).map((b) => b.label))}`);
  return discord.clickButton({ messageId: card.id, customId: button.custom_id, ...(user ? { user } : {}), ...(member ? { member } : {}) });
}

/** Every version the reply's first message went through, as a member saw them. */
function shownVersions(discord: FakeDiscord, token: string): string[] {
  return replyMessages(discord, token)[0]?.versions.map((v) => v.content) ?? [];
}

describe.each([3, 4] as const)('agents at work (OpenClaw v%i)', (protocol) => {
  const gateway = protocol === 3 ? 'openclaw-v3' : 'openclaw-v4';

  it('a tool run shows its tool in the live reply, keeps the text around it, and ends with the answer and a summary', async () => {
    const { discord, gateway: fake } = await startStack({ gateway });
    (fake as OpenClawGateway).setReplyScript(() => ({
      toolCalls: [{ say: wordTokens('Let me look.'), name: 'exec', args: { command: 'ls -la /srv' }, output: 'backup.tar', durationMs: 1_500 }],
      tokens: wordTokens('There is one backup.'),
    }));
    const { token } = discord.sendChatInput({ name: 'ask', options: { prompt: 'what is in /srv?' } });
    const messages = await waitForSettledReply(discord, token, undefined, 10_000);
    const live = shownVersions(discord, token).filter((c) => c.includes('-# ⚙️'));
    expect(live.some((c) => c.includes('ls -la /srv'))).toBe(true);
    expect(replyText(messages)).toBe('Let me look.\n\nThere is one backup.');
    const [footer] = replySubtext(messages);
    expect(footer).toMatch(/^🤖 Asha · ollama\/kimi-k2\.5:cloud · 1 tool · \d+ s( · [\d.k]+ tokens)?$/);
  });

  it('an approval appears as a card, is refused to a non-approver, allowed by an admin, and the run finishes', async () => {
    const { discord, gateway: fake } = await startStack({ gateway, openclaw: { execApprovals: 'ask' } });
    const gw = fake as OpenClawGateway;
    const turns: string[] = [];
    gw.setReplyScript((ctx: ReplyContext) => {
      turns.push(ctx.message);
      return {
        toolCalls: [{ name: 'exec', args: { command: 'echo approved-run' }, output: 'approved-run' }],
        tokens: wordTokens(protocol === 4 ? 'The command said approved-run.' : 'It needs an approval first.'),
      };
    });
    const { token } = discord.sendChatInput({ name: 'ask', options: { prompt: 'run it' } });
    const card = await waitForCard(discord, token, pendingCard, 'an approval card');
    expect(card.content).toContain('echo approved-run');
    // 2026.9 says which decisions this command allows (Always was not, for echo); 2026.2 takes all three.
    expect(buttons(card).map((b) => b.label)).toEqual(protocol === 4 ? ['Allow once', 'Deny'] : ['Allow once', 'Always', 'Deny']);

    const refused = await press(discord, card, 'Allow once', BOB);
    expect(await answer(discord, refused.token)).toMatchObject({ ephemeral: true });
    expect((await answer(discord, refused.token)).content).toMatch(/^🚫 /);
    expect(gw.pendingApprovals()).toHaveLength(1);

    await press(discord, card, 'Allow once', MODERATOR, ADMIN);
    const decided = await waitForCard(discord, token, (c) => c.content.includes('Allowed once') && !pendingCard(c), 'the decided card');
    expect(decided.content).toContain('by Mo');
    const messages = await waitForSettledReply(discord, token, undefined, 10_000);
    if (protocol === 4) {
      expect(replyText(messages)).toBe('The command said approved-run.');
      return;
    }
    // 2026.2 ended the turn at once; the command ran after the decision, and Continue hands its output to the agent.
    expect(replyText(messages)).toBe('It needs an approval first.');
    const continued = await press(discord, decided, 'Continue');
    const next = await waitForSettledReply(discord, continued.token, undefined, 10_000);
    expect(replyText(next)).toBe('It needs an approval first.');
    expect(turns.at(-1)).toMatch(/^System: \[[^\]]+\] Exec finished \(gateway id=[^,]+, session=[^,]+, code 0\)\napproved-run/);
    expect(turns.at(-1)).toContain(CONTINUE_PROMPT);
  });

  it('a card never shows clawcord\'s secrets, even in the command an agent wants to run', async () => {
    const { discord, gateway: fake } = await startStack({ gateway, openclaw: { execApprovals: 'ask' } });
    const gw = fake as OpenClawGateway;
    gw.setReplyScript(() => ({ toolCalls: [{ name: 'exec', args: { command: `curl -H 'Authorization: Bearer ${gw.token}' http://127.0.0.1:9/` }, output: '' }], tokens: wordTokens('Tried.') }));
    const { token } = discord.sendChatInput({ name: 'ask', options: { prompt: 'call the gateway' } });
    const card = await waitForCard(discord, token, pendingCard, 'an approval card');
    expect(card.content).toContain("curl -H 'Authorization: Bearer ");
    expect(card.content).not.toContain(gw.token);
    // Nor does the reply's status line, which names the command too.
    if (protocol === 4) await waitFor(() => shownVersions(discord, token).some((c) => c.includes('-# ✋ waiting for approval · Exec curl')), 5_000, 'the waiting line');
    else await waitForSettledReply(discord, token, undefined, 10_000);
    expect(shownVersions(discord, token).filter((c) => c.includes(gw.token))).toEqual([]);
  });

  it('a denial and an expiry end cleanly, saying what happened on the card', async () => {
    const { discord, gateway: fake } = await startStack({ gateway, openclaw: { execApprovals: 'ask', approvalTimeoutMs: 4_000 } });
    const gw = fake as OpenClawGateway;
    gw.setReplyScript(() => ({ toolCalls: [{ name: 'exec', args: { command: 'echo risky' }, output: 'risky' }], tokens: wordTokens('Understood.') }));
    const denied = discord.sendChatInput({ name: 'ask', options: { prompt: 'try it' }, member: ADMIN });
    const card = await waitForCard(discord, denied.token, pendingCard, 'an approval card');
    await press(discord, card, 'Deny', undefined, ADMIN);
    await waitForCard(discord, denied.token, (c) => c.content.includes('Denied') && buttons(c).every((b) => !b.custom_id.startsWith('clawcord:approve:')), 'the denied card');
    expect(replyText(await waitForSettledReply(discord, denied.token, undefined, 10_000))).toBe('Understood.');

    const expired = discord.sendChatInput({ name: 'ask', options: { prompt: 'try again' } });
    await waitForCard(discord, expired.token, pendingCard, 'a second card');
    await waitForCard(discord, expired.token, (c) => c.content.includes('Expired') && !pendingCard(c), 'the expired card');
    expect(replyText(await waitForSettledReply(discord, expired.token, undefined, 10_000))).toBe('Understood.');
    expect(gw.pendingApprovals()).toHaveLength(0);
  });

  it('Stop kills the tool’s process: its side effect never happens', async () => {
    const { discord, gateway: fake } = await startStack({ gateway });
    const gw = fake as OpenClawGateway;
    let touched = false;
    gw.setReplyScript(() => ({
      toolCalls: [{ name: 'exec', args: { command: 'sleep 3; touch done' }, output: '', durationMs: 3_000, effect: () => (touched = true) }],
      tokens: wordTokens('finished'),
    }));
    const { token } = discord.sendChatInput({ name: 'ask', options: { prompt: 'long job' } });
    const live = await waitFor(() => {
      const message = replyMessages(discord, token)[0];
      return message?.content.includes('sleep 3; touch done') && buttons(message).some((b) => b.label === 'Stop') ? message : undefined;
    }, 8_000, 'the tool running with a Stop button');
    await press(discord, live, 'Stop');
    const [stopped] = await waitForSettledReply(discord, token, undefined, 10_000);
    expect(stopped!.content).toMatch(/⏹️ Stopped by Tester\./);
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    expect(touched).toBe(false);
    expect(gw.processes.every((p) => p.status !== 'running')).toBe(true);
  });
});

describe('agents at work on 2026.9 only', () => {
  it('busy agents stay within Discord\'s limits: tool runs and approval cards in one channel earn no 429', async () => {
    const { discord, gateway: fake } = await startStack({ gateway: 'openclaw-v4', openclaw: { execApprovals: 'ask' }, discord: { rateLimits: {} } });
    const gw = fake as OpenClawGateway;
    gw.setReplyScript(() => ({
      toolCalls: [
        { say: wordTokens('Step one.'), name: 'read', args: { path: 'a.ts' }, output: 'a', durationMs: 300 },
        { say: wordTokens('Step two.'), name: 'read', args: { path: 'b.ts' }, output: 'b', durationMs: 300 },
        { name: 'exec', args: { command: 'echo three' }, output: 'three' },
      ],
      tokens: wordTokens('All three steps are done, and the answer is complete.'),
    }));
    const asks = ['one', 'two', 'three'].map((prompt) => discord.sendChatInput({ name: 'ask', options: { prompt } }));
    // Each run waits for its approval; an admin allows them as their cards come (runs of one session queue).
    for (const { token } of asks) {
      const card = await waitForCard(discord, token, pendingCard, 'an approval card');
      await press(discord, card, 'Allow once', MODERATOR, ADMIN);
      // Three replies share the channel: each is its first message alone (the answers are short).
      const done = await waitFor(() => {
        const original = discord.interaction(token)?.original;
        return original && buttons(original).length === 0 && original.content.includes('-# 🤖') ? original : undefined;
      }, 20_000, 'the answer');
      expect(replyText([done])).toBe('Step one.\n\nStep two.\n\nAll three steps are done, and the answer is complete.');
    }
    expect(discord.stats().rateLimited).toBe(0);
  }, 60_000);

  it('a pending approval survives a bot restart: the card still decides it, and the run finishes', async () => {
    const gw = (await startGateway('openclaw-v4', { execApprovals: 'ask' })) as OpenClawGateway;
    const discord = await startFakeDiscord({ rateLimits: false });
    onCleanup(() => discord.close());
    const { env, secrets } = botEnvironment(gw, discord);
    gw.setReplyScript(() => ({ toolCalls: [{ name: 'exec', args: { command: 'echo after-restart' }, output: 'after-restart' }], tokens: wordTokens('Done after the restart.') }));
    const first = spawnBot(env, { secrets });
    await first.waitForLog(/clawcord is running/);
    const { token } = discord.sendChatInput({ name: 'ask', options: { prompt: 'do it' } });
    await waitForCard(discord, token, pendingCard, 'an approval card');
    // Killed once the card is recorded (a crash between posting and recording it is a window of milliseconds).
    await first.waitForLog(/an exec approval waits for a decision/);
    const card = cardFor(discord, token)!;
    first.child.kill('SIGKILL');
    await first.exited;

    const second = spawnBot(env, { secrets });
    await second.waitForLog(/clawcord is running/);
    await press(discord, card, 'Allow once', MODERATOR, ADMIN);
    await waitForCard(discord, token, (c) => c.content.includes('Allowed once') && c.content.includes('by Mo'), 'the decided card');
    await second.waitForLog(/finished a reply left over from before the restart/, 15_000);
    expect(replyText(replyMessages(discord, token))).toBe('Done after the restart.');
  });

  it('a follow-up in a thread steers the running turn, and says so', async () => {
    const { discord, gateway: fake } = await startStack({ gateway: 'openclaw-v4' });
    const gw = fake as OpenClawGateway;
    gw.setReplyScript(() => ({
      toolCalls: [{ say: wordTokens('Checking.'), name: 'exec', args: { command: 'sleep 2' }, output: '', durationMs: 2_000 }],
      tokens: [],
      lateTokens: (ctx) => wordTokens(ctx.steered.length > 0 ? `Noted: ${ctx.steered.join(' / ')}` : 'No news.'),
    }));
    const { token } = discord.sendChatInput({ name: 'ask', options: { prompt: 'check the build', thread: true } });
    const threadId = await waitFor(() => discord.interaction(token)?.original?.threadId ?? undefined, 5_000, 'the thread');
    await waitFor(() => shownVersions(discord, token).some((c) => c.includes('Exec sleep 2')), 8_000, 'the tool running');
    const followUp = discord.sendUserMessage({ channelId: threadId, content: 'also check the tests', mentionsBot: true });
    const steered = await waitFor(() => discord.messages(threadId).find((m) => m.byBot && m.replyTo === followUp.id), 8_000, 'the steer note');
    expect(steered.content).toBe('↪️ Added to the answer in progress.');
    const messages = await waitForSettledReply(discord, token, threadId, 10_000);
    expect(replyText(messages)).toContain('Noted: [Tester (');
    expect(replyText(messages)).toContain('also check the tests');
  });

  it('a yielded final waits for its sub-agents in the same reply and ends with the successor’s answer', async () => {
    const { discord, gateway: fake } = await startStack({ gateway: 'openclaw-v4' });
    const gw = fake as OpenClawGateway;
    gw.setReplyScript(() => ({
      tokens: wordTokens('Asking two helpers.'),
      yieldTo: { successor: { tokens: wordTokens('Both helpers agree: 42.') }, subagents: [{ task: 'look left' }, { task: 'look right' }], afterMs: 1_500 },
    }));
    const { token } = discord.sendChatInput({ name: 'ask', options: { prompt: 'research it' } });
    await waitFor(() => shownVersions(discord, token).some((c) => c.includes('-# 🧩 waiting for 2 sub-agents')), 8_000, 'the hand-off line');
    const messages = await waitForSettledReply(discord, token, undefined, 10_000);
    expect(replyText(messages)).toBe('Both helpers agree: 42.');
  });
});
