import type { ButtonInteraction } from 'discord.js';
import type { ApprovalDecision } from '../gateway/types.js';
import type { Logger } from '../log.js';
import { CONTINUE_PROMPT, type ApprovalState } from '../relay/approval-card.js';
import type { DecideResult, QueuePlace, Relay } from '../relay/relay.js';
import type { AccessPolicy } from './access.js';
import type { CardButton, DiscordApprovalBoard } from './approvals.js';
import { deferPublicly, interactionLocation } from './asking.js';
import { replyWithErrorAfterPublicDeferral } from './errors.js';
import type { CommandAccess } from './command.js';
import type { BotContext } from './context.js';
import { actorOf, personOf, scopeOf } from './interaction.js';
import { clipEscaped } from './render/progress.js';
import { ephemeral } from './respond.js';

/** The relay's side of approval buttons. */
export type ApprovalDesk = Pick<Relay, 'approvalCard' | 'decideApproval'>;

export interface CardButtonDeps {
  desk: ApprovalDesk;
  board: DiscordApprovalBoard;
  access: AccessPolicy;
  /** Who may ask (/ask's access): Continue asks the agent. */
  askAccess: CommandAccess;
  context: BotContext;
  logger: Logger;
}

const DECISION_WORDS: Record<ApprovalDecision, string> = { 'allow-once': 'allowed once', 'allow-always': 'always allowed', deny: 'denied' };

/** Why a request takes no decision any more, for the person who pressed anyway. */
export function settledNote(state: ApprovalState): string | undefined {
  switch (state.kind) {
    case 'pending':
      return undefined;
    case 'decided':
      return `This request was already decided: ${DECISION_WORDS[state.decision]} by ${clipEscaped(state.by, 64) || 'someone'}${state.outside ? ' outside Discord' : ''}.`;
    case 'expired':
      return 'This request expired: the command was not run.';
    case 'closed':
      return `This request is closed: ${clipEscaped(state.reason, 300) || 'it is no longer pending'}.`;
  }
}

/** What the presser is told privately when a decision did not go through. */
export function decideFailure(outcome: DecideResult): string | undefined {
  switch (outcome.status) {
    case 'decided':
      return undefined;
    case 'gone':
      return 'This request is no longer pending: it expired, or someone decided it first.';
    case 'unavailable':
      return `❌ ${outcome.message}`;
  }
}

/** An approval card's button: Allow once / Always / Deny, or Continue. */
export async function onCardButton(interaction: ButtonInteraction, button: CardButton, deps: CardButtonDeps): Promise<void> {
  if (button.kind === 'decide') await decide(interaction, button.decision, button.approvalId, deps);
  else await continueTurn(interaction, button.approvalId, deps);
}

async function decide(interaction: ButtonInteraction, decision: ApprovalDecision, approvalId: string, { desk, access }: CardButtonDeps): Promise<void> {
  const card = await desk.approvalCard(approvalId);
  if (!card) {
    await interaction.reply(ephemeral('clawcord no longer knows this request: it expired, or was decided while clawcord was away.'));
    return;
  }
  const verdict = access.mayApprove(actorOf(interaction), { id: card.askerId, name: card.askerName });
  if (!verdict.ok) {
    await interaction.reply(ephemeral(`🚫 ${verdict.reason}`));
    return;
  }
  const settled = settledNote(card.state);
  if (settled) {
    await interaction.reply(ephemeral(settled));
    return;
  }
  // The gateway may take a moment; Discord wants an answer within 3 s. The card itself shows the decision.
  await interaction.deferUpdate();
  const failure = decideFailure(await desk.decideApproval(approvalId, decision, personOf(interaction)));
  if (failure) await interaction.followUp(ephemeral(failure));
}

/** 2026.2: the command ran (or was denied) after the turn ended; Continue sends the next turn that hands it over. */
async function continueTurn(interaction: ButtonInteraction, approvalId: string, { desk, board, access, askAccess, context, logger }: CardButtonDeps): Promise<void> {
  const verdict = access.check(actorOf(interaction), 'ask', askAccess);
  if (!verdict.ok) {
    await interaction.reply(ephemeral(`🚫 ${verdict.reason}`));
    return;
  }
  const card = await desk.approvalCard(approvalId);
  if (card?.state.kind === 'pending') {
    await interaction.reply(ephemeral('Allow or deny the command first; then Continue hands the agent the result.'));
    return;
  }
  const requester = personOf(interaction);
  const first = board.claimContinue(approvalId, requester.name);
  if (first !== undefined) {
    await interaction.reply(ephemeral(`${clipEscaped(first, 64) || 'Someone'} pressed Continue already.`));
    return;
  }
  let deferred = false;
  let place: QueuePlace | undefined;
  try {
    const scope = scopeOf(interaction);
    // Refusals (gateway down, queue full) stay private: they come before the public "thinking…", and the place the
    // precheck holds in the queue keeps a burst of asks from taking it meanwhile.
    place = await context.relay.precheck(scope, { hold: true });
    const originalId = await deferPublicly(interaction);
    deferred = true;
    const writer = context.createWriter({ location: interactionLocation(interaction, scope.id, originalId), deferred: true });
    await context.relay.ask({ scope, requester, prompt: CONTINUE_PROMPT, writer, ...(place ? { place } : {}) });
  } catch (error) {
    board.releaseContinue(approvalId);
    if (!deferred) throw error;
    await replyWithErrorAfterPublicDeferral(interaction, error, logger);
    return;
  } finally {
    // The ask takes its place itself; this covers a deferral that failed.
    place?.release();
  }
  const ref = { channelId: interaction.channelId, messageId: interaction.message.id };
  void board.markContinued(ref, requester.name, interaction.message.content).catch((error: unknown) => logger.warn({ err: error, approval: approvalId }, 'could not mark an approval card continued'));
}
