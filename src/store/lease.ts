import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import type { Logger } from '../log.js';
import type { LeaseRecord, Store } from './store.js';

export interface LeaseOptions {
  /** A lease not renewed for this long belongs to a process that is gone. */
  ttlMs?: number;
  heartbeatMs?: number;
  /** Between writing the lease and trusting it: a process that wrote at the same moment shows up by then. */
  settleMs?: number;
  logger: Logger;
}

/** Another process holds the store and `store.whenLocked` is `exit`. */
export class LeaseHeldError extends Error {
  constructor(readonly holder: LeaseRecord) {
    super(`another clawcord process (pid ${holder.pid} on ${holder.host}) is using this store; stop it first, or set store.whenLocked to "wait"`);
    this.name = 'LeaseHeldError';
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One clawcord process per store at a time. Two would both answer every mention (Discord sends each message to
 * every connection of the token), edit the same replies and recover the same runs. The holder renews the lease;
 * a second process waits (or exits) until the holder releases it on shutdown or stops renewing it.
 */
export class StoreLease extends EventEmitter<{ lost: [holder: LeaseRecord] }> {
  private readonly id = randomUUID();
  private readonly host = hostname();
  private readonly ttlMs: number;
  private readonly heartbeatMs: number;
  private readonly settleMs: number;
  private timer: NodeJS.Timeout | undefined;
  private held = false;

  constructor(
    private readonly store: Store,
    private readonly options: LeaseOptions,
  ) {
    super();
    this.ttlMs = options.ttlMs ?? 30_000;
    this.heartbeatMs = options.heartbeatMs ?? 10_000;
    this.settleMs = options.settleMs ?? 250;
  }

  /** Takes the lease, waiting for the holder to go unless `wait` is false (then throws LeaseHeldError). */
  async acquire(wait: boolean): Promise<void> {
    let announced = false;
    for (;;) {
      const holder = await this.store.lease();
      if (!holder || holder.owner === this.id || this.isStale(holder)) {
        await this.store.saveLease(this.record());
        await sleep(this.settleMs);
        const now = await this.store.lease();
        if (now?.owner === this.id) break;
        continue;
      }
      if (!wait) throw new LeaseHeldError(holder);
      if (!announced) {
        this.options.logger.warn({ pid: holder.pid, host: holder.host }, 'another clawcord process is using this store; waiting for it to stop');
        announced = true;
      }
      await sleep(Math.min(this.heartbeatMs, 2_000));
    }
    this.held = true;
    if (announced) this.options.logger.info('the other clawcord process has stopped; starting');
    this.timer = setInterval(() => void this.renew(), this.heartbeatMs);
    this.timer.unref();
  }

  async release(): Promise<void> {
    clearInterval(this.timer);
    if (!this.held) return;
    this.held = false;
    const holder = await this.store.lease().catch(() => undefined);
    if (holder?.owner === this.id) await this.store.deleteLease();
  }

  private async renew(): Promise<void> {
    try {
      const holder = await this.store.lease();
      if (holder && holder.owner !== this.id) {
        clearInterval(this.timer);
        this.held = false;
        this.emit('lost', holder);
        return;
      }
      await this.store.saveLease(this.record());
    } catch (error) {
      this.options.logger.warn({ err: error }, 'could not renew the store lease');
    }
  }

  /** Gone: not renewed in time, or a process of this host that no longer runs (a kill leaves its lease behind). */
  private isStale(holder: LeaseRecord): boolean {
    if (Date.now() - holder.heartbeatAt > this.ttlMs) return true;
    return holder.host === this.host && (holder.pid === process.pid || !processAlive(holder.pid));
  }

  private record(): LeaseRecord {
    return { owner: this.id, pid: process.pid, host: this.host, heartbeatAt: Date.now() };
  }
}
