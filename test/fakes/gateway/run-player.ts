// Plays one reply script on timers: model steps of text, each but the last ending in one or more tool calls, then
// the terminal. Tool calls may be gated (exec approvals), run exec processes, go to the background, run in parallel;
// an abort kills what is still in the foreground (F-findings STOP).
import type { ExecProcesses } from './exec-processes.js';
import { wordTokens } from './words.js';
import type {
  AbortReason,
  ChatMessage,
  PlanStep,
  ReplyScript,
  RunEvent,
  RunInfo,
  ScriptedToolCall,
  StartRunOptions,
  ToolCallEvent,
  ToolGateControl,
} from './state.js';

/** What a player needs from the gateway model. */
export interface PlayerHost {
  readonly processes: ExecProcesses;
  appendRow(info: RunInfo, row: Omit<ChatMessage, 'timestamp' | 'runId'>): void;
  appendAssistant(info: RunInfo, aborted: boolean): void;
  nextPlanRevision(sessionKey: string): number;
  /** A finished run's token counts for its session row (F-findings USAGE: the last run's, not a running sum). */
  setRunUsage(sessionKey: string, usage: { input: number; output: number; lastInput: number }): void;
}

interface Step {
  tokens: string[];
  calls: ScriptedToolCall[];
}

interface Running {
  tool: ToolCallEvent;
  approvalId?: string;
  onAbort: Array<() => void>;
}

/** v4 rate-limit retries count to 10 attempts (live `retry:{attempt:2, maxAttempts:10}`, §6.2). */
const MAX_ATTEMPTS = 10;

/** What the exec tool answers once a command goes to the background (F-findings STOP). */
export function stillRunningText(session: string, pid: number): string {
  return `Command still running (session ${session}, pid ${pid}). Use process (list/poll/log/write/kill/clear/remove) for follow-up.`;
}

function steps(script: ReplyScript): Step[] {
  const out: Step[] = [];
  for (const call of script.toolCalls ?? []) {
    const last = out.at(-1);
    if (call.parallel && last) last.calls.push(call);
    else out.push({ tokens: call.say ?? [], calls: [call] });
  }
  out.push({ tokens: script.tokens, calls: [] });
  return out;
}

export class RunPlayer {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly running = new Map<string, Running>();
  /** Messages steered in that the model has not seen yet, each with what to do once it does. */
  private readonly steers: Array<{ message: string; onInjected: () => void }> = [];
  private readonly tokens = { input: 0, output: 0, lastInput: 0 };

  constructor(
    readonly info: RunInfo,
    private readonly opts: StartRunOptions,
    private readonly host: PlayerHost,
    /** Text of the user row the run wrote, if any. */
    readonly userRow: string | null,
  ) {}

  private emit(ev: RunEvent): void {
    this.opts.onEvent(ev);
  }

