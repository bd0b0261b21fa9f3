import type { ButtonInteraction, ChatInputCommandInteraction } from 'discord.js';
import type { Person } from '../relay/scope.js';
import type { ReplyLocation } from '../store/store.js';
import { clipEscaped } from './render/progress.js';

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
