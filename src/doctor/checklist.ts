import { randomBytes } from 'node:crypto';
import type { GatewayClient } from '../gateway/client.js';
import { describeFiles } from '../gateway/attachment-limits.js';
import { SessionNotFoundError } from '../gateway/errors.js';
import type { GatewayInfo, RunOutcome } from '../gateway/types.js';

export interface CheckResult {
  name: string;
  status: 'pass' | 'fail' | 'skip';
  ms: number;
  detail: string;
}

export interface ChecklistOptions {
  /** Skip the steps that spend model tokens (chat.send, chat.abort). */
  chat: boolean;
  /** How long connect may take, retries included. */
  connectTimeoutMs: number;
  /** How long a chat run may take. */
  runTimeoutMs: number;
  onResult?: (result: CheckResult) => void;
}

export const CHAT_PROMPT = 'clawcord doctor: please reply with one short friendly sentence.';
export const ABORT_PROMPT =
  'clawcord doctor abort check: write a very long story of at least 3000 words about a lighthouse keeper.';

/** A check's outcome when it does not pass. */
class Skip extends Error {}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no result within ${Math.round(ms / 1000)} s`)), ms);
    }),
  ]);
}

function quote(text: string, max = 60): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return JSON.stringify(line.length > max ? `${line.slice(0, max - 1)}…` : line);
}

function plural(count: number | undefined, noun: string): string | undefined {
  return count === undefined ? undefined : `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function formatUptime(ms: number | undefined): string {
  if (ms === undefined) return 'unknown';
  const s = Math.floor(ms / 1000);
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

/**
 * What this connection can do beyond chat, and why a feature is off: the version, or what the gateway granted (the
 * cure for the latter is to approve the device's pending scope upgrade on the gateway host).
 */
export function describeFeatures(info: GatewayInfo): string {
  const { features } = info;
  if (info.dialect === 'card') return `tool progress, exec approvals and steering: off — the card dialect has none of them; ${describeFiles(features)}`;
  const missing = features.missingScopes;
  const notGranted = (scopes: string) => `the gateway did not grant ${scopes}; approve the device's scope upgrade (openclaw devices list)`;
  const lines = [
    features.toolProgress ? 'tool progress: on' : `tool progress: off — ${notGranted('operator.read')}`,
    features.approvals
      ? `exec approvals: on${missing.includes('operator.approvals') ? ' (through operator.admin: operator.approvals was not granted; approve the scope upgrade to add it)' : ''}`
      : `exec approvals: off — ${notGranted('operator.approvals or operator.admin')}`,
  ];
  if (features.approvals) {
    lines.push(
      features.listApprovals
        ? 'approvals after a reconnect: listed again'
        : 'approvals after a reconnect: not listed — the gateway has no exec.approval.list (2026.2); only new requests show',
    );
  }
  lines.push(
    features.steer
      ? 'steering: on'
      : Number(info.protocol) >= 4
        ? `steering: off — ${notGranted('operator.write')}`
        : 'steering: off — 2026.2 cannot put a message into a running turn: a follow-up waits as the next turn',
  );
  lines.push(
    features.stopsBackgroundCommands
      ? 'stop: also cancels commands the agent moved to the background'
      : 'stop: a command the agent moved to the background (after 10 s) keeps running; the gateway config tools.deny: ["process"] keeps commands in the foreground, where stop ends them',
  );
  const files = describeFiles(features);
  lines.push(files.endsWith('named only') ? files + producedFilesWhy(info) : files);
  return lines.join('; ');
}

/** Why 2026.9 gives back only the names of produced files: a scope or method this connection lacks. 2026.2 has no way. */
function producedFilesWhy(info: GatewayInfo): string {
  if (info.features.producedFiles) return '';
  if (Number(info.protocol) < 4) return ' (2026.2 serves them to no client)';
  const lacking = ['artifacts.list', 'artifacts.download'].filter((method) => !info.methods?.includes(method));
  return lacking.length > 0 ? ` (the gateway lists no ${lacking.join(' or ')})` : ' (the gateway did not grant operator.read)';
}

/**
 * The testing checklist from the gateway reference card, run against a live gateway on a scratch session of
 * the doctor's own. Each item reports pass, fail or skip, its time and what a person needs to know.
 */
export async function runChecklist(client: GatewayClient, options: ChecklistOptions): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const scope = `doctor-${randomBytes(4).toString('hex')}`;
  let sessionKey = '';
  let agentId = 'main';
  let models: string[] = [];
  let chatted = false;

  const check = async (name: string, body: () => Promise<string>, enabled = true): Promise<boolean> => {
    const started = performance.now();
    let result: CheckResult;
    if (!enabled) {
      result = { name, status: 'skip', ms: 0, detail: 'skipped (--no-chat)' };
    } else {
      try {
        const detail = await body();
        result = { name, status: 'pass', ms: performance.now() - started, detail };
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        result = { name, status: error instanceof Skip ? 'skip' : 'fail', ms: performance.now() - started, detail: message };
      }
    }
    results.push(result);
    options.onResult?.(result);
    return result.status === 'pass';
  };

  const connected = await check('connect', async () => {
    const info = await withTimeout(client.start(), options.connectTimeoutMs, 'connect').catch((error: unknown) => {
      const last = client.lastConnectError;
      if (!last || last === error) throw error;
      throw new Error(`${last.message} (kept retrying for ${Math.round(options.connectTimeoutMs / 1000)} s)`);
    });
    const parts = [info.dialect === 'card' ? `card dialect (hello ${info.protocol})` : `openclaw protocol v${info.protocol}`];
    if (info.serverVersion) parts.push(`server ${info.serverVersion}`);
    if (info.scopes) parts.push(`scopes ${info.scopes.join(', ') || 'none'}`);
    return parts.join(', ');
  });
  if (!connected) return results;

  await check('features', async () => {
    const info = client.info;
    if (!info) throw new Error('not connected');
    return describeFeatures(info);
  });

  await check('models.list', async () => {
    const list = await client.modelsList();
    models = list.map((m) => m.ref);
    if (list.length === 0) throw new Error('the gateway lists no models');
    const shown = models.slice(0, 5).join(', ') + (models.length > 5 ? `, … ${models.length - 5} more` : '');
    const providers = new Set(list.map((m) => m.provider)).size;
    return `${plural(list.length, 'model')}${providers > 1 ? ` from ${providers} providers` : ''}: ${shown}`;
  });

  await check('agents.list', async () => {
    const list = await client.agentsList();
    agentId = list.defaultId;
    if (list.agents.length === 0) throw new Error('the gateway lists no agents');
    return `${list.agents.length} agents: ${list.agents.map((a) => (a.name === a.id ? a.id : `${a.id} (${a.name})`)).join(', ')}; default ${list.defaultId}`;
  });
  sessionKey = client.sessionKey(agentId, scope);

  await check('sessions.list', async () => {
    const rows = await client.sessionsList({ limit: 10 });
    const titled = rows.filter((r) => r.title).length;
    return rows.length === 0 ? 'no sessions yet' : `${plural(rows.length, 'session')} (${titled} with titles)`;
  });

  await check(
    'chat.send',
    async () => {
      const started = performance.now();
      const run = await client.chatSend({ sessionKey, message: CHAT_PROMPT });
      let updates = 0;
      let firstTextMs: number | undefined;
      let outcome: RunOutcome | undefined;
      await withTimeout(
        (async () => {
          for await (const event of run) {
            if (event.type === 'text') {
              updates += 1;
              firstTextMs ??= performance.now() - started;
            } else if (event.type !== 'activity') outcome = event;
          }
        })(),
        options.runTimeoutMs,
        'chat.send',
      );
      if (!outcome) throw new Error('the run ended without a final event');
      if (outcome.type === 'error') throw new Error(`the run failed: ${outcome.message}`);
      if (outcome.type === 'aborted') throw new Error('the run was aborted');
      if (!outcome.text.trim()) throw new Error('the final answer is empty');
      chatted = true;
      const first = firstTextMs === undefined ? '' : `, first text after ${Math.round(firstTextMs)} ms`;
      return `streamed ${plural(updates, 'text update')}${first}; final ${outcome.text.length} chars ${quote(outcome.text)}`;
    },
    options.chat,
  );

  await check(
    'chat.abort',
    async () => {
      const run = await client.chatSend({ sessionKey, message: ABORT_PROMPT });
      let aborted: boolean | undefined;
      const outcome = await withTimeout(
        (async () => {
          for await (const event of run) {
            if (event.type === 'text' && aborted === undefined) {
              aborted = false;
              aborted = (await run.abort()).aborted;
            }
            if (event.type !== 'text' && event.type !== 'activity') return event;
          }
          return undefined;
        })(),
        options.runTimeoutMs,
        'chat.abort',
      );
      chatted = true;
      if (outcome?.type === 'aborted') {
        return `second run stopped after ${outcome.text.length} chars; gateway said aborted: ${String(aborted)}`;
      }
      if (outcome?.type === 'final') throw new Error('the run finished before it could be aborted');
      throw new Error(`the run ended with ${outcome?.type ?? 'nothing'} instead of aborted`);
    },
    options.chat,
  );

  await check('sessions.patch', async () => {
    // Switch to another model of the provider in use, so a catalog of many providers does not pick a stranger.
    const current = chatted ? (await client.sessionsList({ limit: 100 })).find((row) => row.key === sessionKey)?.model : undefined;
    const provider = current?.slice(0, current.indexOf('/'));
    const target = models.find((ref) => ref !== current && provider !== undefined && ref.startsWith(`${provider}/`)) ?? models.find((ref) => ref !== current);
    if (!target) throw new Skip('skipped: no model to switch to');
    try {
      const result = await client.sessionsPatch(sessionKey, { model: target });
      if (result.model && result.model !== target) throw new Error(`asked for ${target}, the gateway set ${result.model}`);
      return `model of ${sessionKey} set to ${result.model ?? target}`;
    } catch (error) {
      if (error instanceof SessionNotFoundError && !chatted) throw new Skip('skipped: this gateway only patches sessions that had a message (run without --no-chat)');
      throw error;
    }
  });

  await check('sessions.reset', async () => {
    try {
      await client.sessionsReset(sessionKey, 'clawcord doctor');
    } catch (error) {
      if (error instanceof SessionNotFoundError && !chatted) throw new Skip('skipped: this gateway only resets sessions that had a message (run without --no-chat)');
      throw error;
    }
    const history = await client.chatHistory(sessionKey, 50);
    const left = history.filter((m) => m.role === 'user' || m.role === 'assistant');
    if (left.length > 0) throw new Error(`the session still holds ${left.length} messages after the reset`);
    return `session cleared (history has ${left.length} messages)`;
  });

  await check('status', async () => {
    const status = await client.status();
    if (!status.ready) throw new Error('the gateway says it is not ready');
    const counts = [plural(status.sessions, 'session'), plural(status.agents, 'agent')].filter(Boolean);
    return [`version ${status.version ?? 'unknown'}`, `uptime ${formatUptime(status.uptimeMs)}`, ...counts].join(', ');
  });

  return results;
}
