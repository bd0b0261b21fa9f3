// Every exchange the fake serves, checked against Discord's OpenAPI spec (test/spec). Checking waits until someone
// asks for the violations, so compiling the validators never stalls a test in the middle (the bot may share this
// process); a long run is checked in batches.
import { checkExchange, type ExchangeToCheck } from '../../spec/validate.js';
import type { RecordedSpecViolation } from './types.js';

const BATCH = 500;

export class SpecChecker {
  private pending: Array<{ seq: number; exchange: ExchangeToCheck }> = [];
  private found: RecordedSpecViolation[] = [];

  constructor(readonly enabled: boolean) {}

  add(seq: number, exchange: ExchangeToCheck): void {
    if (!this.enabled) return;
    this.pending.push({ seq, exchange });
    if (this.pending.length >= BATCH) this.check();
  }

  private check(): void {
    const batch = this.pending;
    this.pending = [];
    for (const { seq, exchange } of batch) {
      for (const violation of checkExchange(exchange)) this.found.push({ ...violation, seq });
    }
  }

  violations(): RecordedSpecViolation[] {
    this.check();
    return [...this.found];
  }

  take(): RecordedSpecViolation[] {
    this.check();
    const out = this.found;
    this.found = [];
    return out;
  }
}
