import type { InteractionEditReplyOptions, InteractionReplyOptions } from 'discord.js';
import { MessageFlags } from 'discord.js';
import { MAX_MESSAGE_LENGTH } from './render/reply.js';

/** No @everyone, no roles, no users, no reply ping: text from the model or a person never notifies anyone. */
export const NO_MENTIONS = { parse: [], repliedUser: false } as const;

/** The same, as the API field, for raw REST bodies. */
export const NO_MENTIONS_API = { parse: [], replied_user: false } as const;

export function capLength(content: string, max = MAX_MESSAGE_LENGTH): string {
  return content.length <= max ? content : `${content.slice(0, max - 1)}…`;
}

/** Every message the bot sends outside a streamed reply goes through here: length-capped, mention-free. */
export function safeReply(content: string, options: { ephemeral?: boolean } = {}): InteractionReplyOptions & { flags?: number } {
  return {
    content: capLength(content),
    allowedMentions: NO_MENTIONS,
    ...(options.ephemeral ? { flags: MessageFlags.Ephemeral } : {}),
  };
}

export function ephemeral(content: string) {
  return safeReply(content, { ephemeral: true });
}

/** The text of a deferred reply, for editReply: an edit keeps the visibility the deferral chose. */
export function replyEdit(content: string): InteractionEditReplyOptions {
  return { content: capLength(content), allowedMentions: NO_MENTIONS };
}
