// Agents at work against real OpenClaw gateways, as a Discord member sees them: a tool's progress line and the footer,
// approval cards, a Stop that kills the tool's process, steering, a yielded turn followed to its successor, and an
// approval that outlives a bot restart. The real bot process on the fake Discord; each version's stack runs beside
// the other's, and the pairs of tests run at the same time (the Stop test waits a minute for a file that must never
// appear; that minute is paid once, while the later tests run).
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relaySchema } from '../../src/config/schema.js';
import { attributePrompt } from '../../src/relay/prompt.js';
import type { FakeDiscord } from '../fakes/discord/index.js';
import type { RecordedMessage } from '../fakes/discord/types.js';
import { answer } from '../e2e/answers.js';
import { isLive, replyMessages, replySubtext, replyText } from '../e2e/harness.js';
import { waitFor } from '../gateway/helpers.js';
import { BotStacks, checked, describeEndChecks, settledReply, startBotStack, type BotStack } from './harness/bot-stack.js';
import { SUCCESSOR_REPLY, type FakeLlmRequest } from './harness/fake-llm.js';
import type { OpenClawVersion } from './harness/openclaw.js';

const VERSIONS: OpenClawVersion[] = ['2026.2.17', '2026.9.6'];
const V4: OpenClawVersion = '2026.9.6';
const CHANNELS = ['tools', 'approvals', 'stop', 'steer', 'subagents', 'restart'];
/** The agent whose exec commands wait for a decision; `main` runs them unprompted. */
const ASKING_AGENT = 'ops';
const ADMIN = { permissions: String(1n << 5n) }; // Manage Server
const BOB = { id: '200000000000000002', username: 'bob', globalName: 'Bob' };
const MODERATOR = { id: '200000000000000003', username: 'mo', globalName: 'Mo' };
const PROMPT_TEMPLATE = relaySchema.parse({}).promptTemplate;
/** A command that must never complete: the Stop test's shell sleeps longer than the file's wait (the harness keeps
 * commands in the foreground for 60 s). */
const STOP_SLEEP_S = 60;

type Button = { custom_id: string; label: string };

function buttons(message: RecordedMessage | undefined): Button[] {
  const rows = (message?.components ?? []) as Array<{ components?: Button[] }>;
  return rows.flatMap((row) => row.components ?? []);
}

/** The approval cards posted for a reply: the bot's messages replying to the reply's first message, oldest first. */
function cardsFor(discord: FakeDiscord, token: string): RecordedMessage[] {
  const original = discord.interaction(token)?.original;
  if (!original) return [];
  return discord.messages(original.channelId).filter((m) => m.byBot && !m.deleted && m.replyTo === original.id);
}

const pendingCard = (card: RecordedMessage) => buttons(card).some((b) => b.custom_id.startsWith('clawcord:approve:once:'));

function waitForCard(discord: FakeDiscord, token: string, what: (card: RecordedMessage) => boolean, label: string, timeoutMs = 60_000): Promise<RecordedMessage> {
  return waitFor(() => cardsFor(discord, token).find(what), timeoutMs, label);
}

function press(discord: FakeDiscord, message: RecordedMessage, label: string, user?: typeof BOB, member?: typeof ADMIN) {
  const button = buttons(discord.message(message.id)).find((b) => b.label === label);
  if (!button) throw new Error(`the message has no ${label} button: ${JSON.stringify(buttons(message).map((b) => b.label))}`);
  return discord.clickButton({ messageId: message.id, customId: button.custom_id, ...(user ? { user } : {}), ...(member ? { member } : {}) });
}

/** Every text the reply's first message showed, in order. */
const shownVersions = (discord: FakeDiscord, token: string) => replyMessages(discord, token)[0]?.versions.map((v) => v.content) ?? [];

/** The `-# ` lines of a text, without their marks. */
const subtextLines = (content: string) => content.split('\n').filter((line) => line.startsWith('-# ')).map((line) => line.slice(3));

/** The last user message of a request to the LLM, whole (the gateway's envelope and system lines included). */
function lastUserMessage(request: FakeLlmRequest): string {
  const messages = ((request.body as { messages?: Array<{ role?: string; content?: unknown }> }).messages ?? []).filter((m) => m.role === 'user');
  const content = messages.at(-1)?.content;
  return typeof content === 'string' ? content : JSON.stringify(content ?? '');
}

/** Processes whose command line holds `needle`, with their children (the shell of an exec step and its sleep). */
function processesOf(needle: string): number[] {
  const parents = new Map<number, number>();
  const hits: number[] = [];
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const pid = Number(entry);
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(pid, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').includes(needle)) hits.push(pid);
    } catch {
      // gone while reading
    }
  }
  return [...hits, ...[...parents].filter(([, ppid]) => hits.includes(ppid)).map(([pid]) => pid)];
}

