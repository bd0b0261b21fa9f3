import type { ThinkingLevel } from '../gateway/types.js';
import type { ReplyLocation } from '../store/store.js';
import type { LiveReply, ReplyWriter } from './live-reply.js';
import type { Speaker } from './prompt.js';
import type { QueuePlace } from './queue-places.js';

/** A Discord channel, thread or DM, as far as the relay cares. */
export interface Scope {
  id: string;
  guildId: string | null;
  kind: 'channel' | 'thread' | 'dm';
  parentId: string | null;
}

export type Person = Speaker;

/** A reply writer whose messages can be found again after a restart. */
export interface PersistentWriter extends ReplyWriter {
  location(): ReplyLocation;
  /** Called when the location changed (a message was created). */
  onLocationChange: (() => void) | undefined;
  /** Tells the writer which job it writes for (its Stop button stops that job). */
  bindJob(jobId: string): void;
  /** The text its messages show now (after a restart, the relay remembers nothing else). */
  shownText(): Promise<string>;
  /** A private note to the person who asked; false when there is no private way to reach them. */
  tellAsker?(text: string): Promise<boolean>;
}

export interface AskInput {
  scope: Scope;
  requester: Person;
  prompt: string;
  thinking?: ThinkingLevel;
  /** Put the prompt into the session's running turn where the gateway can (else it queues as usual). */
  steer?: boolean;
  /** The writer for the prompt's own reply; not used when the prompt is steered into a running turn. */
  writer: PersistentWriter;
  /** Files the person attached (the /ask options, a thread message's files), not fetched yet. */
  files?: IncomingFile[];
  /** The place its precheck held in the queue (`hold`); the ask takes it and releases it, queued or refused. */
  place?: QueuePlace;
}

/** A file a person attached to a prompt, as the Discord side describes it; the relay fetches it only to send it. */
export interface IncomingFile {
  name: string;
  /** What Discord says it is; a hint only, the bytes decide. */
  contentType: string | undefined;
  /** In bytes, as Discord says. */
  size: number;
  /** Downloads it; refuses more than `maxBytes` (FileTooLargeError), and says why in its error when it cannot. */
  fetch(maxBytes: number): Promise<Buffer>;
}

/** What became of a prompt: it runs (or waits) with a reply of its own, or went into the answer already running. */
export type AskResult =
  | { status: 'started' | 'queued'; position: number; jobId: string }
  | { status: 'steered'; into: { requester: Person; jobId: string } };

/** What the relay answers an ask with: a reply of its own (to watch in tests), or the answer it was steered into. */
export type AskOutcome = (Extract<AskResult, { status: 'started' | 'queued' }> & { reply: LiveReply }) | Extract<AskResult, { status: 'steered' }>;

/** An IncomingFile's download went past the size it was allowed (`sizeBytes`: its size, when known). */
export class FileTooLargeError extends Error {
  constructor(
    readonly maxBytes: number,
    readonly sizeBytes: number | undefined,
  ) {
    super(`the file is larger than ${maxBytes} bytes${sizeBytes !== undefined ? ` (${sizeBytes} bytes)` : ''}`);
    this.name = new.target.name;
  }
}
