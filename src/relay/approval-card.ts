import type { ApprovalDecision } from '../gateway/types.js';
import type { ReplyLocation } from '../store/store.js';

/** Where an approval request stands, as its card shows it. */
export type ApprovalState =
  | { kind: 'pending' }
  /** `outside`: decided by another client of the gateway (a Control UI), `by` as the gateway names it. */
  | { kind: 'decided'; decision: ApprovalDecision; by: string; outside: boolean }
  | { kind: 'expired' }
  /** No longer pending for another reason (the run was stopped; decided or expired while clawcord was away). */
  | { kind: 'closed'; reason: string };

/** What an approval card shows. The Discord side draws it; the relay decides what it says. */
export interface ApprovalCardView {
  approvalId: string;
  command: string;
  cwd: string | undefined;
  expiresAt: number;
  /** The buttons: only decisions the gateway accepts for this request. */
  decisions: ApprovalDecision[];
  state: ApprovalState;
  /** Who asked the question whose run wants this, if clawcord knows. */
  askerName: string | undefined;
  /**
   * 2026.2: the agent's turn already ended; the command runs after approval and its output reaches the agent only
   * with the next message. A decided card then offers a Continue button that sends that message.
   */
  nextTurn: boolean;
}

/** Where a card was posted, opaque to the relay (kept in the store to update the card after a restart). */
export type CardRef = { channelId: string; messageId: string } & Record<string, unknown>;

/** Posts and updates approval cards: implemented by the Discord side. */
export interface ApprovalBoard {
  /** Posts a card next to a reply (as a message replying to its first message), or in `fallbackChannelId`. */
  post(where: { reply: ReplyLocation | undefined; fallbackChannelId: string }, view: ApprovalCardView): Promise<CardRef>;
  update(ref: CardRef, view: ApprovalCardView): Promise<void>;
}

/** The message the Continue button sends on 2026.2, after which the gateway hands the agent the command's result. */
export const CONTINUE_PROMPT = 'Continue: the command I decided on has run (or was denied); its result is above.';
