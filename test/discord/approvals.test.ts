import { REST, Routes } from 'discord.js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  cardTarget,
  commandBlock,
  continueButtonId,
  decisionButtonId,
  DiscordApprovalBoard,
  parseCardButton,
  renderApprovalCard,
} from '../../src/discord/approvals.js';
import { BucketMap, discordDefaultLimit, GLOBAL_KEY, observeRateLimits } from '../../src/discord/buckets.js';
import type { ApprovalCardView } from '../../src/relay/approval-card.js';
import { RateBudget } from '../../src/relay/budget.js';
import type { ReplyLocation } from '../../src/store/store.js';
import { formatViolation } from '../spec/validate.js';
import { startFakeDiscord, type FakeDiscord } from '../fakes/discord/index.js';

const ID = '98f741c7-0379-4009-9f31-ec98a103ee33';
const EXPIRES = 1_796_313_736_987;
const view = (over: Partial<ApprovalCardView> = {}): ApprovalCardView => ({
  approvalId: ID,
  command: 'echo approved-run',
  cwd: '/home/me/workspace',
  expiresAt: EXPIRES,
  decisions: ['allow-once', 'deny'],
  state: { kind: 'pending' },
  askerName: 'Alice',
  nextTurn: false,
  ...over,
});
const buttons = (card: ReturnType<typeof renderApprovalCard>) => card.components.flatMap((row) => row.components.map((b) => `${b.label}:${b.style}:${b.custom_id}`));

describe('button ids', () => {
  it('round-trip, and stay within Discord\'s 100 characters for gateway ids', () => {
    for (const decision of ['allow-once', 'allow-always', 'deny'] as const) {
      expect(parseCardButton(decisionButtonId(decision, ID))).toEqual({ kind: 'decide', decision, approvalId: ID });
    }
    expect(decisionButtonId('allow-once', ID)).toBe(`clawcord:approve:once:${ID}`);
    expect(decisionButtonId('allow-always', ID).length).toBeLessThanOrEqual(100);
    expect(parseCardButton(continueButtonId(ID))).toEqual({ kind: 'continue', approvalId: ID });
    for (const other of ['clawcord:stop:abc', 'clawcord:approve:maybe:x', 'clawcord:approve:once:', 'clawcord:continue:', 'nope']) {
      expect(parseCardButton(other)).toBeUndefined();
    }
  });
});

describe('renderApprovalCard', () => {
  it('shows a pending request with the command, where, until when, who asked, and the decisions it allows', () => {
    const card = renderApprovalCard(view());
    expect(card.content).toBe(
      '🔐 **The agent asks to run a command** (asked by Alice)\n```sh\necho approved-run\n```\n-# in /home/me/workspace · expires <t:1796313736:R>',
    );
    expect(buttons(card)).toEqual([`Allow once:3:clawcord:approve:once:${ID}`, `Deny:4:clawcord:approve:deny:${ID}`]);
    expect(buttons(renderApprovalCard(view({ decisions: ['allow-once', 'allow-always', 'deny'] })))).toEqual([
      `Allow once:3:clawcord:approve:once:${ID}`,
      `Always:1:clawcord:approve:always:${ID}`,
      `Deny:4:clawcord:approve:deny:${ID}`,
    ]);
    // A gateway that names no decisions (2026.2) gets the usual two.
    expect(buttons(renderApprovalCard(view({ decisions: [] })))).toHaveLength(2);
  });

  it('says who decided what, and offers no buttons then', () => {
    const decided = (decision: 'allow-once' | 'allow-always' | 'deny', by: string, outside = false) =>
      renderApprovalCard(view({ state: { kind: 'decided', decision, by, outside } }));
    expect(decided('allow-once', 'Alice').content.split('\n')[0]).toBe('✅ **Allowed once** by Alice');
    expect(decided('allow-always', 'Alice').content.split('\n')[0]).toBe('✅ **Always allowed** by Alice');
    expect(decided('deny', 'Bob').content.split('\n')[0]).toBe('⛔ **Denied** by Bob');
    expect(decided('allow-once', 'control-ui', true).content.split('\n')[0]).toBe('✅ **Allowed once** by control-ui outside Discord');
    expect(decided('deny', 'Bob').content).toContain('-# in /home/me/workspace · asked by Alice');
    expect(decided('deny', 'Bob').components).toEqual([]);
    const expired = renderApprovalCard(view({ state: { kind: 'expired' } }));
    expect(expired.content.split('\n')[0]).toBe('⌛ **Expired** — the command was not run');
    expect(expired.components).toEqual([]);
    const closed = renderApprovalCard(view({ state: { kind: 'closed', reason: 'the run was stopped' } }));
    expect(closed.content.split('\n')[0]).toBe('🔒 **Closed:** the run was stopped');
    expect(closed.components).toEqual([]);
  });

  it('on 2026.2 says the output reaches the agent with the next message, and a decided card offers Continue', () => {
    const pending = renderApprovalCard(view({ nextTurn: true }));
    expect(pending.content).toContain('the command runs once allowed, and its output reaches the agent with the next message');
    const decided = renderApprovalCard(view({ nextTurn: true, state: { kind: 'decided', decision: 'allow-once', by: 'Alice', outside: false } }));
    expect(decided.content.endsWith('Press **Continue** to hand the agent the result.')).toBe(true);
    expect(buttons(decided)).toEqual([`Continue:1:clawcord:continue:${ID}`]);
    const denied = renderApprovalCard(view({ nextTurn: true, state: { kind: 'decided', decision: 'deny', by: 'Bob', outside: false } }));
    expect(buttons(denied)).toEqual([`Continue:1:clawcord:continue:${ID}`]);
    const continued = renderApprovalCard(view({ nextTurn: true, state: { kind: 'decided', decision: 'allow-once', by: 'Alice', outside: false } }), { continuedBy: 'Carol' });
    expect(continued.content.endsWith('-# ▶️ Continued by Carol')).toBe(true);
    expect(continued.components).toEqual([]);
    expect(renderApprovalCard(view({ nextTurn: true, state: { kind: 'expired' } })).components).toEqual([]);
  });

  it('treats names, directories and reasons as untrusted text', () => {
    const card = renderApprovalCard(view({ askerName: '**@everyone** <@1>', cwd: '/tmp/`x`\n# y', state: { kind: 'pending' } }));
    expect(card.content.split('\n')[0]).toBe('🔐 **The agent asks to run a command** (asked by \\*\\*\\@everyone\\*\\* \\<\\@1\\>)');
    expect(card.content).toContain('-# in /tmp/\\`x\\` \\# y · expires');
    const long = renderApprovalCard(view({ askerName: 'n'.repeat(500), cwd: 'd'.repeat(5000), command: 'c'.repeat(50_000), state: { kind: 'closed', reason: 'r'.repeat(5000) } }));
    expect(long.content.length).toBeLessThanOrEqual(2000);
    expect(renderApprovalCard(view({ askerName: undefined })).content.split('\n')[0]).toBe('🔐 **The agent asks to run a command**');
  });

  it('drops the buttons when the id cannot fit in a custom id', () => {
    const card = renderApprovalCard(view({ approvalId: 'x'.repeat(90) }));
    expect(card.components).toEqual([]);
    expect(card.content).toContain('Control UI');
  });
});

