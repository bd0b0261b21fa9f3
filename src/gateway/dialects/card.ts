import {
  AuthError,
  GatewayError,
  MethodNotFoundError,
  ParamsError,
  SessionNotFoundError,
} from '../errors.js';
import { neutraliseCommands, restoreCommands } from '../directives.js';
import {
  abortRun,
  HandshakeClosedError,
  nextFrame,
  runIdOf,
  type Dialect,
  type Frame,
  type HandshakeContext,
  type Inbound,
  type ProducedFilesContext,
  type Rpc,
  type RunUpdate,
  type SessionHistory,
} from '../dialect.js';
import { CARD_ATTACHMENTS } from '../attachment-limits.js';
import { namedOnly } from '../produced-files.js';
import { assertTaken } from '../attachments.js';
import { asArray, compact, asEpochMs, asNumber, asObject, asString, flattenContent, hasToolCall, isObject, toModelInfo, type Json } from '../normalize.js';
import type { ChatSendInput, GatewayInfo, HistoryMessage, ProducedFile, ProducedFilesInput, SessionListInput, SessionPatch, SessionRow } from '../types.js';

const HELLO_VERSION = '1.0';

/** The card leaves the error shape open: a string, `{code, message}`, or a number beside a `message`. */
export function cardError(error: unknown, frame: Frame): GatewayError {
  let code: string | number | undefined;
  let message: string;
  if (typeof error === 'string') {
    message = error;
    code = /^\d{3}\b/.exec(error)?.[0];
  } else if (typeof error === 'number') {
    code = error;
    message = `${error} ${asString(frame.message) ?? ''}`.trim();
  } else {
    const shape = asObject(error);
    code = asString(shape.code) ?? asNumber(shape.code);
    const text = asString(shape.message) ?? asString(shape.error) ?? 'gateway error';
    message = typeof code === 'number' && !text.startsWith(String(code)) ? `${code} ${text}` : text;
  }
  const codeText = code === undefined ? '' : String(code);
  // The card's texts decide; a bare status code is the fallback (a 404 may also mean "Session not found").
  if (/session not found/i.test(message)) return new SessionNotFoundError(message, error);
  if (/params validation failed/i.test(message)) return new ParamsError(message, error);
  if (/method not found/i.test(message)) return new MethodNotFoundError(message, error);
  if (codeText === '401' || /unauthori[sz]ed/i.test(message)) return new AuthError(message, error);
  if (codeText === '404') return new MethodNotFoundError(message, error);
  return new GatewayError(message, codeText || 'GATEWAY_ERROR', error);
}


function cardSessionRow(row: Json): SessionRow | undefined {
  const key = asString(row.key);
  if (!key) return undefined;
  return {
    key,
    title: asString(row.derivedTitle) ?? asString(row.displayName),
    displayName: asString(row.displayName),
    model: asString(row.model),
    preview: asString(row.lastMessagePreview),
    updatedAt: asEpochMs(row.updatedAt),
  };
}

/** The dialect of the user's reference card: `hello`/`helloOk`, `{id, method, params}`, `chat.chunk` pushes. */
export class CardDialect implements Dialect {
  readonly name = 'card' as const;
  readonly liveness = 'ping' as const;

  connectUrl(base: string, token: string | undefined): string {
    if (!token) return base;
    const url = new URL(base);
    url.searchParams.set('token', token);
    return url.toString();
  }

  encode(frame: Frame): Buffer {
    return Buffer.from(JSON.stringify(frame), 'utf8');
  }

