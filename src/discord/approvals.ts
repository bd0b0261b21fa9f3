import { randomBytes } from 'node:crypto';
import { ButtonStyle, ComponentType, DiscordAPIError, MessageFlags, Routes, type REST } from 'discord.js';
import type { ApprovalDecision } from '../gateway/types.js';
import type { Logger } from '../log.js';
import type { ApprovalBoard, ApprovalCardView, CardRef } from '../relay/approval-card.js';
import type { RateBudget } from '../relay/budget.js';
import type { ReplyLocation } from '../store/store.js';
import { BucketMap, GLOBAL_KEY, ROUTES } from './buckets.js';
import { when } from './format.js';
import { clipEscaped } from './render/progress.js';
import { capLength, NO_MENTIONS_API } from './respond.js';

// ---- button ids: `clawcord:approve:<once|always|deny>:<approvalId>`, `clawcord:continue:<approvalId>` ----

export const APPROVE_PREFIX = 'clawcord:approve:';
export const CONTINUE_PREFIX = 'clawcord:continue:';
const MAX_CUSTOM_ID = 100;

const DECISION_WORDS = { 'allow-once': 'once', 'allow-always': 'always', deny: 'deny' } as const satisfies Record<ApprovalDecision, string>;
const WORD_DECISIONS: Readonly<Record<string, ApprovalDecision>> = { once: 'allow-once', always: 'allow-always', deny: 'deny' };

export type CardButton = { kind: 'decide'; decision: ApprovalDecision; approvalId: string } | { kind: 'continue'; approvalId: string };

export function decisionButtonId(decision: ApprovalDecision, approvalId: string): string {
  return `${APPROVE_PREFIX}${DECISION_WORDS[decision]}:${approvalId}`;
}

export function continueButtonId(approvalId: string): string {
  return `${CONTINUE_PREFIX}${approvalId}`;
}

/** What an approval card's button asks for, or undefined for any other custom id. */
export function parseCardButton(customId: string): CardButton | undefined {
  if (customId.startsWith(CONTINUE_PREFIX)) {
    const approvalId = customId.slice(CONTINUE_PREFIX.length);
    return approvalId ? { kind: 'continue', approvalId } : undefined;
  }
  if (!customId.startsWith(APPROVE_PREFIX)) return undefined;
  const rest = customId.slice(APPROVE_PREFIX.length);
  const colon = rest.indexOf(':');
  const decision = colon > 0 ? WORD_DECISIONS[rest.slice(0, colon)] : undefined;
  const approvalId = rest.slice(colon + 1);
  return decision && approvalId ? { kind: 'decide', decision, approvalId } : undefined;
}

// ---- the card ----

/** What a card shows of the command; a longer one keeps its start and its end. */
const COMMAND_HEAD = 1_000;
const COMMAND_TAIL = 300;
const NAME_MAX = 64;
const CWD_MAX = 200;
const REASON_MAX = 300;

/**
 * The command as a code block that shows exactly what it is: no run of backticks can close the block (a zero-width
 * space goes between them), and invisible or reordering characters show as their code points.
 */
export function commandBlock(command: string): string {
  let shown = command.replace(/\r\n?/g, '\n');
  let note = '';
  if (shown.length > COMMAND_HEAD + COMMAND_TAIL + 100) {
    const left = shown.length - COMMAND_HEAD - COMMAND_TAIL;
    shown = `${shown.slice(0, COMMAND_HEAD)}\n… ${left} characters left out …\n${shown.slice(-COMMAND_TAIL)}`;
    note = `\n⚠️ The command is too long to show whole (${command.length} characters): its middle is left out.`;
  }
  shown = shown
    // Control, bidi and zero-width characters could hide what runs.
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g, (char) => `<U+${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}>`)
    .replace(/`(?=`)/g, '`\u200b');
  if (shown.trim() === '') shown = '(empty command)';
  return `\`\`\`sh\n${shown}\n\`\`\`${note}`;
}

function name(text: string | undefined, fallback: string): string {
  const clipped = text === undefined ? '' : clipEscaped(text, NAME_MAX);
  return clipped === '' ? fallback : clipped;
}

const DECIDED = { 'allow-once': '✅ **Allowed once**', 'allow-always': '✅ **Always allowed**', deny: '⛔ **Denied**' } as const;

function stateLine(view: ApprovalCardView): string {
  const state = view.state;
  switch (state.kind) {
    case 'pending':
      return `🔐 **The agent asks to run a command**${view.askerName?.trim() ? ` (asked by ${name(view.askerName, 'someone')})` : ''}`;
    case 'decided':
      return `${DECIDED[state.decision]} by ${name(state.by, 'someone')}${state.outside ? ' outside Discord' : ''}`;
    case 'expired':
      return '⌛ **Expired** — the command was not run';
    case 'closed':
      return `🔒 **Closed:** ${clipEscaped(state.reason, REASON_MAX) || 'no longer pending'}`;
  }
}