const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/^\S+ \([^)]*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));

/** For a failed wait's catch: the error again, with what the test could see then. */
const explain = (what: () => string) => (error: Error): never => {
  throw new Error(`${error.message}; ${what()}`, { cause: error });
};

const stacks = new BotStacks();
const stackOf = (version: OpenClawVersion) => stacks.of(version);
/** What the Stop tests left to check at the end: marker files that must not appear before their deadline. */
const stoppedMarkers: Array<{ version: OpenClawVersion; file: string; deadline: number }> = [];

beforeAll(async () => {
  const started = await Promise.allSettled(
    VERSIONS.map(async (version) => {
      const stack = await startBotStack({ version, channels: CHANNELS, gateway: { execApprovals: [ASKING_AGENT] } });
      stacks.set(version, stack);
      const hello = JSON.parse(stack.bot.output.find((line) => line.includes('connected to the gateway'))!) as { protocol: string };
      expect(hello.protocol).toBe(String(stack.gateway.expectedProtocol));
    }),
  );
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
});

afterAll(async () => {
  await Promise.all(stacks.all().map((stack) => stack.close()));
});

/** Helpers bound to one version's stack. */
function on(version: OpenClawVersion) {
  const stack = stackOf(version);
  const { discord, llm } = stack;
  const channel = (name: string) => discord.channelId(name);
  const userText = (prompt: string) => attributePrompt(PROMPT_TEMPLATE, { id: discord.defaultUserId, name: 'Tester' }, prompt);
  return {
    stack,
    discord,
    llm,
    channel,
    userText,
    v4: stack.gateway.expectedProtocol === 4,
    /** A slash command and what its user reads. */
    async command(name: string, options: Record<string, string | number | boolean>, where: string, member?: object) {
      const { token } = discord.sendChatInput({ name, options, channelId: channel(where), ...(member ? { member } : {}) });
      return (await answer(discord, token, { timeoutMs: 30_000 })).content;
    },
    ask(prompt: string, where: string, options: Record<string, string | number | boolean> = {}) {
      return discord.sendChatInput({ name: 'ask', options: { prompt, ...options }, channelId: channel(where) });
    },
    /** The LLM requests of the turns started by this prompt (its tool steps included), answered or not. */
    requestsFor: (prompt: string) => llm.requests.filter((r) => r.userText === userText(prompt)),
  };
}

// First, so that the minute its command must not complete in passes while the other tests run.
describe('15. Stop during a tool step', () => {
  it.concurrent.each(VERSIONS)('openclaw@%s: the reply says who stopped it, and the command\'s processes are gone', async (version) => {
    const { discord, ask } = on(version);
    const marker = join(mkdtempSync(join(tmpdir(), 'clawcord-interop-stop-')), 'done');
    const { token } = ask(`TOOLCALL:exec:sleep ${STOP_SLEEP_S}; touch ${marker}`, 'stop');
    const live = await waitFor(() => {
      const message = replyMessages(discord, token)[0];
      return message && subtextLines(message.content).some((l) => l.startsWith('⚙️') && l.includes(`sleep ${STOP_SLEEP_S}`)) && buttons(message).some((b) => b.label === 'Stop') ? message : undefined;
    }, 60_000, 'the command running, with a Stop button');
    const started = Date.now();
    const processes = await waitFor(() => {
      const pids = processesOf(marker);
      return pids.length >= 2 ? pids : undefined; // the shell and its sleep
    }, 15_000, "the command's processes");
    stoppedMarkers.push({ version, file: marker, deadline: started + (STOP_SLEEP_S + 2) * 1000 });
    press(discord, live, 'Stop');
    const [stopped] = await settledReply(discord, token, 30_000);
    expect(stopped!.content).toMatch(/⏹️ Stopped by Tester\./);
    expect(isLive(stopped!)).toBe(false);
    await waitFor(() => processes.every((pid) => !alive(pid)) || undefined, 15_000, `the processes ${processes.join(', ')} to end`);
    checked(version, `Stop ${((Date.now() - started) / 1000).toFixed(1)} s into the step: ${JSON.stringify(stopped!.content)}; processes ${processes.join(', ')} gone`);
  });
});