  async handshake({ socket, timeoutMs, firstFrame }: HandshakeContext): Promise<GatewayInfo> {
    // A refusal may already be waiting (sent as soon as the socket opened, then closed).
    for (let frame = firstFrame ?? socket.shift(); frame; frame = socket.shift()) this.throwIfRefused(frame);
    if (socket.closeInfo) throw this.closedError(new HandshakeClosedError(socket.closeInfo.code, socket.closeInfo.reason, 'helloOk'));
    socket.send(this.encode({ event: 'hello', payload: { version: HELLO_VERSION } }));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let frame: Frame;
      try {
        frame = await nextFrame(socket, Math.max(1, deadline - Date.now()), 'helloOk');
      } catch (error) {
        throw error instanceof HandshakeClosedError ? this.closedError(error) : error;
      }
      this.throwIfRefused(frame);
      if (frame.event === 'helloOk') {
        return {
          dialect: 'card',
          protocol: HELLO_VERSION,
          serverVersion: asString(asObject(frame.payload).version),
          uptimeMs: undefined,
          connectedAt: Date.now(),
          methods: undefined,
          scopes: undefined,
          tickIntervalMs: undefined,
          defaultAgentId: undefined,
          features: {
            toolProgress: false,
            approvals: false,
            listApprovals: false,
            steer: false,
            stopsBackgroundCommands: false,
            missingScopes: [],
            attachments: CARD_ATTACHMENTS,
            producedFiles: false,
          },
        };
      }
    }
  }

  private closedError(error: HandshakeClosedError): Error {
    return /401|unauthori[sz]ed/i.test(error.closeReason) ? new AuthError(`401 Unauthorized (${error.closeReason})`) : error;
  }

  private throwIfRefused(frame: Frame): void {
    if (frame.error !== undefined && frame.error !== null) throw cardError(frame.error, frame);
  }

  requestFrame(id: string, method: string, params: Frame): Frame {
    return { id, method, params };
  }

  classify(frame: Frame): Inbound | undefined {
    if (typeof frame.event === 'string') {
      return { kind: 'event', event: frame.event, payload: frame.payload, seq: asNumber(frame.seq) };
    }
    if (typeof frame.id === 'string' && ('result' in frame || 'error' in frame)) {
      if (frame.error === undefined || frame.error === null) return { kind: 'response', id: frame.id, ok: true, result: frame.result };
      return { kind: 'response', id: frame.id, ok: false, error: cardError(frame.error, frame) };
    }
    return undefined;
  }

  runUpdate(event: string, payload: unknown): RunUpdate | undefined {
    if (!isObject(payload) || typeof payload.runId !== 'string') return undefined;
    const runId = payload.runId;
    switch (event) {
      case 'chat.chunk':
        return typeof payload.delta === 'string' ? { runId, kind: 'delta', deltaText: payload.delta } : undefined;
      case 'chat.done':
        return { runId, kind: 'final' };
      case 'chat.error': {
        const error = payload.error;
        const message = typeof error === 'string' ? error : (asString(asObject(error).message) ?? 'the run failed');
        return { runId, kind: 'error', errorMessage: message };
      }
      case 'chat.aborted':
        return { runId, kind: 'aborted' };
      default:
        return undefined;
    }
  }

  sessionKey(agentId: string, scope: string): string {
    return `${agentId}:clawcord:${scope}`;
  }

  prepareChatSend(input: ChatSendInput, info: GatewayInfo): { params: Frame } {
    // Its gateway refuses any param it does not list, attachments among them: text files go inlined by the relay.
    assertTaken(input.attachments, info);
    // The card is a façade over OpenClaw, which reads commands anywhere in a message; the card has no flag to stop it.
    return {
      params: compact({
        sessionKey: input.sessionKey,
        message: neutraliseCommands(input.message),
        thinking: input.thinking,
        timeoutMs: input.timeoutMs,
      }),
    };
  }

  readonly chatSendRunId = runIdOf;
  readonly chatAbort = abortRun;

  async chatHistory(rpc: Rpc, sessionKey: string, limit: number): Promise<SessionHistory> {
    let result: unknown;
    try {
      result = await rpc('chat.history', { sessionKey, limit });
    } catch (error) {
      // A session that never had a message has no history.
      if (error instanceof SessionNotFoundError) return { messages: [] };
      throw error;
    }
    const messages = asArray(asObject(result).messages).filter(isObject).map((message): HistoryMessage => {
      const role = asString(message.role) ?? 'unknown';
      const text = flattenContent(message.content);
      const stopReason = asString(message.stopReason);
      return {
        role,
        text: role === 'user' ? restoreCommands(text) : text,
        timestamp: asEpochMs(message.timestamp),
        runId: asString(message.runId),
        aborted: false,
        stopReason,
        // The card's rows say nothing of how a reply ended; one that asks for a tool is not the end.
        endsRun: role === 'assistant' && stopReason !== 'toolUse' && !hasToolCall(message.content),
      };
    });
    return { messages };
  }

  async sessionRow(rpc: Rpc, key: string): Promise<SessionRow | undefined> {
    // The card's sessions.list has neither a key filter nor projections to leave out.
    const result = asObject(await rpc('sessions.list', { limit: 100 }));
    const row = asArray(result.sessions).filter(isObject).find((candidate) => candidate.key === key);
    return row ? cardSessionRow(row) : undefined;
  }

  async modelsList(rpc: Rpc) {
    const result = asObject(await rpc('models.list', {}));
    return asArray(result.models).filter(isObject).flatMap((row) => toModelInfo(row) ?? []);
  }

  async agentsList(rpc: Rpc) {
    const result = asObject(await rpc('agents.list', {}));
    const agents = asArray(result.agents)
      .filter(isObject)
      .flatMap((row) => {
        const id = asString(row.id);
        return id ? [{ id, name: asString(row.name) ?? id }] : [];
      });
    return { defaultId: asString(result.defaultId) ?? agents[0]?.id ?? 'main', agents };
  }

  async sessionsList(rpc: Rpc, input: SessionListInput) {
    const result = asObject(
      await rpc('sessions.list', compact({ limit: input.limit, activeMinutes: input.activeMinutes, agentId: input.agentId })),
    );
    return asArray(result.sessions)
      .filter(isObject)
      .flatMap((row) => cardSessionRow(row) ?? []);
  }

  async sessionsPatch(rpc: Rpc, key: string, patch: SessionPatch) {
    const result = asObject(await rpc('sessions.patch', compact({ key, ...patch })));
    return { key, model: asString(result.model) ?? (typeof patch.model === 'string' ? patch.model : undefined) };
  }

  async sessionsReset(rpc: Rpc, key: string, reason: string | undefined) {
    await rpc('sessions.reset', compact({ key, reason }));
  }

  async status(rpc: Rpc, info: GatewayInfo) {
    const result = asObject(await rpc('status', {}));
    const uptimeSeconds = asNumber(result.uptime);
    return {
      dialect: 'card' as const,
      protocol: info.protocol,
      version: asString(result.version) ?? info.serverVersion,
      uptimeMs: uptimeSeconds === undefined ? undefined : uptimeSeconds * 1000,
      sessions: asNumber(result.sessions),
      agents: asNumber(result.agents),
      ready: result.ready !== false,
    };
  }

  /** The card has no files: what the agent named can only be shown by name. */
  async producedFiles(_context: ProducedFilesContext, input: ProducedFilesInput): Promise<ProducedFile[]> {
    return namedOnly(input.mediaUrls);
  }
}