  private later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.info.status === 'running') fn();
    }, ms);
    this.timers.add(timer);
  }

  play(script: ReplyScript): void {
    const { info } = this;
    const delay = script.tokenDelayMs ?? 5;
    const all = steps(script);
    let retries = script.rateLimited?.times ?? 0;

    const step = (s: number): void => {
      if (s === 0 && retries > 0) {
        // The model call is refused (429) and retried after Retry-After; the run starts again under the same id.
        const attempt = (script.rateLimited?.times ?? 0) - retries + 2;
        retries--;
        const delayMs = script.rateLimited?.delayMs ?? 1000;
        this.emit({ type: 'retry', attempt, maxAttempts: MAX_ATTEMPTS, delayMs });
        return this.later(delayMs, () => {
          this.emit({ type: 'start', retry: true });
          this.later(delay, () => step(0));
        });
      }
      if (s > 0) this.emit({ type: 'modelCall' });
      // A steered message reaches the model with its next call (F-findings STEER).
      this.injectSteers();
      info.segments.push('');
      info.text = '';
      const current = all[s]!;
      const last = s === all.length - 1;
      const tokens = last && script.lateTokens ? script.lateTokens(info.ctx) : current.tokens;
      token(s, tokens, 0, current);
    };

    /** A message steered in during the last step: one more model call answers it (v4 live). */
    const extra = (s: number): void => {
      const pending = this.steers.at(-1);
      if (!pending) return this.finish(script, all.length);
      this.emit({ type: 'modelCall' });
      const message = pending.message;
      this.injectSteers();
      info.segments.push('');
      info.text = '';
      const tokens = script.onSteer ? script.onSteer(info.ctx, message) : wordTokens(`Echo: ${message}`);
      token(s, tokens, 0, { tokens, calls: [] });
    };

    const token = (s: number, tokens: string[], t: number, current: Step): void => {
      const next = tokens[t];
      if (next !== undefined) {
        info.text += next;
        info.segments[s] = info.text;
        this.emit({ type: 'token', token: next, text: info.text, segment: s });
        return this.later(delay, () => token(s, tokens, t + 1, current));
      }
      // A model call that fails reports no usage.
      if (current.calls.length > 0 || script.fail === undefined) this.usage(script, s);
      if (current.calls.length === 0) return script.fail === undefined ? extra(s + 1) : this.finish(script, all.length);
      this.calls(s, current.calls, () => this.later(delay, () => step(s + 1)));
    };

    const first = setTimeout(() => {
      this.timers.delete(first);
      if (info.status !== 'running') return;
      this.emit({ type: 'start' });
      this.later(delay, () => step(0));
    }, 0);
    this.timers.add(first);
  }

  private usage(script: ReplyScript, s: number): void {
    const scripted = script.usage?.[s];
    const input = scripted?.input ?? this.info.message.length;
    this.tokens.input += input;
    this.tokens.output += scripted?.output ?? this.info.text.length;
    this.tokens.lastInput = input;
    this.emit({ type: 'usage', step: s, outputTokens: this.tokens.output });
  }

  /** Queues a message for the run's next model call; false once the run is over. */
  steer(message: string, onInjected: () => void): boolean {
    if (this.info.status !== 'running') return false;
    this.steers.push({ message, onInjected });
    return true;
  }

  private injectSteers(): void {
    for (const { message, onInjected } of this.steers.splice(0)) {
      this.info.ctx.steered.push(message);
      onInjected();
    }
  }

  /** The calls of one model message: one assistant row, then v4 all at once, v3 one after the other. */
  private calls(s: number, calls: ScriptedToolCall[], done: () => void): void {
    const tools = calls.map((call, i): ToolCallEvent => {
      // An exec that prints nothing answers "(no output)" (live on both versions, H-B).
      const output = call.name === 'exec' && call.output === '' ? '(no output)' : call.output;
      return { call, toolCallId: call.toolCallId ?? `call_${s + 1}_${i}`, startedAt: 0, output, isError: call.isError === true };
    });
    const [first, ...rest] = tools.map((t) => ({ id: t.toolCallId, name: t.call.name, arguments: t.call.args }));
    const row: Omit<ChatMessage, 'timestamp' | 'runId'> = { role: 'assistant', content: this.info.text, toolCall: first!, segment: s };
    if (rest.length > 0) row.parallelCalls = rest;
    this.host.appendRow(this.info, row);
    if (this.opts.parallelTools) {
      let left = tools.length;
      for (const tool of tools) this.call(tool, s, () => --left === 0 && done());
      return;
    }
    const next = (i: number): void => {
      const tool = tools[i];
      if (!tool) return done();
      this.call(tool, s, () => next(i + 1));
    };
    next(0);
  }

  private call(tool: ToolCallEvent, s: number, done: () => void): void {
    tool.startedAt = Date.now();
    const running: Running = { tool, onAbort: [] };
    this.running.set(tool.toolCallId, running);
    this.emit({ type: 'toolStart', tool, segment: s });
    const gate = this.opts.toolGate;
    if (!gate) return this.execute(tool, done);
    let decided = false;
    const live = (): boolean => !decided && this.info.status === 'running' && this.running.get(tool.toolCallId) === running;
    const ctl: ToolGateControl = {
      proceed: () => {
        if (!live()) return;
        decided = true;
        running.onAbort = [];
        delete running.approvalId;
        this.execute(tool, done);
      },
      answer: (output, { isError, error }) => {
        if (!live()) return;
        decided = true;
        Object.assign(tool, { output, isError }, error === undefined ? {} : { error });
        this.endTool(tool, done);
      },
      emit: (ev) => {
        if (this.info.status === 'running') this.emit(ev);
      },
      waiting: (approvalId) => {
        if (approvalId === undefined) delete running.approvalId;
        else running.approvalId = approvalId;
      },
      onAbort: (fn) => running.onAbort.push(fn),
    };
    gate(tool, this.info, ctl);
  }

  /** Runs the tool as scripted: an exec starts its process and may go to the background. */
  private execute(tool: ToolCallEvent, done: () => void): void {
    const { call } = tool;
    const duration = call.durationMs ?? 50;
    let endAt = duration;
    if (call.name === 'exec') {
      const lifetimeMs = Math.max(duration, call.effectAfterMs ?? 0);
      const process = this.host.processes.spawn({
        command: typeof call.args.command === 'string' ? call.args.command : '',
        runId: this.info.runId,
        sessionKey: this.info.sessionKey,
        toolCallId: tool.toolCallId,
        lifetimeMs,
        ...(call.effect ? { effect: call.effect } : {}),
        ...(call.effectAfterMs !== undefined ? { effectAfterMs: call.effectAfterMs } : {}),
      });
      tool.process = process;
      endAt = lifetimeMs;
      // `background: true` goes at once, `yieldMs` after that long, else after tools.exec.backgroundMs.
      const backgroundAt =
        this.opts.allowBackground === false
          ? undefined
          : call.args.background === true
            ? 0
            : typeof call.args.yieldMs === 'number'
              ? call.args.yieldMs
              : this.opts.execBackgroundMs;
      if (backgroundAt !== undefined && lifetimeMs > backgroundAt) {
        endAt = backgroundAt;
        tool.output = stillRunningText(process.session, process.pid);
        tool.isError = false;
      }
    }
    // One progress update early in the call, as the real exec tool reports its first output.
    const updateAt = Math.min(10, endAt / 2);
    this.later(updateAt, () => {
      this.emit({ type: 'toolUpdate', tool });
      this.later(endAt - updateAt, () => {
        if (tool.process?.status === 'running') {
          tool.process.backgrounded = true;
          this.opts.onBackground?.(tool.process, tool);
        }
        this.endTool(tool, done);
      });
    });
  }

  private endTool(tool: ToolCallEvent, done: () => void): void {
    this.running.delete(tool.toolCallId);
    const { info } = this;
    info.toolNames.push(tool.call.name);
    const plan = tool.call.name === 'progress_card' ? tool.call.args.plan : undefined;
    if (Array.isArray(plan)) this.emit({ type: 'plan', steps: plan as PlanStep[], revision: this.host.nextPlanRevision(info.sessionKey) });
    this.host.appendRow(info, { role: 'toolResult', content: tool.output, toolCallId: tool.toolCallId, toolName: tool.call.name, isError: tool.isError });
    this.emit({ type: 'toolEnd', tool, endedAt: Date.now() });
    done();
  }

  private finish(script: ReplyScript, stepCount: number): void {
    const { info } = this;
    this.clearTimers();
    if (script.fail !== undefined) {
      info.status = 'error';
      this.emit({ type: 'error', error: script.fail, text: info.text });
      return;
    }
    info.status = 'done';
    this.host.setRunUsage(info.sessionKey, this.tokens);
    const yieldTo = this.opts.yields ? script.yieldTo : undefined;
    if (yieldTo) {
      this.emit({ type: 'yielding', yieldTo });
      // The yielding turn ends in a sessions_yield call and its result (openclaw-tools sessions_yield; F-findings
      // SUB-AGENTS: `{"status":"yielded","acknowledgment":…}`, an item hidden from channel progress).
      const id = `call_${stepCount}_0`;
      const { acknowledgment } = yieldTo;
      const args = acknowledgment === undefined ? {} : { acknowledgment };
      const output = JSON.stringify({ status: 'yielded', ...args }, null, 2);
      const call: ScriptedToolCall = { name: 'sessions_yield', args, output };
      const tool: ToolCallEvent = { call, toolCallId: id, startedAt: Date.now(), output, isError: false };
      this.host.appendRow(info, { role: 'assistant', content: info.text, toolCall: { id, name: 'sessions_yield', arguments: args }, segment: stepCount - 1 });
      this.emit({ type: 'toolStart', tool, segment: -1 });
      this.host.appendRow(info, { role: 'toolResult', content: output, toolCallId: id, toolName: 'sessions_yield', isError: false });
      this.emit({ type: 'toolEnd', tool, endedAt: Date.now() });
    } else {
      this.host.appendAssistant(info, false);
    }
    const done: RunEvent = { type: 'done', text: info.text, segments: [...info.segments] };
    if (yieldTo) done.yieldTo = yieldTo;
    this.emit(done);
  }

  /** Stops the run: foreground exec processes are killed, approval waits given up; emits `aborted` synchronously. */
  abort(reason: AbortReason): boolean {
    const { info } = this;
    if (info.status !== 'running') return false;
    this.clearTimers();
    const interrupted = [...this.running.values()];
    this.running.clear();
    for (const { tool, onAbort } of interrupted) {
      if (tool.process && !tool.process.backgrounded) this.host.processes.kill(tool.process);
      onAbort.forEach((fn) => fn());
    }
    info.status = 'aborted';
    this.host.appendAssistant(info, true);
    this.emit({
      type: 'aborted',
      text: info.text,
      reason,
      interrupted: interrupted.map((r) => r.tool),
      waiting: interrupted.flatMap((r) => (r.approvalId === undefined ? [] : [{ tool: r.tool, approvalId: r.approvalId }])),
    });
    return true;
  }

  /** A gateway restart: stopped without any event; foreground processes die with it. */
  interrupt(): void {
    this.clearTimers();
    for (const { tool, onAbort } of this.running.values()) {
      if (tool.process && !tool.process.backgrounded) this.host.processes.kill(tool.process);
      onAbort.forEach((fn) => fn());
    }
    this.running.clear();
    if (this.info.status === 'running') this.info.status = 'aborted';
  }

  /** Stops every timer without emitting anything. */
  close(): void {
    this.clearTimers();
    if (this.info.status === 'running') this.info.status = 'aborted';
  }

  private clearTimers(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
