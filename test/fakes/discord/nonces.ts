// Nonces of created channel messages, for Create Message's enforce_nonce.
import type { Store, StoredMessage } from './store.js';

/** The fake's reading of "the past few minutes"; Discord names no exact window. */
export const NONCE_WINDOW_MS = 3 * 60_000;

interface Remembered {
  messageId: string;
  at: number;
}

export class NonceLedger {
  private readonly seen = new Map<string, Remembered>();

  constructor(private readonly store: Store) {}

  private static key(channelId: string, authorId: string, nonce: string | number): string {
    return JSON.stringify([channelId, authorId, nonce]);
  }

  /**
   * The message this author created in this channel with this nonce within the window, if it still exists. Whether
   * Discord answers a deleted one is not documented; the fake creates a new message then.
   */
  find(channelId: string, authorId: string, nonce: string | number, now: number): StoredMessage | undefined {
    this.forgetOlderThan(now - NONCE_WINDOW_MS);
    const remembered = this.seen.get(NonceLedger.key(channelId, authorId, nonce));
    if (!remembered) return undefined;
    const message = this.store.message(remembered.messageId);
    return message && !message.deleted ? message : undefined;
  }

  remember(message: StoredMessage, now: number): void {
    if (message.nonce === null) return;
    this.seen.set(NonceLedger.key(message.channelId, message.authorId, message.nonce), { messageId: message.id, at: now });
  }

  private forgetOlderThan(cutoff: number): void {
    for (const [key, entry] of this.seen) if (entry.at < cutoff) this.seen.delete(key);
  }
}
