import type { FinalBelow } from '../store/store.js';
import { isLive, type RenderedMessage, type ReplyExtras, type ReplyFile, type ReplyPhase, type ReplyRenderer } from './phase.js';

/** A way to write a message, and the rate-limit buckets it counts against. */
export interface WriteRoute {
  name: string;
  keys: readonly string[];
}

/** Writes the messages of one reply. Implemented by the Discord side; the relay only paces it. */
export interface ReplyWriter {
  /** The routes that can write (or remove) message `index` now, preferred first. */
  routes(index: number, op?: 'write' | 'remove'): WriteRoute[];
  /** Creates message `index` the first time (messages are created in order), edits it afterwards. */
  write(index: number, message: RenderedMessage, route: WriteRoute): Promise<void>;
  /** Deletes message `index` (never the first; the last ones first). A message already gone counts as removed. */
  remove?(index: number, route: WriteRoute): Promise<void>;
  /** The most bytes one file may have on this reply's messages. */
  uploadLimitBytes?(): number;
  /**
   * The final goes below, as new messages after those there are, the first notifying `asker`: records where (before
   * any of them is created, so that a restart finishes it there) and returns it; the one recorded already if any.
   * Undefined when this reply cannot: no first message to point from, no channel route to create them by.
   */
  placeFinalBelow?(asker: { askerId: string; guildId: string | null }): FinalBelow | undefined;
  /** Where the final goes below, as recorded (by this process or before a restart); undefined: in place. */
  finalBelow?(): FinalBelow | undefined;
  /** A link to message `index`, once it exists. */
  messageLink?(index: number): string | undefined;
}

/** Why a write failed, and what the pacer should do about it. */
export class WriteError extends Error {
  constructor(
    message: string,
    /** `retry`: try again later; `route`: this route is gone, use another; `gone`: the message is gone, skip it. */
    readonly action: 'retry' | 'route' | 'gone',
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'WriteError';
  }
}

export type PendingWrite =
  | {
      kind?: 'write';
      index: number;
      message: RenderedMessage;
      /** Not held back by the edit interval: a final, a new message, or a message that can no longer change. */
      urgent: boolean;
    }
  /** A message past a final that shows the whole reply in its first message; always urgent. */
  | { kind: 'remove'; index: number; urgent: true };

function sameFiles(a: readonly ReplyFile[] | undefined, b: readonly ReplyFile[] | undefined): boolean {
  const left = a ?? [];
  const right = b ?? [];
  return left.length === right.length && left.every((file, i) => file.name === right[i]!.name && (file.data === right[i]!.data || file.data.equals(right[i]!.data)));
}

function same(a: RenderedMessage | undefined, b: RenderedMessage): boolean {
  return a !== undefined && a.content === b.content && a.live === b.live && sameFiles(a.files, b.files);
}

/** The files of a reply's final, which come after its text: the agent's files, or what is still being fetched. */
export type ReplyAttachments = Pick<ReplyExtras, 'files' | 'fileNotes' | 'filesPending'>;

/**
 * The state of one streamed reply: the newest text and phase, what each message shows, and what still has to be
 * written. Rendering is lazy (at write time), so a burst of gateway events costs almost nothing.
 */
export class LiveReply {
  private text = '';
  /** Whether any write has shown model text yet: the first text goes out at once. */
  private shownText = false;
  private written: Array<RenderedMessage | undefined> = [];
  /** Messages deleted from under us: never written again. */
  private readonly gone = new Set<number>();
  /** Messages this reply removed (past a final that shows the whole reply in its first). */
  private readonly removed = new Set<number>();
  private extras: ReplyExtras | undefined;
  private attachments: ReplyAttachments | undefined;
  /** What `render` got last as extras: the status's extras with the attachments and the upload limit. */
  private drawnExtras: { from: ReplyExtras | undefined; attachments: ReplyAttachments | undefined; extras: ReplyExtras | undefined } | undefined;
  private rendered: { text: string; phase: ReplyPhase; extras: ReplyExtras | undefined; messages: RenderedMessage[] } | undefined;
  /** Who the final notifies when it goes below (set by `notifyOnFinal`). */
  private asker: { askerId: string; guildId: string | null } | undefined;
  /** Where the final goes below, once decided; `false`: in place. */
  private below: FinalBelow | false | undefined;
  private renderedBelow: { text: string; phase: ReplyPhase; extras: ReplyExtras | undefined; messages: RenderedMessage[] } | undefined;
  private resolveSettled!: () => void;
  private readonly settled = new Promise<void>((resolve) => (this.resolveSettled = resolve));
  inFlight = false;
  lastWriteAt: number | undefined;
  /** When the shown content first fell behind; undefined while up to date. */
  pendingSince: number | undefined;
  retryAt = 0;
  failures = 0;

