import type { FakeDiscord, InteractionView } from '../fakes/discord/index.js';
import { waitFor } from '../gateway/helpers.js';

const EPHEMERAL = 64;

/** What the person who ran a command ends up reading, once the bot has answered. */
export interface Answer {
  /** The reply itself (an immediate reply, or the deferred one after its edit). */
  content: string;
  ephemeral: boolean;
  /** Private follow-ups after it. */
  notes: string[];
}

/** The answer to an interaction so far, or undefined while Discord still shows "thinking…". */
export function answerOf(view: InteractionView | undefined): Answer | undefined {
  if (!view) return undefined;
  const notes = view.followUps.filter((m) => m.ephemeral && !m.deleted).map((m) => m.content);
  const immediate = view.callbacks.find((c) => c.type === 4 && c.status > 0 && c.status < 300);
  if (immediate) {
    const data = immediate.data as { content: string; flags?: number };
    return { content: data.content, ephemeral: ((data.flags ?? 0) & EPHEMERAL) !== 0, notes };
  }
  const original = view.original;
  // A deferred reply is Discord's "thinking…" until the bot edits it.
  if (view.ackType !== 5 || !original || original.versions.length < 2) return undefined;
  return { content: original.content, ephemeral: original.ephemeral, notes };
}

/** Waits for the answer to an interaction (and, with `notes`, for that many private follow-ups). */
export function answer(discord: FakeDiscord, token: string, { timeoutMs = 5_000, notes = 0 } = {}): Promise<Answer> {
  return waitFor(() => {
    const result = answerOf(discord.interaction(token));
    return result && result.notes.length >= notes ? result : undefined;
  }, timeoutMs, 'an answer');
}
