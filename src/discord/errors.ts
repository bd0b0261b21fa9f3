import type { RepliableInteraction } from 'discord.js';
import { GatewayError } from '../gateway/errors.js';
import { scrubSecrets, type Logger } from '../log.js';
import { GatewayUnavailableError, UserFacingError } from '../relay/errors.js';
import { ephemeral } from './respond.js';

/** What a person reads for an error: our own refusals as they are, gateway trouble plainly, the rest briefly. */
export function describeError(error: unknown): string {
  if (error instanceof UserFacingError) return error.message;
  if (error instanceof GatewayError) {
    if (error.code === 'DISCONNECTED' || error.code === 'TIMEOUT') return new GatewayUnavailableError().message;
    return `The gateway said: ${scrubSecrets(error.message)}`;
  }
  return 'Something went wrong on clawcord\'s side; the details are in its log.';
}

/** The one place that turns a failed command into an ephemeral reply. */
export async function replyWithError(interaction: RepliableInteraction, error: unknown, logger: Logger): Promise<void> {
  if (!(error instanceof UserFacingError)) logger.warn({ err: error }, 'command failed');
  const reply = ephemeral(`❌ ${describeError(error)}`);
  try {
    if (interaction.deferred && !interaction.ephemeral) {
      // A public "thinking…" message cannot turn ephemeral: remove it and say why privately.
      await interaction.deleteReply().catch(() => {});
      await interaction.followUp(reply);
    } else if (interaction.deferred || interaction.replied) await interaction.followUp(reply);
    else await interaction.reply(reply);
  } catch (replyError) {
    logger.warn({ err: replyError }, 'could not tell the user about an error');
  }
}