describe('13. a tool run', () => {
  it.concurrent.each(VERSIONS)('openclaw@%s: the live reply names the running command; the answer keeps every segment and a footer says who, which model, 1 tool', async (version) => {
    const { discord, ask, requestsFor } = on(version);
    const prompt = 'SAY:Let me run it. TOOLCALL:exec:sleep 6; echo hi REPLY:The command said {results}';
    const { token } = ask(prompt, 'tools');
    const versions = () => replyMessages(discord, token)[0]?.versions ?? [];
    // 2026.2 names the command as written; 2026.9 as its own summary ("run sleep 6 → print text"). The step is long
    // enough for the line to be drawn: on 2026.2 the streamed text has spent the interaction's 5 edits per 5 s.
    const workingLine = (content: string) => subtextLines(content).find((line) => /^⚙️ .*\bsleep 6\b/.test(line));
    const working = await waitFor(() => versions().find((v) => workingLine(v.content)), 60_000, 'a ⚙️ line naming the command').catch(
      explain(() => `the reply showed ${JSON.stringify(versions().map((v) => v.content))}`),
    );
    const messages = await settledReply(discord, token, 60_000);
    expect(replyText(messages)).toBe('Let me run it.\n\nThe command said exec=hi');
    const footer = replySubtext(messages);
    expect(footer).toEqual([expect.stringMatching(/^🤖 Main · fake\/fake-fast · 1 tool · \d+ s( · [\d.k]+ tokens?)?$/)]);
    expect(messages.every((m) => !isLive(m))).toBe(true);
    // The agent really ran it: the model's next call carried its output, and the line was shown before that call.
    const calls = requestsFor(prompt).filter((r) => r.status === 200);
    expect(calls.map((r) => r.toolResults.map((t) => t.text.trim()))).toEqual([[], ['hi']]);
    expect(working.at).toBeLessThan(calls[1]!.at);
    checked(version, `live ${JSON.stringify(workingLine(working.content))} ${((calls[1]!.at - working.at) / 1000).toFixed(1)} s before the step ended; final ${JSON.stringify(replyText(messages))} with footer ${JSON.stringify(footer[0])}`);
  });
});

describe('14. approvals (agent ops asks before exec)', () => {
  it.concurrent.each(VERSIONS)('openclaw@%s: a card appears, a member is refused privately, an admin allows once, the output reaches the agent; a deny ends cleanly', async (version) => {
    const { stack, discord, ask, command, requestsFor, v4 } = on(version);
    expect(await command('agent', { agent: ASKING_AGENT }, 'approvals', ADMIN)).toContain(`to agent \`${ASKING_AGENT}\``);

    const prompt = 'TOOLCALL:exec:echo approved-run';
    const { token } = ask(prompt, 'approvals');
    const card = await waitForCard(discord, token, pendingCard, 'an approval card');
    expect(card.content).toContain('echo approved-run');
    expect(card.content).toMatch(/^🔐 \*\*The agent asks to run a command\*\* \(asked by Tester\)/);
    const labels = buttons(card).map((b) => b.label);
    expect(labels).toEqual(expect.arrayContaining(['Allow once', 'Deny']));
    if (v4) {
      // 2026.9 holds the turn until the decision, and the live reply says what it waits for.
      await waitFor(() => shownVersions(discord, token).flatMap(subtextLines).some((line) => line.startsWith('✋ waiting for approval')), 15_000, 'a ✋ line');
    }

    const refused = press(discord, card, 'Allow once', BOB);
    const refusal = await answer(discord, refused.token, { timeoutMs: 15_000 });
    expect(refusal.ephemeral).toBe(true);
    expect(refusal.content).toMatch(/^🚫 /);
    expect(pendingCard(discord.message(card.id)!)).toBe(true);

    press(discord, card, 'Allow once', MODERATOR, ADMIN);
    const decided = await waitForCard(discord, token, (c) => c.id === card.id && c.content.includes('Allowed once') && !pendingCard(c), 'the decided card', 30_000);
    expect(decided.content).toMatch(/^✅ \*\*Allowed once\*\* by Mo/);
    const messages = await settledReply(discord, token, 60_000);
    if (v4) {
      expect(replyText(messages)).toBe('Tool results: exec=approved-run');
    } else {
      // 2026.2 ends the turn at once; the command runs after the decision, and Continue hands its output over.
      const firstTurn = requestsFor(prompt).filter((r) => r.status === 200);
      expect(firstTurn.map((r) => r.answer?.kind)).toEqual(['tool_calls', 'text']);
      expect(firstTurn[1]!.toolResults[0]!.text.trim()).not.toBe('approved-run');
      checked(version, `the turn ended before the decision; the tool said ${JSON.stringify(firstTurn[1]!.toolResults[0]!.text.slice(0, 160))}`);
      const offered = await waitForCard(discord, token, (c) => c.id === card.id && buttons(c).some((b) => b.label === 'Continue'), 'the Continue button', 30_000);
      const from = stack.llm.requests.length;
      const continued = press(discord, offered, 'Continue');
      const next = await settledReply(discord, continued.token, 60_000);
      const turn = stack.llm.requests.slice(from).find((r) => r.status === 200);
      expect(turn, 'the LLM request of the Continue turn').toBeDefined();
      const handed = lastUserMessage(turn!);
      expect(handed).toMatch(/System: \[[^\]]+\] Exec finished \([^)]*\)[\s\S]*approved-run/);
      expect(turn!.userText).toContain('Continue: the command I decided on has run');
      expect(replyText(next)).toBe(stack.llm.expectedReply('fake-fast', turn!.userText));
      expect((discord.message(card.id)?.content ?? '')).toContain('▶️ Continued by Tester');
      checked(version, `the Continue turn handed the agent ${JSON.stringify(handed.slice(0, 160))}`);
    }
    checked(version, `card ${JSON.stringify(labels)}, 🚫 "${refusal.content}" for Bob, "Allowed once by Mo"; the reply ${JSON.stringify(replyText(messages))}`);

    // A deny: the command never runs, the card says so, the reply ends.
    const marker = join(mkdtempSync(join(tmpdir(), 'clawcord-interop-deny-')), 'ran');
    const denied = ask(`TOOLCALL:exec:sleep 1; touch ${marker}`, 'approvals');
    const denyCard = await waitForCard(discord, denied.token, pendingCard, 'a second card');
    press(discord, denyCard, 'Deny', MODERATOR, ADMIN);
    const closed = await waitForCard(discord, denied.token, (c) => c.content.startsWith('⛔ **Denied** by Mo') && !pendingCard(c), 'the denied card', 30_000);
    const deniedReply = await settledReply(discord, denied.token, 60_000);
    expect(deniedReply.every((m) => !isLive(m))).toBe(true);
    stoppedMarkers.push({ version, file: marker, deadline: Date.now() + 5_000 });
    if (v4) {
      const [, after] = requestsFor(`TOOLCALL:exec:sleep 1; touch ${marker}`).filter((r) => r.status === 200);
      expect(after?.toolResults[0]?.text, 'what the agent was told').toMatch(/denied/i);
    }
    checked(version, `deny: the card says ${JSON.stringify(closed.content.split('\n')[0])}; the reply ${JSON.stringify(replyText(deniedReply).slice(0, 120))}`);
  });
});

