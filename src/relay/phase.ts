/** Where a reply stands, as the relay tells the renderer. */
export type ReplyPhase =
  | { kind: 'queued'; position: number }
  | { kind: 'waiting' }
  | { kind: 'streaming' }
  | { kind: 'final' }
  | { kind: 'error'; message: string }
  | { kind: 'aborted'; by: string | undefined }
  | { kind: 'interrupted'; reason: string };

export function isLive(phase: ReplyPhase): boolean {
  return phase.kind === 'queued' || phase.kind === 'waiting' || phase.kind === 'streaming';
}

/** One message of a reply as it should look now. */
export interface RenderedMessage {
  content: string;
  /** Still changing: shows the live indicator and the stop button, and suppresses link embeds. */
  live: boolean;
}

/** Turns a reply's text and phase into the messages that show it. */
export type ReplyRenderer = (text: string, phase: ReplyPhase) => RenderedMessage[];