function details(view: ApprovalCardView): string | undefined {
  const parts: string[] = [];
  if (view.cwd && view.cwd.trim()) parts.push(`in ${clipEscaped(view.cwd, CWD_MAX)}`);
  if (view.state.kind === 'pending') parts.push(`expires ${when(view.expiresAt)}`);
  else if (view.askerName) parts.push(`asked by ${name(view.askerName, 'someone')}`);
  return parts.length > 0 ? `-# ${parts.join(' · ')}` : undefined;
}

export interface CardExtras {
  /** Continue was pressed (by this name): the card says so and offers it no more. */
  continuedBy?: string;
}

interface ButtonJson {
  type: ComponentType.Button;
  style: ButtonStyle;
  label: string;
  custom_id: string;
}

interface RowJson {
  type: ComponentType.ActionRow;
  components: ButtonJson[];
}

export interface CardMessage {
  content: string;
  components: RowJson[];
}

function button(label: string, style: ButtonStyle, customId: string): ButtonJson {
  return { type: ComponentType.Button, style, label, custom_id: customId };
}

/** How a card looks in Discord: its state, the command, where and until when, and the buttons it still offers. */
export function renderApprovalCard(view: ApprovalCardView, extras: CardExtras = {}): CardMessage {
  const lines = [stateLine(view), commandBlock(view.command)];
  const info = details(view);
  if (info) lines.push(info);
  const buttons: ButtonJson[] = [];
  const fits = decisionButtonId('allow-always', view.approvalId).length <= MAX_CUSTOM_ID;
  if (view.state.kind === 'pending') {
    if (view.nextTurn) lines.push("ℹ️ The agent's turn has ended: the command runs once allowed, and its output reaches the agent with the next message.");
    // A gateway that names no decisions takes the usual two.
    const offered = (decision: ApprovalDecision) => view.decisions.includes(decision) || (view.decisions.length === 0 && decision !== 'allow-always');
    if (offered('allow-once')) buttons.push(button('Allow once', ButtonStyle.Success, decisionButtonId('allow-once', view.approvalId)));
    if (offered('allow-always')) buttons.push(button('Always', ButtonStyle.Primary, decisionButtonId('allow-always', view.approvalId)));
    if (offered('deny')) buttons.push(button('Deny', ButtonStyle.Danger, decisionButtonId('deny', view.approvalId)));
  } else if (view.state.kind === 'decided' && view.nextTurn) {
    if (extras.continuedBy !== undefined) lines.push(`-# ▶️ Continued by ${name(extras.continuedBy, 'someone')}`);
    else {
      lines.push('Press **Continue** to hand the agent the result.');
      buttons.push(button('Continue', ButtonStyle.Primary, continueButtonId(view.approvalId)));
    }
  }
  if (!fits && buttons.length > 0) {
    lines.push("-# This request's id is too long for buttons: decide it in OpenClaw's Control UI.");
    buttons.length = 0;
  }
  return { content: capLength(lines.join('\n')), components: buttons.length > 0 ? [{ type: ComponentType.ActionRow, components: buttons }] : [] };
}

// ---- the board ----

/** Codes after which a channel takes no card, so the fallback channel gets it. */
const UNKNOWN_MESSAGE = 10008;
const THREAD_ARCHIVED = 50083;

export interface ApprovalBoardOptions {
  /** The bot's REST client (bot token): cards are channel messages, never interaction webhook messages. */
  rest: REST;
  budget: RateBudget;
  buckets: BucketMap;
  logger?: Pick<Logger, 'debug' | 'warn'>;
}

/** Continue presses remembered (to keep a card's Continue button gone on later updates). */
const CONTINUED_REMEMBERED = 1_000;

/**
 * Approval cards as Discord messages: posted as a reply to the reply whose run asks (in its thread when the reply
 * went on in one), else in the fallback channel; edited as the request is decided, expires or closes. Every write
 * waits for room in the bot's rate-limit budget (the channel's bucket and the global limit).
 */
export class DiscordApprovalBoard implements ApprovalBoard {
  private readonly continued = new Map<string, string>();

  constructor(private readonly options: ApprovalBoardOptions) {}

  async post(where: { reply: ReplyLocation | undefined; fallbackChannelId: string }, view: ApprovalCardView): Promise<CardRef> {
    const message = this.render(view);
    const target = cardTarget(where);
    try {
      return await this.create(target.channelId, message, target.replyTo);
    } catch (error) {
      const refused = error instanceof DiscordAPIError && error.status >= 400 && error.status < 500 && error.status !== 429;
      if (!refused || target.channelId === where.fallbackChannelId) throw error;
      this.options.logger?.warn({ err: error, channel: target.channelId }, 'could not post an approval card by its reply; posting it in the channel');
      return this.create(where.fallbackChannelId, message, undefined);
    }
  }

