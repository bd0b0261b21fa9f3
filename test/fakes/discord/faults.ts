// Injected faults: answer the next N matching requests with a given status (429 with headers, 5xx…), delay them,
// hang them, or drop the socket (before handling them, or after: the work is done, the answer is lost).
import type { OverrideHandle, OverrideRequest, OverrideSpec } from './types.js';

interface ActiveOverride {
  spec: OverrideSpec;
  remaining: number;
  hits: number;
}

export class Overrides {
  private list: ActiveOverride[] = [];

  add(spec: OverrideSpec): OverrideHandle {
    const entry: ActiveOverride = { spec, remaining: spec.times ?? 1, hits: 0 };
    this.list.push(entry);
    const list = () => this.list;
    return {
      get hits() {
        return entry.hits;
      },
      get remaining() {
        return entry.remaining;
      },
      cancel: () => {
        entry.remaining = 0;
        this.list = list().filter((e) => e !== entry);
      },
    };
  }

  /** The first active override matching the request; it is used up by one. */
  take(req: OverrideRequest): OverrideSpec | null {
    for (const entry of this.list) {
      if (entry.remaining <= 0) continue;
      let matches = false;
      try {
        matches = entry.spec.match(req);
      } catch {
        matches = false;
      }
      if (!matches) continue;
      entry.remaining -= 1;
      entry.hits += 1;
      if (entry.remaining <= 0) this.list = this.list.filter((e) => e !== entry);
      return entry.spec;
    }
    return null;
  }

  clear(): void {
    this.list = [];
  }
}