  constructor(
    readonly writer: ReplyWriter,
    private readonly render: ReplyRenderer,
    private phase: ReplyPhase,
    private readonly poke: (reply: LiveReply) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.touch();
  }

  /** Still streaming (or waiting): the phase is not terminal. */
  get live(): boolean {
    return isLive(this.phase);
  }

  /** Some write has shown model text already. */
  get hasShownText(): boolean {
    return this.shownText;
  }

  get currentPhase(): ReplyPhase {
    return this.phase;
  }

  get currentText(): string {
    return this.text;
  }

  /** How many messages exist so far. */
  get messageCount(): number {
    return this.written.length;
  }

  setText(text: string): void {
    if (text === this.text) return;
    this.text = text;
    this.touch();
  }

  /** What the reply shows besides its text (a status line while live, a footer once final); replaced as a whole. */
  setExtras(extras: ReplyExtras | undefined): void {
    if (extras === this.extras) return;
    this.extras = extras;
    this.touch();
  }

  get currentExtras(): ReplyExtras | undefined {
    return this.extras;
  }

  /** The final's files, set apart from the status's extras (which replaces those as a whole). */
  setAttachments(attachments: ReplyAttachments | undefined): void {
    if (attachments === this.attachments) return;
    this.attachments = attachments;
    this.touch();
  }

  setPhase(phase: ReplyPhase, text = this.text): void {
    this.phase = phase;
    this.text = text;
    this.touch();
  }

  /**
   * The final goes below as a new message that replies to the live one and notifies `askerId` (an edit notifies no
   * one), and the live messages shrink to a stub pointing to it. Call before the phase turns final.
   */
  notifyOnFinal(asker: { askerId: string; guildId: string | null }): void {
    this.asker = asker;
    this.touch();
  }

  /** Resolves once the reply has reached a terminal phase and every message shows it. */
  whenSettled(): Promise<void> {
    return this.settled;
  }

  nextWrite(): PendingWrite | undefined {
    const below = this.placement();
    // Recorded before a restart while the run streams again: the messages keep what they show until it ends.
    if (below && isLive(this.phase)) return this.done();
    if (below) {
      const next = this.nextBelow(below);
      if (next !== 'in place') return next ?? this.done();
      // Its first message cannot be created: the final shows in place after all.
      this.below = false;
    }
    const messages = this.messages();
    const removal = this.nextRemoval(messages);
    if (removal) return removal;
    for (let index = 0; index < messages.length; index++) {
      const message = messages[index]!;
      if (this.gone.has(index) || same(this.written[index], message)) continue;
      const urgent =
        !isLive(this.phase) || index >= this.written.length || index < messages.length - 1 || (!this.shownText && this.text !== '');
      return { index, message, urgent };
    }
    return this.done();
  }

  private done(): undefined {
    this.pendingSince = undefined;
    if (!isLive(this.phase)) this.resolveSettled();
    return undefined;
  }

  /** Where the final goes below, or undefined: in place. Decided once, when the phase is no longer live. */
  private placement(): FinalBelow | undefined {
    if (this.below === false) return undefined;
    if (this.below) return this.below;
    const recorded = this.writer.finalBelow?.();
    if (recorded) return (this.below = recorded);
    if (isLive(this.phase) || !this.asker) return undefined;
    this.below = this.writer.placeFinalBelow?.(this.asker) ?? false;
    return this.below || undefined;
  }

