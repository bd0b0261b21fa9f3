import type { ButtonInteraction } from 'discord.js';
import { PermissionsBitField } from 'discord.js';
import { describe, expect, it, vi } from 'vitest';
import { accessSchema } from '../../src/config/schema.js';
import { AccessPolicy } from '../../src/discord/access.js';
import { onCardButton, type ApprovalDesk } from '../../src/discord/approval-buttons.js';
import type { ApprovalCardInfo, DecideResult } from '../../src/relay/relay.js';
import type { DiscordApprovalBoard } from '../../src/discord/approvals.js';
import { PUBLIC_FAILURE_NOTE } from '../../src/discord/errors.js';
import type { BotContext } from '../../src/discord/context.js';
import { CONTINUE_PROMPT } from '../../src/relay/approval-card.js';
import { silentLogger } from '../../src/log.js';

const GUILD = '100000000000000001';
const CHANNEL = '100000000000000002';
const ASKER = '100000000000000007';
const ADMIN = '100000000000000008';
const ID = '98f741c7-0379-4009-9f31-ec98a103ee33';

interface Said {
  kind: 'reply' | 'deferUpdate' | 'deferReply' | 'followUp' | 'editReply';
  content?: string;
  ephemeral?: boolean;
}

/** The few parts of a button interaction the handler touches, recording what it answered. */
function press(userId: string, options: { manageGuild?: boolean; name?: string } = {}) {
  const said: Said[] = [];
  const record = (kind: Said['kind']) => async (body?: { content?: string; flags?: number }) => {
    said.push({ kind, ...(body?.content !== undefined ? { content: body.content } : {}), ...(body?.flags !== undefined ? { ephemeral: (body.flags & 64) !== 0 } : {}) });
    return kind === 'deferReply' ? { interaction: { responseMessageId: '100000000000000500' } } : undefined;
  };
  const interaction = {
    id: '100000000000000400',
    applicationId: '100000000000000300',
    token: 'interaction-token',
    createdTimestamp: Date.now(),
    guildId: GUILD,
    channelId: CHANNEL,
    channel: { id: CHANNEL, isThread: () => false },
    user: { id: userId, username: options.name ?? 'someone', globalName: options.name ?? null },
    member: { roles: [], nick: options.name ?? null, permissions: '0' },
    memberPermissions: new PermissionsBitField(options.manageGuild ? PermissionsBitField.Flags.ManageGuild : 0n),
    message: { id: '100000000000000600', content: 'the card' },
    reply: record('reply'),
    deferUpdate: record('deferUpdate'),
    deferReply: record('deferReply'),
    followUp: record('followUp'),
    editReply: record('editReply'),
    fetchReply: async () => ({ id: '100000000000000500' }),
  };
  return { interaction: interaction as unknown as ButtonInteraction, said };
}

function desk(card: Partial<ApprovalCardInfo> | undefined, outcome: DecideResult = { status: 'decided' }) {
  const decided: Array<{ decision: string; by: string }> = [];
  const value: ApprovalDesk = {
    approvalCard: async () => (card ? { approvalId: ID, scopeId: CHANNEL, guildId: GUILD, askerId: ASKER, askerName: 'Alice', state: { kind: 'pending' }, ...card } : undefined),
    decideApproval: async (_id, decision, by) => {
      decided.push({ decision, by: by.name });
      return outcome;
    },
  };
  return { desk: value, decided };
}

function board() {
  const claims = new Map<string, string>();
  const marked: string[] = [];
  const value = {
    claimContinue: (id: string, by: string) => {
      const first = claims.get(id);
      if (first === undefined) claims.set(id, by);
      return first;
    },
    releaseContinue: (id: string) => void claims.delete(id),
    markContinued: async (_ref: unknown, by: string) => void marked.push(by),
  };
  return { board: value as unknown as DiscordApprovalBoard, marked, claims };
}

