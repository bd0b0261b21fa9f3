import type { Logger } from '../log.js';
import type { RateBudget } from './budget.js';
import { WriteError, type LiveReply, type WriteRoute } from './live-reply.js';

/**
 * How edits are paced. `clawcord` is the product. The other two reproduce the edit policies of other Discord relays
 * for the benchmark only: `llmcord` edits on one 1 s timer shared by the whole bot, `openclaw-plugin` on a 1.2 s
 * timer per reply; neither looks at rate limits (discord.js queues what Discord would refuse).
 */
/** Consecutive failed writes (about 2.5 minutes of backoff) after which a message is given up. */
export const MAX_WRITE_FAILURES = 10;

export type EditPolicy = 'clawcord' | 'llmcord' | 'openclaw-plugin';

export interface PacerOptions {
  /** Minimum time between two live edits of one reply (finals and new messages don't wait). */
  minIntervalMs: number;
  policy?: EditPolicy;
  maxBackoffMs?: number;
  logger: Logger;
  now?: () => number;
}

/**
 * Paces the writes of every live reply against one shared rate budget: one request in flight per reply, the
 * newest content wins, nothing identical is re-sent, live edits keep a minimum interval and spread their bucket
 * evenly over its window, and when replies compete for a bucket the one that has waited longest goes first.
 */
export class Pacer {
  private readonly replies = new Set<LiveReply>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private readonly now: () => number;
  private readonly policy: EditPolicy;
  /** Live replies that must wait for their bucket (or a retry), until when: not worth rendering before. */
  private readonly held = new Map<LiveReply, number>();
  /** The interval each reply's next live edit keeps after its last write (see `reserveFor`). */
  private readonly spacing = new WeakMap<LiveReply, number>();
  /** When each reply's last write went out: live edits are spaced from one start to the next. */
  private readonly sentAt = new WeakMap<LiveReply, number>();
  /** The llmcord policy's one timer: the last live edit of any reply. */
  private lastLiveEditAt: number | undefined;

  constructor(
    private readonly budget: RateBudget,
    private readonly options: PacerOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.policy = options.policy ?? 'clawcord';
  }

  /** A reply has something new to show. */
  readonly poke = (reply: LiveReply): void => {
    this.replies.add(reply);
    // A write in flight pokes again when it ends; until then there is nothing to wake up for.
    if (!reply.inFlight) this.wakeAt(this.quietUntil(reply) ?? this.now());
  };

  /** Replies with writes still pending or in flight. */
  get backlog(): number {
    return this.replies.size;
  }

