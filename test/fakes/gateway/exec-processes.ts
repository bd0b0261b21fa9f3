// The subprocesses of scripted `exec` tool calls: they live for a while, may run a side effect, and are killed or not
// by a stop the way the real exec tool does it (F-findings STOP: the run's abort signal kills a foreground command's
// process tree; a backgrounded one keeps running; v4 bash-tools.exec-run.ts, v3 bash-tools.exec.ts).
import type { ExecProcess } from './state.js';

// The real exec sessions are named like `kind-comet` (v4) and `wild-harbor` (v3) (openclaw-agent-events.md §2.2, §3.4).
const ADJECTIVES = ['kind', 'wild', 'calm', 'brisk', 'quiet', 'bold', 'swift', 'lucky'];
const NOUNS = ['comet', 'harbor', 'meadow', 'falcon', 'river', 'ember', 'summit', 'willow'];

export interface SpawnOptions {
  command: string;
  runId: string;
  sessionKey: string;
  toolCallId: string;
  lifetimeMs: number;
  effect?: () => void;
  effectAfterMs?: number;
  onExit?: (process: ExecProcess) => void;
}

export class ExecProcesses {
  readonly all: ExecProcess[] = [];
  private readonly timers = new Map<ExecProcess, Set<NodeJS.Timeout>>();
  private readonly watchers = new Map<ExecProcess, Array<(how: 'exited' | 'killed') => void>>();
  private nextPid = 17_600;
  private closed = false;

  spawn(opts: SpawnOptions): ExecProcess {
    const n = this.all.length;
    const process: ExecProcess = {
      session: `${ADJECTIVES[n % ADJECTIVES.length]}-${NOUNS[Math.floor(n / ADJECTIVES.length) % NOUNS.length]}`,
      pid: this.nextPid++,
      command: opts.command,
      runId: opts.runId,
      sessionKey: opts.sessionKey,
      toolCallId: opts.toolCallId,
      status: 'running',
      backgrounded: false,
      startedAt: Date.now(),
      effectDone: false,
    };
    this.all.push(process);
    const timers = new Set<NodeJS.Timeout>();
    this.timers.set(process, timers);
    const at = (ms: number, fn: () => void): void => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (process.status === 'running') fn();
      }, ms);
      timers.add(timer);
    };
    const { effect } = opts;
    if (effect) {
      at(opts.effectAfterMs ?? opts.lifetimeMs, () => {
        process.effectDone = true;
        effect();
      });
    }
    // Exit after the effect when both are due at the same time (`sleep 1; touch f` touches, then exits).
    at(opts.lifetimeMs, () => setImmediate(() => this.exit(process, opts.onExit)));
    return process;
  }

  /** Kills a running process: its pending effect never happens. */
  kill(process: ExecProcess): void {
    if (process.status !== 'running') return;
    process.status = 'killed';
    process.endedAt = Date.now();
    this.clear(process);
    this.notify(process, 'killed');
  }

  /** Calls `fn` once the process exits or is killed. */
  whenEnded(process: ExecProcess, fn: (how: 'exited' | 'killed') => void): void {
    this.watchers.set(process, [...(this.watchers.get(process) ?? []), fn]);
  }

  private notify(process: ExecProcess, how: 'exited' | 'killed'): void {
    const watchers = this.watchers.get(process) ?? [];
    this.watchers.delete(process);
    watchers.forEach((fn) => fn(how));
  }

  /** Stops every timer: nothing runs after the gateway closed. */
  close(): void {
    this.closed = true;
    for (const process of this.all) this.clear(process);
  }

  private exit(process: ExecProcess, onExit: SpawnOptions['onExit']): void {
    if (this.closed || process.status !== 'running') return;
    process.status = 'exited';
    process.endedAt = Date.now();
    this.clear(process);
    onExit?.(process);
    this.notify(process, 'exited');
  }

  private clear(process: ExecProcess): void {
    for (const timer of this.timers.get(process) ?? []) clearTimeout(timer);
    this.timers.delete(process);
  }
}