function context(ask = vi.fn(async (_input: unknown): Promise<unknown> => ({ status: 'started', position: 0, jobId: 'j1' }))) {
  const value = {
    relay: { precheck: async () => {}, ask },
    createWriter: (options: unknown) => ({ options }),
  };
  return { context: value as unknown as BotContext, ask };
}

const access = (config: object = {}) => new AccessPolicy(accessSchema.parse({ admins: { users: [ADMIN] }, ...config }));

function deps(over: { desk?: ApprovalDesk; config?: object; ask?: ReturnType<typeof context>['ask'] } = {}) {
  const b = board();
  const c = context(over.ask);
  return { deps: { desk: over.desk ?? desk({}).desk, board: b.board, access: access(over.config), askAccess: 'member' as const, context: c.context, logger: silentLogger }, board: b, ask: c.ask };
}

describe('approval buttons', () => {
  it('an approver\'s press defers the update and sends the decision, with nothing more to say', async () => {
    const d = desk({});
    const { interaction, said } = press(ADMIN, { name: 'Root' });
    await onCardButton(interaction, { kind: 'decide', decision: 'allow-once', approvalId: ID }, deps({ desk: d.desk }).deps);
    expect(said).toEqual([{ kind: 'deferUpdate' }]);
    expect(d.decided).toEqual([{ decision: 'allow-once', by: 'Root' }]);
  });

  it('refuses others privately, naming who may; the asker may when the config says so', async () => {
    const d = desk({});
    const stranger = press('100000000000000099');
    await onCardButton(stranger.interaction, { kind: 'decide', decision: 'deny', approvalId: ID }, deps({ desk: d.desk, config: { approvers: { asker: true } } }).deps);
    expect(stranger.said).toEqual([{ kind: 'reply', ephemeral: true, content: `🚫 Only clawcord admins (the Manage Server permission, <@${ADMIN}>) or the person who asked (Alice) can decide what the agent may run.` }]);
    expect(d.decided).toEqual([]);
    const asker = press(ASKER, { name: 'Alice' });
    await onCardButton(asker.interaction, { kind: 'decide', decision: 'deny', approvalId: ID }, deps({ desk: d.desk, config: { approvers: { asker: true } } }).deps);
    expect(d.decided).toEqual([{ decision: 'deny', by: 'Alice' }]);
    // Without `asker`, asking does not make an approver; Manage Server does (the default admins).
    const again = press(ASKER, { name: 'Alice' });
    await onCardButton(again.interaction, { kind: 'decide', decision: 'deny', approvalId: ID }, deps({ desk: d.desk }).deps);
    expect(again.said[0]).toMatchObject({ kind: 'reply', ephemeral: true });
    const manager = press('100000000000000098', { manageGuild: true });
    await onCardButton(manager.interaction, { kind: 'decide', decision: 'allow-once', approvalId: ID }, deps({ desk: d.desk }).deps);
    expect(manager.said).toEqual([{ kind: 'deferUpdate' }]);
  });

  it('says privately why a decision did not go through', async () => {
    const cases: Array<[DecideResult, string]> = [
      [{ status: 'gone' }, 'This request is no longer pending: it expired, or someone decided it first.'],
      [{ status: 'unavailable', message: 'The gateway does not allow Always for this command: choose Allow once or Deny.' }, '❌ The gateway does not allow Always for this command: choose Allow once or Deny.'],
    ];
    for (const [outcome, text] of cases) {
      const { interaction, said } = press(ADMIN);
      await onCardButton(interaction, { kind: 'decide', decision: 'allow-always', approvalId: ID }, deps({ desk: desk({}, outcome).desk }).deps);
      expect(said).toEqual([{ kind: 'deferUpdate' }, { kind: 'followUp', ephemeral: true, content: text }]);
    }
  });

  it('answers a press on a settled or unknown request at once, without asking the gateway', async () => {
    const cases: Array<[Partial<ApprovalCardInfo> | undefined, string]> = [
      [undefined, 'clawcord no longer knows this request: it expired, or was decided while clawcord was away.'],
      [{ state: { kind: 'decided', decision: 'deny', by: 'Bob', outside: false } }, 'This request was already decided: denied by Bob.'],
      [{ state: { kind: 'decided', decision: 'allow-once', by: 'ui', outside: true } }, 'This request was already decided: allowed once by ui outside Discord.'],
      [{ state: { kind: 'expired' } }, 'This request expired: the command was not run.'],
      [{ state: { kind: 'closed', reason: 'the run was stopped' } }, 'This request is closed: the run was stopped.'],
    ];
    for (const [card, text] of cases) {
      const d = desk(card);
      const { interaction, said } = press(ADMIN);
      await onCardButton(interaction, { kind: 'decide', decision: 'allow-once', approvalId: ID }, deps({ desk: d.desk }).deps);
      expect(said).toEqual([{ kind: 'reply', ephemeral: true, content: text }]);
      expect(d.decided).toEqual([]);
    }
  });

  it('Continue asks the agent publicly with the continue prompt, once, and marks the card', async () => {
    const d = desk({ state: { kind: 'decided', decision: 'allow-once', by: 'Root', outside: false } });
    const setup = deps({ desk: d.desk });
    const first = press('100000000000000099', { name: 'Carol' });
    await onCardButton(first.interaction, { kind: 'continue', approvalId: ID }, setup.deps);
    expect(first.said).toEqual([{ kind: 'deferReply' }]);
    expect(setup.ask).toHaveBeenCalledTimes(1);
    const input = setup.ask.mock.calls[0]![0] as unknown as { prompt: string; requester: { name: string }; scope: { id: string }; steer?: boolean; writer: { options: { location: { messageIds: string[] }; deferred: boolean } } };
    expect(input.prompt).toBe(CONTINUE_PROMPT);
    expect(input.requester.name).toBe('Carol');
    expect(input.scope.id).toBe(CHANNEL);
    expect(input.steer).toBeUndefined();
    expect(input.writer.options).toMatchObject({ location: { messageIds: ['100000000000000500'] }, deferred: true });
    await vi.waitFor(() => expect(setup.board.marked).toEqual(['Carol']));
    const second = press('100000000000000098', { name: 'Dave' });
    await onCardButton(second.interaction, { kind: 'continue', approvalId: ID }, setup.deps);
    expect(second.said).toEqual([{ kind: 'reply', ephemeral: true, content: 'Carol pressed Continue already.' }]);
    expect(setup.ask).toHaveBeenCalledTimes(1);
  });

  it('Continue waits for a decision, keeps /ask\'s access, and offers itself again when asking failed', async () => {
    const pending = press(ADMIN);
    await onCardButton(pending.interaction, { kind: 'continue', approvalId: ID }, deps({ desk: desk({}).desk }).deps);
    expect(pending.said).toEqual([{ kind: 'reply', ephemeral: true, content: 'Allow or deny the command first; then Continue hands the agent the result.' }]);

    const closed = deps({ config: { roles: ['100000000000000055'] }, desk: desk({ state: { kind: 'expired' } }).desk });
    const outsider = press('100000000000000099');
    await onCardButton(outsider.interaction, { kind: 'continue', approvalId: ID }, closed.deps);
    expect(outsider.said[0]).toMatchObject({ kind: 'reply', ephemeral: true, content: expect.stringContaining('🚫 You need one of these roles') });

    const failing = deps({ desk: desk({ state: { kind: 'expired' } }).desk, ask: vi.fn(async (_input: unknown): Promise<unknown> => Promise.reject(new Error('boom'))) });
    const presser = press(ADMIN);
    await onCardButton(presser.interaction, { kind: 'continue', approvalId: ID }, failing.deps);
    expect(presser.said).toEqual([
      { kind: 'deferReply' },
      { kind: 'editReply', content: PUBLIC_FAILURE_NOTE },
      { kind: 'followUp', ephemeral: true, content: "❌ Something went wrong on clawcord's side; the details are in its log." },
    ]);
    expect(failing.board.claims.size).toBe(0);
  });
});
