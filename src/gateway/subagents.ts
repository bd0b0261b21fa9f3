import { asObject, asString, isObject } from './normalize.js';

const ACTIVE = new Set(['queued', 'running']);
const MAX_SESSIONS = 500;

/**
 * The sub-agents each session waits for, from 2026.9's broadcast `task` events
 * (`{action:"upserted", task:{taskId, kind:"subagent", status, sessionKey:<the parent session>, …}}`, F-findings
 * SUB-AGENTS, live): neither a yielded final nor its lifecycle end says how many there are.
 */
export class SubagentTasks {
  /** Session key (lower case) → the ids of its sub-agent tasks still queued or running. Present once one was seen. */
  private readonly sessions = new Map<string, Set<string>>();

  /** Takes in a `task` event: the parent session it is about, and whether its count changed (or was first seen). */
  update(payload: unknown): { sessionKey: string; changed: boolean } | undefined {
    const event = asObject(payload);
    if (!isObject(event.task) || event.task.kind !== 'subagent') return undefined;
    const task = event.task;
    const id = asString(task.taskId) ?? asString(task.id);
    const key = asString(task.sessionKey)?.toLowerCase();
    if (!id || !key) return undefined;
    let active = this.sessions.get(key);
    const seen = active !== undefined;
    if (!active) {
      if (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
      active = new Set();
      this.sessions.set(key, active);
    }
    const before = active.size;
    if (event.action !== 'removed' && ACTIVE.has(String(task.status))) active.add(id);
    else active.delete(id);
    return { sessionKey: key, changed: !seen || active.size !== before };
  }

  /** How many sub-agents the session waits for; undefined when none was ever seen for it. */
  count(sessionKey: string): number | undefined {
    return this.sessions.get(sessionKey.toLowerCase())?.size;
  }
}