describe('commandBlock', () => {
  it('keeps every backtick run from closing the block', () => {
    const block = commandBlock('echo ```done``` `x`');
    expect(block).toBe('```sh\necho `\u200b`\u200b`done`\u200b`\u200b` `x`\n```');
    expect(block.slice(6, -4)).not.toContain('``');
  });

  it('shows invisible and reordering characters as code points', () => {
    expect(commandBlock('rm -rf /tmp/\u202Eevil\u200B\u0007')).toBe('```sh\nrm -rf /tmp/<U+202E>evil<U+200B><U+0007>\n```');
    expect(commandBlock('a\r\nb\tc')).toBe('```sh\na\nb\tc\n```');
    expect(commandBlock('  ')).toBe('```sh\n(empty command)\n```');
  });

  it('keeps the start and the end of a long command, and says the middle is left out', () => {
    const command = `echo start ${'x'.repeat(3000)} ; rm -rf ~/the-end`;
    const block = commandBlock(command);
    expect(block).toContain('echo start');
    expect(block).toContain('rm -rf ~/the-end');
    expect(block).toContain(`⚠️ The command is too long to show whole (${command.length} characters)`);
    expect(block.length).toBeLessThan(1500);
  });
});

describe('cardTarget', () => {
  const location = (over: Partial<ReplyLocation>): ReplyLocation => ({ channelId: 'c1', messageIds: [], interaction: null, overflowChannelId: null, ...over });
  it('replies to the first message of the reply, in its thread when the reply went on in one', () => {
    expect(cardTarget({ reply: location({ messageIds: ['m1', 'm2'] }), fallbackChannelId: 'f' })).toEqual({ channelId: 'c1', replyTo: 'm1' });
    expect(cardTarget({ reply: location({ messageIds: ['m1', 'm2'], overflowChannelId: 't1' }), fallbackChannelId: 'f' })).toEqual({ channelId: 't1', replyTo: 'm2' });
    expect(cardTarget({ reply: location({ messageIds: ['m1'], overflowChannelId: 't1' }), fallbackChannelId: 'f' })).toEqual({ channelId: 't1', replyTo: undefined });
    expect(cardTarget({ reply: location({}), fallbackChannelId: 'f' })).toEqual({ channelId: 'c1', replyTo: undefined });
    expect(cardTarget({ reply: undefined, fallbackChannelId: 'f' })).toEqual({ channelId: 'f', replyTo: undefined });
  });
});

