// v4 background tasks (F-findings STOP and SUB-AGENTS, live on 2026.9.6; src/gateway/server-methods/tasks.ts): a
// backgrounded exec command and a sub-agent run are tasks, pushed to every reader as `task {action:"upserted"}`,
// listed by `tasks.list` and stopped by `tasks.cancel` (the only operator way to stop a backgrounded command).
import { randomUUID } from 'node:crypto';

export type TaskStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled' | 'timed_out';

export interface TaskRecord {
  id: string;
  taskId: string;
  kind: 'exec' | 'subagent';
  runtime: 'cli' | 'subagent';
  status: TaskStatus;
  execution: { state: 'running' | 'finished'; lastActivityAt: number };
  title: string;
  agentId: string;
  /** The session the task belongs to (a sub-agent's: the parent's). */
  sessionKey: string;
  ownerKey: string;
  /** exec: `exec:<process session>`; sub-agent: the child's run id. */
  runId: string;
  /** exec: the process session name (`Command still running (session <name>, …)`). */
  sourceId?: string;
  childSessionKey?: string;
  hasTranscript: boolean;
  deliveryStatus: 'not_applicable';
  createdAt: number;
  updatedAt: number;
  startedAt: number;
  endedAt?: number;
  error?: string;
}

export class Tasks {
  private readonly all = new Map<string, TaskRecord>();
  /** How to stop each task (kill the process, abort the child run). */
  private readonly stops = new Map<string, () => void>();

  constructor(private readonly emit: (event: string, payload: Record<string, unknown>) => void) {}

  add(fields: Omit<TaskRecord, 'id' | 'taskId' | 'status' | 'execution' | 'createdAt' | 'updatedAt' | 'startedAt' | 'hasTranscript' | 'deliveryStatus'>, stop: () => void): TaskRecord {
    const id = randomUUID();
    const now = Date.now();
    const task: TaskRecord = {
      id,
      taskId: id,
      status: 'running',
      execution: { state: 'running', lastActivityAt: now },
      createdAt: now,
      updatedAt: now,
      startedAt: now,
      hasTranscript: true,
      deliveryStatus: 'not_applicable',
      ...fields,
    };
    this.all.set(id, task);
    this.stops.set(id, stop);
    this.upserted(task);
    return task;
  }

  /** The task ended by itself (the process exited, the child run settled). */
  finish(task: TaskRecord, status: TaskStatus = 'completed'): void {
    if (task.status !== 'running') return;
    this.end(task, status);
  }

  /** `tasks.list {status?, agentId?, sessionKey?, limit?, cursor?, sortBy?}`. */
  list(p: Record<string, unknown>): unknown {
    const statuses = p.status === undefined ? undefined : Array.isArray(p.status) ? p.status : [p.status];
    const tasks = [...this.all.values()]
      .filter((t) => (statuses === undefined || statuses.includes(t.status)) && (p.agentId === undefined || t.agentId === p.agentId))
      .filter((t) => p.sessionKey === undefined || t.sessionKey === p.sessionKey)
      .sort((a, b) => b.updatedAt - a.updatedAt)
      .slice(0, typeof p.limit === 'number' ? p.limit : 100);
    return { tasks: tasks.map((t) => ({ ...t })) };
  }

  /** `tasks.cancel {taskId, reason?}` → `{found, cancelled, task?}`: the process tree is killed (live). */
  cancel(p: Record<string, unknown>): unknown {
    const task = this.all.get(p.taskId as string);
    if (!task) return { found: false, cancelled: false };
    if (task.status !== 'running') return { found: true, cancelled: false, task: { ...task } };
    this.stops.get(task.id)?.();
    this.end(task, 'cancelled', typeof p.reason === 'string' ? p.reason : undefined);
    return { found: true, cancelled: true, task: { ...task } };
  }

  private end(task: TaskRecord, status: TaskStatus, error?: string): void {
    const now = Date.now();
    Object.assign(task, { status, execution: { state: 'finished', lastActivityAt: now }, updatedAt: now, endedAt: now });
    if (error !== undefined) task.error = error;
    this.stops.delete(task.id);
    this.upserted(task);
  }

  private upserted(task: TaskRecord): void {
    this.emit('task', { action: 'upserted', task: { ...task } });
  }
}
