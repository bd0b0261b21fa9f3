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
  /** Files the message carries (only a final message has any); a write with the same names keeps them. */
  files?: ReplyFile[];
  /**
   * This message shows the whole reply (its text went into a file on it): the messages the stream created after it
   * are removed.
   */
  wholeReply?: boolean;
  /** The one member this message may notify (the asker, on the first message of a final sent below); else no one. */
  mention?: string;
}

/** A file attached to a reply: the whole answer, a long code block, a file the agent produced. */
export interface ReplyFile {
  name: string;
  data: Buffer;
  contentType?: string;
}

/** Turns a reply's text and phase into the messages that show it. */
export type ReplyRenderer = (text: string, phase: ReplyPhase, extras?: ReplyExtras) => RenderedMessage[];

/** What a reply shows of an agent at work, under its text (computed by the relay, drawn by the renderer). */
export interface ReplyProgress {
  /** Tools running now, by title (parallel calls included), oldest first. */
  running: string[];
  /** Tool calls finished so far, and how many of them failed. */
  done: number;
  failed: number;
  /** Since the run started, as of this render. */
  elapsedMs: number;
  plan?: Array<{ step: string; status: 'pending' | 'in_progress' | 'completed' }>;
  /** The model call is being retried. */
  retry?: { attempt: number; maxAttempts: number | undefined };
  /** Approvals the run waits for. */
  waitingApprovals: number;
  /** The turn was handed to sub-agents; `count` when the gateway says how many. */
  subAgents?: { count: number | undefined };
}

/** The small line under a final answer: who answered, and what it cost. */
export interface ReplyFooter {
  agent: string | undefined;
  model: string | undefined;
  durationMs: number;
  tokens: number | undefined;
  /** The progress summary folded into the footer ("3 tools"), when there were tools. */
  tools?: { done: number; failed: number };
}

/** Extras a renderer draws besides text and phase. A live reply shows `progress`; a final one `footer`. */
export interface ReplyExtras {
  progress?: ReplyProgress;
  footer?: ReplyFooter;
  /** A note about the reply itself, e.g. "↪️ A follow-up from Bob was steered into this answer." */
  notes?: string[];
  /** Files the agent produced, fetched for the final (the renderer attaches them within Discord's limits). */
  files?: ReplyFile[];
  /** Lines about produced files that cannot be attached ("📎 `chart.png` (12.3 MB) is over Discord's 10 MB limit"). */
  fileNotes?: string[];
  /** Files the agent produced that are still being fetched (names), shown as a line until they are attached. */
  filesPending?: string[];
  /** The most bytes one uploaded file may have on this reply (the interaction's limit, else the configured one). */
  uploadLimitBytes?: number;
  /** A final sent below as a new message: its first message mentions this member (the asker), the only one notified. */
  mention?: string;
  /** This message only points to the final sent below (`link`: to its first message, when known). */
  below?: { link: string | undefined };
}