  /**
   * The final below, in this order: its messages created (the first one notifying the asker), then the first live
   * message edited into a stub that links to it, then the other live messages removed, the last first. Until the
   * stub is written the answer shows twice at worst, never less than once; a restart in between finds the final's
   * messages recorded and finishes from there.
   */
  private nextBelow(below: FinalBelow): PendingWrite | 'in place' | undefined {
    const finals = this.messagesBelow(below.askerId);
    for (let j = 0; j < finals.length; j++) {
      const index = below.from + j;
      if (this.gone.has(index)) {
        if (j === 0 && this.written[index] === undefined) return 'in place';
        continue;
      }
      if (!same(this.written[index], finals[j]!)) return { index, message: finals[j]!, urgent: true };
    }
    if (!this.gone.has(0)) {
      const stub = this.render(this.text, this.phase, { below: { link: this.writer.messageLink?.(below.from) } })[0]!;
      if (!same(this.written[0], stub)) return { index: 0, message: stub, urgent: true };
    }
    for (let index = below.from - 1; index >= 1; index--) {
      if (!this.gone.has(index) && !this.removed.has(index)) return { kind: 'remove', index, urgent: true };
    }
    return undefined;
  }

  private messagesBelow(askerId: string): RenderedMessage[] {
    const cached = this.renderedBelow;
    const extras = this.extrasToDraw();
    if (cached && cached.text === this.text && cached.phase === this.phase && cached.extras === extras) return cached.messages;
    const messages = this.render(this.text, this.phase, { ...extras, mention: askerId });
    this.renderedBelow = { text: this.text, phase: this.phase, extras, messages };
    return messages;
  }

  markWritten(index: number, message: RenderedMessage, textShown: boolean): void {
    this.written[index] = message;
    this.lastWriteAt = this.now();
    this.shownText ||= textShown;
    // Staleness restarts here; whatever arrived during the write is pending from now.
    this.pendingSince = this.now();
    this.failures = 0;
    this.retryAt = 0;
  }

  markRemoved(index: number): void {
    this.removed.add(index);
    this.lastWriteAt = this.now();
    this.pendingSince = this.now();
    this.failures = 0;
    this.retryAt = 0;
  }

  /** Message `index` was deleted (by a person, or with its channel): stop writing it. */
  abandon(index: number): void {
    this.gone.add(index);
  }

  /**
   * A final that shows the whole reply in its first message (its text as `answer.md`) removes the messages the stream
   * created after it, the last first. Until they are gone, the first message keeps its text and only gains the file:
   * a restart in between reads the messages left as an exact beginning of the answer, and the file holds all of it.
   */
  private nextRemoval(messages: RenderedMessage[]): PendingWrite | undefined {
    const first = messages[0];
    if (!first?.wholeReply || messages.length !== 1) return undefined;
    let surplus = -1;
    for (let index = this.written.length - 1; index >= 1; index--) {
      if (this.written[index] !== undefined && !this.gone.has(index) && !this.removed.has(index)) {
        surplus = index;
        break;
      }
    }
    if (surplus === -1) return undefined;
    const shown = this.written[0];
    if (shown && !this.gone.has(0) && !sameFiles(shown.files, first.files)) {
      return { index: 0, message: { content: shown.content, live: false, ...(first.files ? { files: first.files } : {}) }, urgent: true };
    }
    return { kind: 'remove', index: surplus, urgent: true };
  }

  private messages(): RenderedMessage[] {
    const cached = this.rendered;
    const extras = this.extrasToDraw();
    if (cached && cached.text === this.text && cached.phase === this.phase && cached.extras === extras) return cached.messages;
    const messages = this.render(this.text, this.phase, extras);
    this.rendered = { text: this.text, phase: this.phase, extras, messages };
    return messages;
  }

  private extrasToDraw(): ReplyExtras | undefined {
    const drawn = this.drawnExtras;
    if (drawn && drawn.from === this.extras && drawn.attachments === this.attachments) return drawn.extras;
    const limit = this.writer.uploadLimitBytes?.();
    const extras = this.extras || this.attachments || limit !== undefined ? { ...this.extras, ...this.attachments, ...(limit === undefined ? {} : { uploadLimitBytes: limit }) } : undefined;
    this.drawnExtras = { from: this.extras, attachments: this.attachments, extras };
    return extras;
  }

  private touch(): void {
    this.pendingSince ??= this.now();
    this.poke(this);
  }
}