describe('16. steering (2026.9)', () => {
  it('openclaw@2026.9.6: a thread follow-up during a tool step goes into the running turn, says so, and the answer holds both', async () => {
    const { stack, discord, ask } = on(V4);
    const prompt = 'SAY:Checking the build. TOOLCALL:exec:sleep 5; echo build-ok';
    const { token } = ask(prompt, 'steer', { thread: true });
    const threadId = await waitFor(() => discord.interaction(token)?.original?.threadId ?? undefined, 30_000, 'the thread');
    await waitFor(() => shownVersions(discord, token).flatMap(subtextLines).some((l) => l.startsWith('⚙️') && l.includes('sleep 5')), 60_000, 'the tool running');
    const from = stack.llm.requests.length;
    const followUp = discord.sendUserMessage({ channelId: threadId, content: 'also check the tests', mentionsBot: true });
    const note = await waitFor(() => discord.messages(threadId).find((m) => m.byBot && m.replyTo === followUp.id), 30_000, 'the steer note');
    expect(note.content).toBe('↪️ Added to the answer in progress.');
    // The note is a message of its own in the thread, not part of the reply.
    const messages = (await settledReply(discord, token, 60_000, threadId)).filter((m) => m.id !== note.id);
    // The run's next model call has the tool's output and then the follow-up; no other run answers it.
    const later = stack.llm.requests.slice(from).filter((r) => r.status === 200);
    expect(later).toHaveLength(1);
    expect(later[0]!.userText).toContain('also check the tests');
    expect(JSON.stringify(later[0]!.body)).toContain('build-ok');
    const text = replyText(messages);
    expect(text).toBe(`Checking the build.\n\n${stack.llm.expectedReply('fake-fast', later[0]!.userText)}`);
    expect(replySubtext(messages)).toEqual(['↪️ Tester added to this answer while it ran.', expect.stringMatching(/^🤖 Main · fake\/fake-fast · 1 tool · /)]);
    checked(V4, `steered: ${JSON.stringify(note.content)}; the reply ${JSON.stringify(text.slice(0, 140))}`);
  });
});

