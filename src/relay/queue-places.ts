/**
 * A place in a session's queue that a precheck holds for the ask that follows it. Without it, a burst of prechecks
 * would all pass before any of their asks queued, and the refusals past relay.maxQueue would come only after the
 * public "thinking…". The ask takes the place; whoever holds it releases it once the ask has queued or failed.
 */
export class QueuePlace {
  private timer: NodeJS.Timeout | undefined;
  private released = false;

  constructor(
    readonly scopeId: string,
    private readonly onRelease: (place: QueuePlace) => void,
    limitMs: number,
  ) {
    this.timer = setTimeout(() => this.release(), limitMs);
    this.timer.unref();
  }

  get held(): boolean {
    return !this.released;
  }

  /** Its ask has come: the place stays held, however long the ask takes (files to fetch), until it is released. */
  take(): void {
    clearTimeout(this.timer);
  }

  /** Gives the place back; again is harmless. */
  release(): void {
    if (this.released) return;
    this.released = true;
    clearTimeout(this.timer);
    this.onRelease(this);
  }
}

/** The places held per Discord channel or thread (its session's queue). */
export class HeldPlaces {
  private readonly byScope = new Map<string, Set<QueuePlace>>();

  /** `limitMs`: how long a place waits for its ask before it goes back by itself. */
  constructor(private readonly limitMs: number) {}

  hold(scopeId: string): QueuePlace {
    const place = new QueuePlace(scopeId, (released) => this.forget(released), this.limitMs);
    let places = this.byScope.get(scopeId);
    if (!places) {
      places = new Set();
      this.byScope.set(scopeId, places);
    }
    places.add(place);
    return place;
  }

  /** Places held in a scope, not counting `own` (the asker's). */
  count(scopeId: string, own?: QueuePlace): number {
    const places = this.byScope.get(scopeId);
    if (!places) return 0;
    return places.size - (own && places.has(own) ? 1 : 0);
  }

  private forget(place: QueuePlace): void {
    const places = this.byScope.get(place.scopeId);
    if (!places) return;
    places.delete(place);
    if (places.size === 0) this.byScope.delete(place.scopeId);
  }
}