  async update(ref: CardRef, view: ApprovalCardView): Promise<void> {
    await this.edit(ref, this.render(view));
  }

  /**
   * Claims a card's Continue for one press: undefined when it is this one's, else who pressed it first. Claimed at
   * once, before the press's work, so two quick presses send one next turn.
   */
  claimContinue(approvalId: string, by: string): string | undefined {
    const first = this.continued.get(approvalId);
    if (first !== undefined) return first;
    this.continued.set(approvalId, by);
    if (this.continued.size > CONTINUED_REMEMBERED) this.continued.delete(this.continued.keys().next().value!);
    return undefined;
  }

  /** The press failed before it asked: the button is offered again. */
  releaseContinue(approvalId: string): void {
    this.continued.delete(approvalId);
  }

  /** Continue was pressed on a card: it says by whom and drops the button (`content`: what the card shows now). */
  async markContinued(ref: CardRef, by: string, content: string): Promise<void> {
    const kept = content.replace(/\nPress \*\*Continue\*\*[^\n]*$/u, '');
    await this.edit(ref, { content: capLength(`${kept}\n-# ▶️ Continued by ${name(by, 'someone')}`), components: [] });
  }

  private render(view: ApprovalCardView): CardMessage {
    const continuedBy = this.continued.get(view.approvalId);
    return renderApprovalCard(view, continuedBy === undefined ? {} : { continuedBy });
  }

  private async create(channelId: string, message: CardMessage, replyTo: string | undefined): Promise<CardRef> {
    const { rest, budget, buckets } = this.options;
    await budget.acquire([buckets.keyFor({ route: ROUTES.createMessage, major: channelId }), GLOBAL_KEY]);
    const body = {
      ...message,
      allowed_mentions: NO_MENTIONS_API,
      flags: MessageFlags.SuppressEmbeds,
      // discord.js retries a create whose answer was lost; the nonce keeps it one card.
      nonce: randomBytes(8).toString('hex'),
      enforce_nonce: true,
      ...(replyTo ? { message_reference: { message_id: replyTo, fail_if_not_exists: false } } : {}),
    };
    const created = (await rest.post(Routes.channelMessages(channelId), { body })) as { id: string };
    return { channelId, messageId: created.id };
  }

  private async edit(ref: CardRef, message: CardMessage): Promise<void> {
    try {
      await this.patch(ref, message);
    } catch (error) {
      if (isCode(error, UNKNOWN_MESSAGE)) {
        // Someone deleted the card: nothing left to update.
        this.options.logger?.debug({ channel: ref.channelId, message: ref.messageId }, 'an approval card is gone');
        return;
      }
      if (!isCode(error, THREAD_ARCHIVED) || !(await this.unarchive(ref.channelId))) throw error;
      await this.patch(ref, message);
    }
  }

  private async patch(ref: CardRef, message: CardMessage): Promise<void> {
    const { rest, budget, buckets } = this.options;
    await budget.acquire([buckets.keyFor({ route: ROUTES.editMessage, major: ref.channelId }), GLOBAL_KEY]);
    await rest.patch(Routes.channelMessage(ref.channelId, ref.messageId), { body: { ...message, allowed_mentions: NO_MENTIONS_API } });
  }

  /** Edits do not count as thread activity: a card in a quiet thread may find it archived. Locked ones stay so. */
  private async unarchive(threadId: string): Promise<boolean> {
    const { rest, budget, buckets } = this.options;
    try {
      await budget.acquire([buckets.keyFor({ route: 'GET /channels/:channel', major: threadId }), GLOBAL_KEY]);
      const thread = (await rest.get(Routes.channel(threadId))) as { thread_metadata?: { archived?: boolean; locked?: boolean } };
      if (!thread.thread_metadata || thread.thread_metadata.locked) return false;
      await budget.acquire([buckets.keyFor({ route: 'PATCH /channels/:channel', major: threadId }), GLOBAL_KEY]);
      await rest.patch(Routes.channel(threadId), { body: { archived: false } });
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * Where a card goes: beside the reply's messages, as a reply to the first of them in that channel. A reply that went
 * on in a thread (`/ask thread:true`) has its first message in the parent; the card goes into the thread, replying
 * to the reply's first message there, if any (a reply cannot point into another channel).
 */
export function cardTarget(where: { reply: ReplyLocation | undefined; fallbackChannelId: string }): { channelId: string; replyTo: string | undefined } {
  const reply = where.reply;
  if (!reply) return { channelId: where.fallbackChannelId, replyTo: undefined };
  if (reply.overflowChannelId) return { channelId: reply.overflowChannelId, replyTo: reply.messageIds[1] };
  return { channelId: reply.channelId, replyTo: reply.messageIds[0] };
}

function isCode(error: unknown, code: number): boolean {
  return error instanceof DiscordAPIError && Number(error.code) === code;
}