describe('17. a yielded turn (2026.9)', () => {
  it('openclaw@2026.9.6: the reply stays live waiting for the sub-agent, then ends with the successor\'s answer', async () => {
    const { discord, ask } = on(V4);
    const prompt =
      'SAY:Spawning a helper. TOOLCALL:tool_call:{"id":"sessions_spawn","args":{"task":"TOOLCALL:exec:sleep 6 REPLY:child done"}} ' +
      'TOOLCALL:sessions_yield:{"message":"waiting for the child","acknowledgment":"Waiting for the helper."}';
    const { token } = ask(prompt, 'subagents');
    const waiting = await waitFor(
      () => {
        const message = replyMessages(discord, token)[0];
        return message && isLive(message) ? subtextLines(message.content).find((l) => l.startsWith('🧩 waiting for 1 sub-agent')) : undefined;
      },
      60_000,
      'a live "🧩 waiting for 1 sub-agent" line',
    );
    const messages = await settledReply(discord, token, 90_000);
    expect(messages).toHaveLength(1);
    expect(replyText(messages)).toMatch(new RegExp(`${SUCCESSOR_REPLY.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    checked(V4, `live ${JSON.stringify(waiting)}; final ${JSON.stringify(replyText(messages))} ${JSON.stringify(replySubtext(messages))}`);
  });
});

describe('a pending approval across a bot restart (2026.9)', () => {
  it('openclaw@2026.9.6: the card posted before the restart still decides it, and the reply finishes', async () => {
    const { stack, discord, ask, command } = on(V4);
    expect(await command('agent', { agent: ASKING_AGENT }, 'restart', ADMIN)).toContain(`to agent \`${ASKING_AGENT}\``);
    const { token } = ask('TOOLCALL:exec:echo after-restart', 'restart');
    const card = await waitForCard(discord, token, pendingCard, 'an approval card');
    // Killed once this card is recorded (the log holds earlier approvals' lines too): a bot killed between posting a
    // card and recording it posts a second one after the restart.
    const approvalId = buttons(card).find((b) => b.label === 'Allow once')!.custom_id.split(':').at(-1)!;
    await waitFor(() => stack.bot.output.find((line) => line.includes('an exec approval waits for a decision') && line.includes(approvalId)), 15_000, 'the card to be recorded');
    const bot = await stack.restartBot();
    const pressed = press(discord, card, 'Allow once', MODERATOR, ADMIN);
    await waitForCard(discord, token, (c) => c.id === card.id && c.content.startsWith('✅ **Allowed once** by Mo'), 'the decided card', 30_000).catch(
      explain(() => {
        const cards = cardsFor(discord, token).map((c) => ({ id: c.id, content: c.content.split('\n')[0], buttons: buttons(c).map((b) => b.label), versions: c.versions.map((v) => [v.at, v.kind, v.content.split('\n')[0]]) }));
        const approvalLines = (b: typeof bot) => b.output.filter((line) => /approval|card|restart/i.test(line)).map((line) => line.slice(0, 400));
        return `cards ${JSON.stringify(cards)}; the press at ${discord.interaction(pressed.token)?.callbacks[0]?.at} was answered ${JSON.stringify(discord.interaction(pressed.token)?.callbacks)}; the first bot logged ${JSON.stringify(approvalLines(stack.bots.at(-2)!))}; the new bot logged ${JSON.stringify(approvalLines(bot))}`;
      }),
    );
    await bot.waitForLog(/finished a reply left over from before the restart/, 60_000);
    const messages = await settledReply(discord, token, 30_000);
    expect(replyText(messages)).toBe('Tool results: exec=after-restart');
    expect(cardsFor(discord, token).map((c) => c.id)).toEqual([card.id]);
    checked(V4, `after the restart the card decided the approval; the reply ${JSON.stringify(replyText(messages))}`);
  });
});

describe('15. (continued) after the Stop and the deny', () => {
  it("the commands' marker files never appeared", async () => {
    expect(stoppedMarkers.map((m) => m.version).sort()).toEqual([...VERSIONS, ...VERSIONS].sort());
    const last = Math.max(...stoppedMarkers.map((m) => m.deadline));
    const waitMs = Math.max(0, last - Date.now());
    // The one fixed wait: a file that never appears has no event to wait for.
    await new Promise((resolve) => setTimeout(resolve, waitMs));
    expect(stoppedMarkers.filter((m) => existsSync(m.file))).toEqual([]);
    console.log(`✓ no marker of ${stoppedMarkers.length} stopped or denied commands appeared (waited ${(waitMs / 1000).toFixed(1)} s more)`);
  });
});

describeEndChecks(VERSIONS, stacks);
