import { splitMediaLines } from './media-lines.js';
import { asArray, asNumber, asObject, asString, isObject, modelRef, type Json } from './normalize.js';
import type { PlanStep, RunActivity } from './types.js';

/**
 * What one OpenClaw `agent` or `chat` event says a run does besides writing text, read statelessly from its
 * `payload.data` (2026.9 spreads a session-row snapshot over the top level of `tool` payloads, `status` included, so
 * top-level fields are never read). `reportedOutputTokens` is 2026.9's `usage`, which a run's `ActivityTracker` turns
 * into a per-call count.
 */
export interface ProgressReading {
  activity?: RunActivity;
  reportedOutputTokens?: number;
  /**
   * Files the run's reply names, besides its activity: 2026.9's lifecycle end gives the reply's raw text
   * (`terminalReply.text`), `MEDIA:` lines and all, which names them even when the assistant events were missed.
   */
  mediaUrls?: string[];
}

const PLAN_STATUSES = new Set<PlanStep['status']>(['pending', 'in_progress', 'completed']);
const TOOL_PHASES = new Set(['start', 'update', 'end']);
const TOOL_STATUSES = new Set(['running', 'completed', 'failed']);

type ToolActivity = Extract<RunActivity, { type: 'tool' }>;

/**
 * Reads an `agent` event's progress. `protocol`: 2026.9 (4) describes each tool call in `item` events (titled, with a
 * status that says a non-zero exit failed, and internal tools marked hidden), so its `tool` stream, a second account of
 * the same calls, is not read; 2026.2 (3) has only the `tool` stream.
 */
export function agentProgress(payload: Json, protocol: number): ProgressReading | undefined {
  const data = asObject(payload.data);
  switch (payload.stream) {
    case 'item':
      return protocol >= 4 ? oneOf(itemActivity(data)) : undefined;
    case 'tool':
      return protocol < 4 ? oneOf(toolStreamActivity(data)) : undefined;
    case 'plan':
      return oneOf(planActivity(data));
    case 'run_status':
      return data.phase === 'retrying' ? oneOf(retryActivity(data)) : undefined;
    case 'usage': {
      const tokens = asNumber(data.outputTokens);
      return tokens !== undefined && tokens >= 0 ? { reportedOutputTokens: tokens } : undefined;
    }
    case 'lifecycle': {
      const reading = oneOf(lifecycleActivity(data));
      const reply = data.phase === 'end' ? asString(asObject(data.terminalReply).text) : undefined;
      const mediaUrls = reply === undefined ? [] : splitMediaLines(reply).urls;
      return mediaUrls.length > 0 ? { ...reading, mediaUrls } : reading;
    }
    case 'assistant':
      return oneOf(mediaActivity(data));
    default:
      return undefined;
  }
}

/**
 * The files the agent named in `MEDIA:` lines, which both versions take out of the text: the assistant stream's
 * `mediaUrls`, once a media line is complete (each event the urls new to it, though a repeat is harmless).
 */
export function mediaActivity(data: Json): RunActivity | undefined {
  const urls = asArray(data.mediaUrls).filter((url): url is string => typeof url === 'string' && url.trim() !== '');
  return urls.length > 0 ? { type: 'media', urls } : undefined;
}

/** A `chat` `state:"status"` event (2026.9): only a model retry is progress; the startup phases only show liveness. */
export function chatStatusProgress(payload: Json): ProgressReading | undefined {
  return isObject(payload.retry) ? oneOf(retryActivity(payload.retry)) : undefined;
}

function oneOf(activity: RunActivity | undefined): ProgressReading | undefined {
  return activity ? { activity } : undefined;
}

/** 2026.9 `item`: only tool items count; commentary (`preamble`) and other kinds are not tool steps. */
function itemActivity(data: Json): ToolActivity | undefined {
  if (data.kind !== 'tool' || data.hideFromChannelProgress === true) return undefined;
  const itemId = asString(data.itemId);
  const toolCallId = asString(data.toolCallId) ?? (itemId?.startsWith('tool:') ? itemId.slice('tool:'.length) : undefined);
  const phase = asString(data.phase);
  if (!toolCallId || !phase || !TOOL_PHASES.has(phase)) return undefined;
  const status = asString(data.status);
  return toolActivity(data, {
    phase: phase as ToolActivity['phase'],
    toolCallId,
    title: asString(data.title),
    status: status && TOOL_STATUSES.has(status) ? (status as ToolActivity['status']) : phase === 'end' ? 'completed' : 'running',
  });
}

/**
 * 2026.2 `tool` (cap `tool-events`, runs this socket started): `start {args}`, `update`, `result {meta, isError}`. Its
 * `isError` stayed false for a failed command (exit 2) in the reference runs, so a failure may show as done.
 */
function toolStreamActivity(data: Json): ToolActivity | undefined {
  const toolCallId = asString(data.toolCallId);
  if (!toolCallId) return undefined;
  const title = asString(data.meta) ?? asString(asObject(data.args).command);
  switch (data.phase) {
    case 'start':
      return toolActivity(data, { phase: 'start', toolCallId, title, status: 'running' });
    case 'update':
      return toolActivity(data, { phase: 'update', toolCallId, title, status: 'running' });
    case 'result':
      return toolActivity(data, { phase: 'end', toolCallId, title, status: data.isError === true ? 'failed' : 'completed' });
    default:
      return undefined;
  }
}

