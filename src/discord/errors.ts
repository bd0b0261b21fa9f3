import type { RepliableInteraction } from 'discord.js';
import { GatewayError } from '../gateway/errors.js';
import { scrubSecrets, type Logger } from '../log.js';
import { GatewayUnavailableError, UserFacingError } from '../relay/errors.js';
import { ephemeral, replyEdit } from './respond.js';

/** What a person reads for an error: our own refusals as they are, gateway trouble plainly, the rest briefly. */
export function describeError(error: unknown): string {
  if (error instanceof UserFacingError) return error.message;
  if (error instanceof GatewayError) {
    if (error.code === 'DISCONNECTED') return new GatewayUnavailableError().message;
    if (error.code === 'TIMEOUT') return `The gateway is not answering in time (${scrubSecrets(error.message)}); it may be busy. Try again in a moment.`;
    return `The gateway said: ${scrubSecrets(error.message)}`;
  }
  return 'Something went wrong on clawcord\'s side; the details are in its log.';
}

/** What a public "thinking…" message becomes when its command failed; the reason goes to the asker privately. */
export const PUBLIC_FAILURE_NOTE = '⚠️ This request could not be completed; the person who asked was told why.';

/**
 * The one place that tells the user a command failed, always privately. A public deferral cannot turn private:
 * Discord makes the first follow-up after a deferral the edit of the "thinking…" message (its ephemeral flag
 * ignored), so that message is edited to a neutral note first and the reason follows as a private follow-up.
 * A button's message is the bot's reply, never replaced.
 */
export async function replyWithError(interaction: RepliableInteraction, error: unknown, logger: Logger): Promise<void> {
  if (!(error instanceof UserFacingError)) logger.warn({ err: error }, 'command failed');
  const text = `❌ ${describeError(error)}`;
  try {
    if (!interaction.deferred && !interaction.replied) await interaction.reply(ephemeral(text));
    else if (interaction.isMessageComponent() || interaction.replied) await interaction.followUp(ephemeral(text));
    else if (interaction.ephemeral) await interaction.editReply(replyEdit(text));
    else await notePublicFailure(interaction, text);
  } catch (replyError) {
    logger.warn({ err: replyError }, 'could not tell the user about an error');
  }
}

async function notePublicFailure(interaction: RepliableInteraction, text: string): Promise<void> {
  await interaction.editReply(replyEdit(PUBLIC_FAILURE_NOTE));
  await interaction.followUp(ephemeral(text));
}

/**
 * The same for a button that deferred a public reply of its own (a card's Continue): discord.js cannot tell that
 * deferral from a quiet one, so the handler says which it made.
 */
export async function replyWithErrorAfterPublicDeferral(interaction: RepliableInteraction, error: unknown, logger: Logger): Promise<void> {
  if (!(error instanceof UserFacingError)) logger.warn({ err: error }, 'command failed');
  await notePublicFailure(interaction, `❌ ${describeError(error)}`).catch((replyError: unknown) => logger.warn({ err: replyError }, 'could not tell the user about an error'));
}