describe('DiscordApprovalBoard', () => {
  let fake: FakeDiscord;

  afterEach(async () => {
    await fake.close();
  });

  async function board(perChannel?: { limit: number; windowMs: number }) {
    fake = await startFakeDiscord({ rateLimits: perChannel ? { perChannel } : false, warnUnmatched: false });
    const rest = new REST({ api: fake.restBase, timeout: 2_000, retries: 0 }).setToken(fake.token);
    // The fake's channel buckets are small and short, so the budget's are too.
    const budget = new RateBudget((key) => (perChannel && key !== GLOBAL_KEY ? perChannel : discordDefaultLimit(key)));
    const buckets = new BucketMap();
    observeRateLimits(rest, budget, buckets);
    const acquired: string[][] = [];
    const acquire = budget.acquire.bind(budget);
    budget.acquire = (keys) => (acquired.push([...keys]), acquire(keys));
    return { rest, acquired, board: new DiscordApprovalBoard({ rest, budget, buckets }) };
  }

  it('posts a card as a reply to the reply, mention-free, then edits it as the request is decided', async () => {
    const { rest, board: cards } = await board();
    const channelId = fake.channelId('general');
    const first = (await rest.post(Routes.channelMessages(channelId), { body: { content: 'the reply' } })) as { id: string };
    const ref = await cards.post({ reply: { channelId, messageIds: [first.id], interaction: null, overflowChannelId: null }, fallbackChannelId: channelId }, view({ askerName: '@everyone' }));
    expect(ref.channelId).toBe(channelId);
    const posted = fake.message(ref.messageId)!;
    expect(posted.replyTo).toBe(first.id);
    expect(posted.versions[0]!.pinged).toEqual({ users: [], roles: [], everyone: false });
    expect(posted.components).toHaveLength(1);
    await cards.update(ref, view({ state: { kind: 'decided', decision: 'allow-once', by: 'Alice', outside: false } }));
    const decided = fake.message(ref.messageId)!;
    expect(decided.content.startsWith('✅ **Allowed once** by Alice')).toBe(true);
    expect(decided.components).toEqual([]);
    expect(fake.specViolations().map(formatViolation)).toEqual([]);
  });

  it('posts in the fallback channel when the reply\'s channel refuses it, and ignores a deleted card', async () => {
    const { rest, board: cards } = await board();
    const channelId = fake.channelId('general');
    const fallback = fake.channelId('random');
    fake.setBotCanView(channelId, false);
    const ref = await cards.post({ reply: { channelId, messageIds: ['100000000000000123'], interaction: null, overflowChannelId: null }, fallbackChannelId: fallback }, view());
    expect(ref.channelId).toBe(fallback);
    expect(fake.message(ref.messageId)!.replyTo).toBeNull();
    await rest.delete(Routes.channelMessage(ref.channelId, ref.messageId));
    await expect(cards.update(ref, view({ state: { kind: 'expired' } }))).resolves.toBeUndefined();
  });

  it('drops Continue once pressed, also on later updates', async () => {
    const { board: cards } = await board();
    const channelId = fake.channelId('general');
    const decided = view({ nextTurn: true, state: { kind: 'decided', decision: 'allow-once', by: 'Alice', outside: false } });
    const ref = await cards.post({ reply: undefined, fallbackChannelId: channelId }, decided);
    expect(fake.message(ref.messageId)!.components).toHaveLength(1);
    expect(cards.claimContinue(ID, 'Carol')).toBeUndefined();
    expect(cards.claimContinue(ID, 'Dave')).toBe('Carol');
    await cards.markContinued(ref, 'Carol', fake.message(ref.messageId)!.content);
    const shown = fake.message(ref.messageId)!;
    expect(shown.components).toEqual([]);
    expect(shown.content).not.toContain('Press **Continue**');
    expect(shown.content.endsWith('-# ▶️ Continued by Carol')).toBe(true);
    await cards.update(ref, decided);
    expect(fake.message(ref.messageId)!.components).toEqual([]);
    cards.releaseContinue(ID);
    await cards.update(ref, decided);
    expect(fake.message(ref.messageId)!.components).toHaveLength(1);
    expect(fake.specViolations().map(formatViolation)).toEqual([]);
  });

  it('keeps within the rate limits: many cards in one channel, no 429', async () => {
    const { board: cards, acquired } = await board({ limit: 3, windowMs: 400 });
    const channelId = fake.channelId('general');
    const refs = await Promise.all(Array.from({ length: 4 }, (_, n) => cards.post({ reply: undefined, fallbackChannelId: channelId }, view({ approvalId: `${ID.slice(0, -1)}${n}` }))));
    await Promise.all(refs.map((ref) => cards.update(ref, view({ state: { kind: 'expired' } }))));
    expect(fake.requests.filter((r) => r.status === 429)).toEqual([]);
    expect(fake.messages(channelId)).toHaveLength(4);
    // Every write waited for room in the channel's bucket and the global limit, as the reply writers do.
    expect(acquired).toHaveLength(8);
    expect(acquired.every((keys) => keys.length === 2 && keys[1] === GLOBAL_KEY && keys[0]!.endsWith(channelId))).toBe(true);
  });
});