function toolActivity(data: Json, fields: Pick<ToolActivity, 'phase' | 'toolCallId' | 'title' | 'status'>): ToolActivity {
  const parentToolCallId = asString(data.parentToolCallId);
  return {
    type: 'tool',
    ...fields,
    name: asString(data.name) ?? 'tool',
    ...(parentToolCallId ? { parentToolCallId } : {}),
  };
}

function planActivity(data: Json): RunActivity | undefined {
  if (!Array.isArray(data.steps)) return undefined;
  const steps = asArray(data.steps).flatMap((raw): PlanStep[] => {
    const row = asObject(raw);
    const step = asString(row.step);
    const status = asString(row.status);
    return step !== undefined && status !== undefined && PLAN_STATUSES.has(status as PlanStep['status'])
      ? [{ step, status: status as PlanStep['status'] }]
      : [];
  });
  return { type: 'plan', steps };
}

/** `run_status` retrying and chat `status` `retry` both name the attempt about to run (2 for the first retry). */
function retryActivity(data: Json): RunActivity | undefined {
  const retryAttempt = asNumber(data.retryAttempt);
  const maxRetries = asNumber(data.maxRetries);
  const attempt = asNumber(data.attempt) ?? (retryAttempt === undefined ? undefined : retryAttempt + 1);
  if (attempt === undefined) return undefined;
  return {
    type: 'retry',
    attempt,
    maxAttempts: asNumber(data.maxAttempts) ?? (maxRetries === undefined ? undefined : maxRetries + 1),
    reason: asString(data.reason),
  };
}

function lifecycleActivity(data: Json): RunActivity | undefined {
  switch (data.phase) {
    case 'model': {
      // The run's end publishes `provider:null, model:null`: not a model.
      const provider = asString(data.provider);
      const model = asString(data.model);
      return provider && model ? { type: 'model', ref: modelRef(provider, model) } : undefined;
    }
    case 'end': {
      // What really answered, after any failover (2026.9 `terminalReceipt.effective`).
      const effective = asObject(asObject(data.terminalReceipt).effective);
      const provider = asString(effective.provider);
      const model = asString(effective.model);
      return provider && model ? { type: 'model', ref: modelRef(provider, model) } : undefined;
    }
    case 'waiting-approval':
    case 'approval-resolved': {
      const approvalId = asString(data.approvalId);
      if (!approvalId) return undefined;
      return { type: 'approval', phase: data.phase === 'waiting-approval' ? 'waiting' : 'resolved', approvalId, toolCallId: asString(data.toolCallId) };
    }
    default:
      return undefined;
  }
}

/**
 * One run's bookkeeping over the readings of its events, in their order:
 * - a retry is told once per attempt (2026.9 sends each twice: chat `status` and `run_status`);
 * - the model is told when it changes (2026.9 names it at the start of every model call);
 * - a tool step's title, given at its start (2026.2: the command), is kept for its later steps that give none;
 * - a media url is told once;
 * - usage: 2026.9 reports the run's output tokens so far, summed over its model calls (`recordAgentRunOutputTokens`,
 *   src/infra/agent-run-registry.ts, at the end of each call). A new model call is known from the order of events: a
 *   count after a tool step, a model announcement or a retry belongs to the next call. Each call is told as its own
 *   count (`callIndex` from 0), so the sum of the calls' last counts is the run's total. A count lower than the last
 *   one means the gateway started counting afresh (the run was registered again): a new call, counted from zero.
 */
export class ActivityTracker {
  private lastRetryAttempt: number | undefined;
  private lastModel: string | undefined;
  private readonly titles = new Map<string, string>();
  /** Media urls told already: a turn's files are told once, across a successor run too. */
  private readonly media = new Set<string>();
  private callIndex = -1;
  /** The gateway's count when the current call began, and its last count. */
  private callBase = 0;
  private lastReported = 0;
  private newCall = true;

  accept(reading: ProgressReading): RunActivity | undefined {
    if (reading.reportedOutputTokens !== undefined) return this.usage(reading.reportedOutputTokens);
    const activity = reading.activity;
    if (!activity) return undefined;
    switch (activity.type) {
      case 'retry':
        this.newCall = true;
        if (activity.attempt === this.lastRetryAttempt) return undefined;
        this.lastRetryAttempt = activity.attempt;
        return activity;
      case 'model':
        this.newCall = true;
        if (activity.ref === this.lastModel) return undefined;
        this.lastModel = activity.ref;
        return activity;
      case 'tool': {
        this.newCall = true;
        if (activity.title) this.titles.set(activity.toolCallId, activity.title);
        const title = activity.title ?? this.titles.get(activity.toolCallId);
        return title === activity.title ? activity : { ...activity, title };
      }
      case 'media': {
        const urls = activity.urls.filter((url) => !this.media.has(url));
        for (const url of urls) this.media.add(url);
        return urls.length > 0 ? { type: 'media', urls } : undefined;
      }
      default:
        return activity;
    }
  }

  /** The run continues under another run id (a successor turn, a resumed one): its counts and retries start afresh. */
  nextRun(): void {
    this.lastRetryAttempt = undefined;
    this.lastReported = 0;
    this.callBase = 0;
    this.newCall = true;
  }

  private usage(reported: number): RunActivity | undefined {
    if (reported < this.lastReported) {
      this.callBase = 0;
      this.newCall = true;
    } else if (this.newCall) {
      this.callBase = this.lastReported;
    }
    if (this.newCall) {
      this.callIndex += 1;
      this.newCall = false;
    } else if (reported === this.lastReported) {
      return undefined;
    }
    this.lastReported = reported;
    return { type: 'usage', outputTokens: reported - this.callBase, callIndex: this.callIndex };
  }
}
