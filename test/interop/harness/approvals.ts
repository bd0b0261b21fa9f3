// Exec approvals a test can raise itself, for the cases a real agent run cannot reach in test time.
import type { Operator } from './operator.js';

export interface InjectedApproval {
  id: string;
  createdAtMs: number;
  expiresAtMs: number;
}

/** Raises an exec approval for `sessionKey` that expires after `timeoutMs`, through the gateway's own
 * `exec.approval.request` (both versions take `timeoutMs` there, while agent-raised approvals always last 120 s on v3
 * and 30 min on v4). The bot's socket sees an ordinary `exec.approval.requested` with no run attached. On expiry v4
 * broadcasts `exec.approval.resolved {decision:"deny", resolvedBy:null}` and v3 broadcasts nothing.
 * `requester` must be another socket than the bot's, with operator.admin (v4 lists the request only to it). */
export async function injectApproval(
  requester: Operator,
  opts: { sessionKey: string; command: string; timeoutMs: number; cwd?: string; agentId?: string },
): Promise<InjectedApproval> {
  const answer = requester.call(
    'exec.approval.request',
    {
      command: opts.command,
      cwd: opts.cwd ?? '/tmp',
      host: 'gateway',
      agentId: opts.agentId ?? 'main',
      sessionKey: opts.sessionKey,
      timeoutMs: opts.timeoutMs,
    },
    opts.timeoutMs + 15_000,
  );
  // The request's answer comes only with a decision or at expiry. v3 also broadcasts the request to the requester;
  // v4 does not, but lists it to an admin.
  let settled = false;
  const broadcast = waitForFrame(
    requester,
    (f) =>
      f.event === 'exec.approval.requested' &&
      (f.payload as { request?: { sessionKey?: string } } | undefined)?.request?.sessionKey === opts.sessionKey,
    opts.timeoutMs,
    () => settled,
  ).then((f) => (f ? (f.payload as InjectedApproval) : undefined));
  const listed = (async () => {
    while (!settled) {
      const res = await requester.call('exec.approval.list', {}, 5_000);
      if (!res.ok) return undefined; // v3: unknown method
      const hit = (res.payload as Array<InjectedApproval & { request?: { sessionKey?: string } }>).find(
        (a) => a.request?.sessionKey === opts.sessionKey,
      );
      if (hit) return hit;
      await new Promise((r) => setTimeout(r, 100));
    }
    return undefined;
  })();
  const answered = answer.then((res) => {
    if (!res.ok) throw new Error(`exec.approval.request failed: ${JSON.stringify(res.error)}`);
    return res.payload as InjectedApproval;
  });
  const found = (p: Promise<InjectedApproval | undefined>) => p.then((r) => r ?? new Promise<never>(() => undefined));
  try {
    const p = await Promise.race([answered, found(broadcast), found(listed)]);
    return { id: p.id, createdAtMs: p.createdAtMs, expiresAtMs: p.expiresAtMs };
  } finally {
    settled = true;
    answered.catch(() => undefined); // a failure after the approval was found has no reader
  }
}

function waitForFrame(
  operator: Operator,
  match: (frame: Operator['frames'][number]['frame']) => boolean,
  timeoutMs: number,
  stop: () => boolean,
): Promise<Operator['frames'][number]['frame'] | undefined> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve) => {
    const poll = () => {
      const hit = operator.frames.find((f) => match(f.frame));
      if (hit || stop() || Date.now() > deadline) return resolve(hit?.frame);
      setTimeout(poll, 50);
    };
    poll();
  });
}
