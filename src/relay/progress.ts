import type { PlanStep, RunActivity } from '../gateway/types.js';
import type { ReplyProgress } from './phase.js';

interface ToolCall {
  title: string;
  parentId: string | undefined;
  /** Calls made inside this one (2026.9 `tool_call` wraps the tool it reaches): only the innermost are shown and counted. */
  children: number;
}

/** A tool's title as people read it: the gateway's summary, else its name. */
function titleOf(activity: Extract<RunActivity, { type: 'tool' }>): string {
  const title = activity.title?.trim();
  return title ? title : activity.name;
}

/**
 * What one run has done besides writing text, from its activity events: the tools running and finished, its plan,
 * a model retry, approvals it waits for, a hand-off to sub-agents, the model and the tokens the gateway reported.
 */
export class RunProgress {
  private readonly running = new Map<string, ToolCall>();
  private readonly ended = new Set<string>();
  private done = 0;
  private failed = 0;
  private plan: PlanStep[] | undefined;
  private retry: { attempt: number; maxAttempts: number | undefined } | undefined;
  private readonly waitingFor = new Set<string>();
  private handoff: { count: number | undefined } | undefined;
  /** Output tokens per model call, as the gateway last reported them. */
  private readonly outputTokens = new Map<number, number>();
  private modelRef: string | undefined;
  private readonly toolNames = new Set<string>();

  constructor(
    private readonly startedAt: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes in one activity; true when what the reply shows changed. */
  apply(activity: RunActivity): boolean {
    switch (activity.type) {
      case 'tool':
        return this.tool(activity);
      case 'plan':
        this.plan = activity.steps;
        return true;
      case 'retry':
        this.retry = { attempt: activity.attempt, maxAttempts: activity.maxAttempts };
        return true;
      case 'usage':
        this.outputTokens.set(activity.callIndex, activity.outputTokens);
        return false;
      case 'model':
        this.modelRef = activity.ref;
        return false;
      case 'approval':
        if (activity.phase === 'waiting') this.waitingFor.add(activity.approvalId);
        else this.waitingFor.delete(activity.approvalId);
        return true;
      case 'handoff':
        this.handoff = { count: activity.waitingFor };
        return true;
      // The files themselves are fetched once the answer is final; the status line does not show them.
      case 'media':
        return false;
    }
  }

  /** New text arrived: a retry is over, and a handed-off turn's successor is answering. */
  textArrived(): boolean {
    const changed = this.retry !== undefined || this.handoff !== undefined;
    this.retry = undefined;
    this.handoff = undefined;
    return changed;
  }

  /** Whether the run called a tool of this name (`exec`: it ran shell commands). */
  used(toolName: string): boolean {
    return this.toolNames.has(toolName);
  }

  /** The model the gateway said this run uses. */
  get model(): string | undefined {
    return this.modelRef;
  }

  /** The output tokens the gateway reported over all model calls, if it reported any. */
  get reportedOutputTokens(): number | undefined {
    if (this.outputTokens.size === 0) return undefined;
    let total = 0;
    for (const tokens of this.outputTokens.values()) total += tokens;
    return total;
  }

  /** Tool calls finished, for the summary; undefined when the run used none. */
  get tools(): { done: number; failed: number } | undefined {
    return this.done + this.failed > 0 || this.running.size > 0 ? { done: this.done + this.failed, failed: this.failed } : undefined;
  }

  /** Whether there is anything to show besides text (a run that only writes shows no status line). */
  get visible(): boolean {
    return this.tools !== undefined || this.plan !== undefined || this.retry !== undefined || this.waitingFor.size > 0 || this.handoff !== undefined;
  }

  /** Whether time passing changes what is shown: something is at work that writes no text. */
  get busy(): boolean {
    return this.running.size > 0 || this.waitingFor.size > 0 || this.handoff !== undefined || this.retry !== undefined;
  }

  view(): ReplyProgress | undefined {
    if (!this.visible) return undefined;
    const running = [...this.running.values()].filter((call) => call.children === 0).map((call) => call.title);
    const view: ReplyProgress = {
      running,
      done: this.done + this.failed,
      failed: this.failed,
      elapsedMs: Math.max(0, this.now() - this.startedAt),
      waitingApprovals: this.waitingFor.size,
    };
    if (this.plan) view.plan = this.plan;
    if (this.retry) view.retry = this.retry;
    if (this.handoff) view.subAgents = this.handoff;
    return view;
  }

  private tool(activity: Extract<RunActivity, { type: 'tool' }>): boolean {
    const id = activity.toolCallId;
    this.toolNames.add(activity.name);
    if (this.ended.has(id)) return false;
    const known = this.running.get(id);
    if (activity.phase !== 'end') {
      if (known) {
        const title = titleOf(activity);
        if (title === known.title) return false;
        known.title = title;
        return true;
      }
      const parentId = activity.parentToolCallId;
      const parent = parentId ? this.running.get(parentId) : undefined;
      if (parent) parent.children += 1;
      this.running.set(id, { title: titleOf(activity), parentId, children: 0 });
      this.retry = undefined;
      return true;
    }
    this.running.delete(id);
    this.ended.add(id);
    // A wrapper call that reached other tools is not a step of its own: its inner calls were counted.
    if (known && known.children > 0) return true;
    if (activity.status === 'failed') this.failed += 1;
    else this.done += 1;
    return true;
  }
}