  private wakeAt(at: number): void {
    if (at >= this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Number.POSITIVE_INFINITY;
      this.run();
    }, Math.max(0, at - this.now()));
  }

  /**
   * Until when a live reply cannot send a live edit (its edit interval, its bucket, a retry), or undefined. Gateway
   * events arrive far more often than one reply may be edited, so such a reply is neither rendered (splitting
   * costs) nor even looked at. A final ends the quiet at once: it is not live.
   */
  private quietUntil(reply: LiveReply): number | undefined {
    if (this.policy !== 'clawcord' || !reply.live || !reply.hasShownText) return undefined;
    const last = this.lastStartOf(reply);
    const interval = last === undefined ? 0 : last + (this.spacing.get(reply) ?? this.options.minIntervalMs);
    const until = Math.max(interval, this.held.get(reply) ?? 0);
    return until > this.now() ? until : undefined;
  }

  /** A write is not possible before `at`. */
  private hold(reply: LiveReply, urgent: boolean, at: number): number {
    if (!urgent) this.held.set(reply, at);
    return at;
  }

  private run(): void {
    const now = this.now();
    let nextAt = Number.POSITIVE_INFINITY;
    const waiting: LiveReply[] = [];
    for (const reply of this.replies) {
      if (reply.inFlight) continue;
      const quietUntil = this.quietUntil(reply);
      if (quietUntil === undefined) waiting.push(reply);
      else nextAt = Math.min(nextAt, quietUntil);
    }
    waiting.sort((a, b) => (a.pendingSince ?? now) - (b.pendingSince ?? now));

    const clawcord = this.policy === 'clawcord';
    for (const reply of waiting) {
      this.held.delete(reply);
      const next = reply.nextWrite();
      if (!next) {
        this.replies.delete(reply);
        continue;
      }
      const removal = next.kind === 'remove';
      const routes = reply.writer.routes(next.index, removal ? 'remove' : 'write');
      if (routes.length === 0 || (removal && !reply.writer.remove)) {
        this.options.logger.warn({ index: next.index }, removal ? 'no way left to remove a reply message; leaving it' : 'no way left to write a reply message; giving it up');
        reply.abandon(next.index);
        nextAt = now;
        continue;
      }
      const own = routes[0]!;
      const reserve = next.urgent || !clawcord ? 0 : this.reserveFor(routes);
      const spacing = reserve === 0 ? this.options.minIntervalMs : Math.max(this.options.minIntervalMs, this.budget.spacingMs(own.keys, reserve));
      const notBefore = Math.max(reply.retryAt, this.intervalAt(reply, next.urgent, spacing));
      if (notBefore > now) {
        nextAt = Math.min(nextAt, this.hold(reply, next.urgent, notBefore));
        continue;
      }
      // Live edits stay on the reply's own route; finals and new messages take whichever route is free first. A
      // message created while the reply streams waits up to one edit interval for the reply's own route, though: a
      // webhook's message can also be edited through the channel (the way its final gets out at once), not the
      // other way round, and a message with one route left keeps a request of it for its final.
      const creating = clawcord && !removal && reply.live && next.index >= reply.messageCount && routes.length > 1;
      const patient = creating && this.budget.waitMs(own.keys) <= spacing;
      const candidates = next.urgent && !patient ? routes : [own];
      const route = clawcord ? candidates.find((r) => this.budget.waitMs(r.keys, reserve) === 0) : candidates[0];
      if (!route) {
        const wait = Math.min(...candidates.map((r) => this.budget.waitMs(r.keys, reserve)));
        nextAt = Math.min(nextAt, this.hold(reply, next.urgent, now + (Number.isFinite(wait) ? wait : 1_000)));
        continue;
      }
      this.budget.take(route.keys);
      this.spacing.set(reply, spacing);
      this.sentAt.set(reply, now);
      if (!next.urgent) this.lastLiveEditAt = now;
      reply.inFlight = true;
      const textShown = reply.currentText !== '';
      const request = next.kind === 'remove' ? reply.writer.remove!(next.index, route) : reply.writer.write(next.index, next.message, route);
      request.then(
        () => {
          reply.inFlight = false;
          if (next.kind === 'remove') reply.markRemoved(next.index);
          else reply.markWritten(next.index, next.message, textShown);
          this.poke(reply);
        },
        (error: unknown) => {
          reply.inFlight = false;
          this.failed(reply, next.index, error);
          this.poke(reply);
        },
      );
    }
    if (Number.isFinite(nextAt)) this.wakeAt(nextAt);
  }

  /**
   * How many requests of its own route's bucket a live edit leaves unused, so that the final never waits for a
   * window to pass: none while another route could take the final at once (the interaction's message can also be
   * edited through the channel), else one. Keeping one, the live edits spread the others evenly over the window
   * (`spacingMs`) rather than spending them in a burst and then waiting 2 s for the window to reset.
   */
  private reserveFor(routes: readonly WriteRoute[]): number {
    return routes.slice(1).some((route) => this.budget.waitMs(route.keys) === 0) ? 0 : 1;
  }

  /** The earliest time the policy allows this write; `spacing` is clawcord's interval between two live edits. */
  private intervalAt(reply: LiveReply, urgent: boolean, spacing: number): number {
    switch (this.policy) {
      case 'llmcord':
        return urgent || this.lastLiveEditAt === undefined ? 0 : this.lastLiveEditAt + 1_000;
      case 'openclaw-plugin':
        return urgent || reply.lastWriteAt === undefined ? 0 : reply.lastWriteAt + 1_200;
      default: {
        const last = this.lastStartOf(reply);
        return urgent || last === undefined ? 0 : last + spacing;
      }
    }
  }

  /** When the reply's last write started (once it has ended; a reply restored from the store: when it ended). */
  private lastStartOf(reply: LiveReply): number | undefined {
    if (reply.lastWriteAt === undefined) return undefined;
    return Math.min(reply.lastWriteAt, this.sentAt.get(reply) ?? reply.lastWriteAt);
  }

  private failed(reply: LiveReply, index: number, error: unknown): void {
    const writeError = error instanceof WriteError ? error : new WriteError(String((error as Error)?.message ?? error), 'retry');
    if (writeError.action === 'route') return;
    if (writeError.action === 'gone') {
      this.options.logger.info({ index, reason: writeError.message }, 'a reply message is gone; skipping it');
      reply.abandon(index);
      return;
    }
    reply.failures += 1;
    if (reply.failures >= MAX_WRITE_FAILURES) {
      // Days of a dead route must not keep a reply (and its retries) alive: what it shows stays as it is.
      this.options.logger.warn({ index, failures: reply.failures, reason: writeError.message }, 'a reply message keeps failing; giving it up');
      reply.abandon(index);
      reply.failures = 0;
      return;
    }
    const backoff = Math.min(this.options.maxBackoffMs ?? 30_000, 500 * 2 ** (reply.failures - 1));
    reply.retryAt = this.now() + (writeError.retryAfterMs ?? backoff);
    this.options.logger.warn({ index, failures: reply.failures, retryInMs: reply.retryAt - this.now(), reason: writeError.message }, 'writing a reply failed; will retry');
  }
}
