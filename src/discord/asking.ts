import type { ButtonInteraction, ChatInputCommandInteraction } from 'discord.js';
import type { Logger } from '../log.js';
import { fenced, type FilesRefusedError } from '../relay/attachments.js';
import { UserFacingError } from '../relay/errors.js';
import type { Person } from '../relay/scope.js';
import type { ReplyLocation } from '../store/store.js';
import { replyWithError } from './errors.js';
import { clipEscaped } from './render/progress.js';
import { MAX_MESSAGE_LENGTH } from './render/reply.js';
import { ephemeral } from './respond.js';

/** What asks the agent from Discord with a public reply of its own: /ask, and an approval card's Continue. */
export type AskingInteraction = ChatInputCommandInteraction | ButtonInteraction;

/** Defers publicly; returns the reply's first message, which Discord names in the callback's answer. */
export async function deferPublicly(interaction: AskingInteraction): Promise<string | undefined> {
  const response = await interaction.deferReply({ withResponse: true });
  const fromCallback = response.interaction.responseMessageId;
  if (fromCallback) return fromCallback;
  return (await interaction.fetchReply().catch(() => undefined))?.id;
}

/** Where a deferred interaction's reply is: its first message, and the interaction webhook while it lives. */
export function interactionLocation(interaction: AskingInteraction, channelId: string, originalId: string | undefined, overflowChannelId: string | null = null): ReplyLocation {
  return {
    channelId,
    messageIds: originalId ? [originalId] : [],
    interaction: { applicationId: interaction.applicationId, id: interaction.id, token: interaction.token, createdAt: interaction.createdTimestamp },
    overflowChannelId,
  };
}

/** The public note an /ask becomes when its prompt went into the answer already running. */
export function steeredNote(into: Person): string {
  return `↪️ Added to the answer in progress (asked by ${clipEscaped(into.name, 64) || 'someone'}).`;
}

/** The short answer to a thread follow-up that went into the running answer. */
export const STEERED_FOLLOW_UP = '↪️ Added to the answer in progress.';

/** The private note to an /ask with files and `steer:true` that waits for its own turn. */
export const FILES_NEVER_STEER = '↪️ A prompt with files cannot join an answer already running: yours waits for its own turn.';

/** Room for the "❌ " that replyWithError puts before a refusal. */
const ERROR_PREFIX_ROOM = 4;

/**
 * Refuses an /ask whose files cannot go: privately (before the public deferral, or as the private follow-up after it),
 * naming each file and why, with the prompt to ask again, since none of it was sent. A prompt too long for the same
 * message follows in private messages of its own.
 */
export async function refuseFiles(interaction: ChatInputCommandInteraction, error: FilesRefusedError, prompt: string, logger: Logger): Promise<void> {
  const whole = `${error.message}\n\nYour prompt, to ask again:\n${fenced(prompt)}`;
  if (whole.length + ERROR_PREFIX_ROOM <= MAX_MESSAGE_LENGTH) {
    await replyWithError(interaction, new UserFacingError(whole), logger);
    return;
  }
  await replyWithError(interaction, new UserFacingError(`${error.message}\n\nYour prompt follows, to ask again.`), logger);
  for (const part of promptParts(prompt, MAX_MESSAGE_LENGTH - 40)) {
    await interaction.followUp(ephemeral(fenced(part))).catch((sendError: unknown) => logger.warn({ err: sendError }, 'could not hand a refused prompt back'));
  }
}

/** A long prompt in pieces of at most `max` characters, cut at line breaks (which the cut takes) where there are any. */
export function promptParts(prompt: string, max: number): string[] {
  const parts: string[] = [];
  let rest = prompt;
  while (rest.length > max) {
    const newline = rest.lastIndexOf('\n', max);
    if (newline > max / 2) {
      parts.push(rest.slice(0, newline));
      rest = rest.slice(newline + 1);
      continue;
    }
    // Never between the halves of a surrogate pair.
    const cut = /[\uD800-\uDBFF]/.test(rest[max - 1] ?? '') ? max - 1 : max;
    parts.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  if (rest) parts.push(rest);
  return parts;
}
