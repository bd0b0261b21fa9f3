import type { Logger } from '../log.js';
import type { DeviceIdentity } from './device.js';
import { DisconnectedError, type GatewayError } from './errors.js';
import { asObject, asString, compact } from './normalize.js';
import type { FrameSocket } from './socket.js';
import type {
  AbortResult,
  AgentList,
  ChatSendInput,
  DialectName,
  GatewayInfo,
  GatewayStatus,
  HistoryMessage,
  ModelInfo,
  PatchResult,
  ProducedFile,
  ProducedFilesInput,
  RunActivity,
  SessionListInput,
  SessionPatch,
  SessionRow,
} from './types.js';

export type Frame = Record<string, unknown>;

/** A frame from the gateway, sorted into what the client does with it. */
export type Inbound =
  | { kind: 'response'; id: string; ok: true; result: unknown }
  | { kind: 'response'; id: string; ok: false; error: GatewayError }
  | { kind: 'event'; event: string; payload: unknown; seq: number | undefined };

/** One chat event of one run, in dialect-neutral terms. */
export interface RunUpdate {
  runId: string;
  /** The run's session, when the gateway says (OpenClaw). */
  sessionKey?: string;
  /** `activity`: the run is alive (a tool step, a status, lifecycle) but its text did not change. */
  kind: 'delta' | 'final' | 'error' | 'aborted' | 'activity';
  /** A final that hands the turn to sub-agents (OpenClaw 2026.9): the answer comes from a successor run. */
  yielded?: boolean;
  /** The full text so far, when the gateway sent a snapshot. */
  text?: string;
  /** The increment, when the gateway sent one. */
  deltaText?: string;
  /** `deltaText` replaces the text instead of extending it. */
  replace?: boolean;
  errorMessage?: string;
  /** The gateway's per-run sequence number, when it has one. */
  runSeq?: number;
  /**
   * `activity`: what the run did, when it is progress worth showing (a tool step, a plan, a retry, …). Also on a
   * `delta` whose event says more than text (2026.2's assistant stream: its text and the `mediaUrls` of its files).
   */
  activity?: RunActivity;
  /** `activity`: the run's output tokens so far, as the gateway counts them (OpenClaw 2026.9 `usage`). */
  reportedOutputTokens?: number;
  /** `activity`: files the reply names besides `activity` (2026.9's lifecycle end: its reply's `MEDIA:` lines). */
  mediaUrls?: string[];
}

export interface HandshakeContext {
  socket: FrameSocket;
  token: string | undefined;
  /** A frame `auto` detection already read from this socket. */
  firstFrame: Frame | undefined;
  timeoutMs: number;
  clientVersion: string;
  device: () => DeviceIdentity;
  logger: Logger;
  /** Ask only for the scopes an older pairing granted: the gateway refused the upgrade on the last try (OpenClaw). */
  reducedScopes?: boolean;
}

export type Rpc = (method: string, params: Frame) => Promise<unknown>;

/** A session's history, and what the gateway says of the session's runs in flight (2026.9), when it says. */
export interface SessionHistory {
  messages: HistoryMessage[];
  active?: { runIds: string[] | undefined; any: boolean };
}

/** Everything that differs between the card and OpenClaw, behind one interface. */
export interface Dialect {
  readonly name: DialectName;
  connectUrl(base: string, token: string | undefined): string;
  handshake(context: HandshakeContext): Promise<GatewayInfo>;
  /** Whether a refused handshake may be tried once more on a new socket with `reducedScopes`. */
  retryWithFewerScopes?(error: unknown): boolean;
  encode(frame: Frame): string | Buffer;
  requestFrame(id: string, method: string, params: Frame): Frame;
  classify(frame: Frame): Inbound | undefined;
  runUpdate(event: string, payload: unknown, info: GatewayInfo): RunUpdate | undefined;
  /** A session key in clawcord's namespace, following the gateway's conventions. */
  sessionKey(agentId: string, scope: string): string;
  /** How a dead socket is noticed: OpenClaw ticks, the card is pinged. */
  readonly liveness: 'tick' | 'ping';

  /** The chat.send params (member text never acts as a gateway command) and, when known before the answer, the run id. */
  prepareChatSend(input: ChatSendInput, info: GatewayInfo): { params: Frame; runId?: string };
  chatSendRunId(result: unknown): string | undefined;
  /** Stops a run (`runId`) or the session's runs; `handedOff`: the run waits for sub-agents, which should stop too. */
  chatAbort(rpc: Rpc, sessionKey: string, runId: string | undefined, info: GatewayInfo, options?: { handedOff?: boolean }): Promise<AbortResult>;
  /**
   * Cancels what the session still runs outside its turn (commands moved to the background, sub-agents); returns how
   * many. Only where the gateway can (2026.9 tasks).
   */
  cancelSessionTasks?(rpc: Rpc, sessionKey: string, info: GatewayInfo): Promise<number>;
  /**
   * The chat.send params that put a message into the session's running turn, where the gateway can
   * (`info.features.steer`), and the run id the gateway gives that send.
   */
  prepareSteer?(input: { sessionKey: string; message: string }, info: GatewayInfo): { params: Frame; runId: string };
  /** The session's last `limit` messages, their texts whole where the gateway allows it. */
  chatHistory(rpc: Rpc, sessionKey: string, limit: number, info: GatewayInfo): Promise<SessionHistory>;
  /** One session's row, read as cheaply as the gateway allows (no title or preview); undefined if there is none. */
  sessionRow(rpc: Rpc, key: string, info: GatewayInfo): Promise<SessionRow | undefined>;
  modelsList(rpc: Rpc, info: GatewayInfo): Promise<ModelInfo[]>;
  agentsList(rpc: Rpc): Promise<AgentList>;
  sessionsList(rpc: Rpc, input: SessionListInput): Promise<SessionRow[]>;
  sessionsPatch(rpc: Rpc, key: string, patch: SessionPatch): Promise<PatchResult>;
  sessionsReset(rpc: Rpc, key: string, reason: string | undefined): Promise<void>;
  status(rpc: Rpc, info: GatewayInfo): Promise<GatewayStatus>;
  /**
   * Whether a run's final may lack the `MEDIA:` lines of its reply, and their files, that the run's history row keeps
   * (2026.2), so the final is completed from the history.
   */
  mediaInHistory?(info: GatewayInfo): boolean;
  /** The files the agent produced in the run, from every run id the turn went under (`runIds`). */
  producedFiles(context: ProducedFilesContext, input: ProducedFilesInput): Promise<ProducedFile[]>;
}

/** What listing and fetching a run's produced files needs besides requests. */
export interface ProducedFilesContext {
  rpc: Rpc;
  info: GatewayInfo;
  /** The run ids the turn went under, in order (a yielded turn's successor, a resumed run); `input.runId` among them. */
  runIds: string[];
  /** GETs a path on the gateway's HTTP origin, refusing more than `maxBytes`; errors name the file as `what`, never the url. */
  download: (pathAndQuery: string, maxBytes: number, what: string) => Promise<Buffer>;
}

/** Waits for the next frame on a socket during a handshake. */
export function nextFrame(socket: FrameSocket, timeoutMs: number, what: string): Promise<Frame> {
  const buffered = socket.shift();
  if (buffered) return Promise.resolve(buffered);
  if (socket.closeInfo) return Promise.reject(new HandshakeClosedError(socket.closeInfo.code, socket.closeInfo.reason, what));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new DisconnectedError(`no ${what} from the gateway within ${timeoutMs} ms`));
    }, timeoutMs);
    const onFrame = (frame: Frame) => {
      cleanup();
      resolve(frame);
    };
    const onClose = (code: number, reason: string) => {
      cleanup();
      reject(new HandshakeClosedError(code, reason, what));
    };
    const cleanup = () => {
      clearTimeout(timer);
      socket.off('frame', onFrame);
      socket.off('close', onClose);
    };
    socket.on('frame', onFrame);
    socket.on('close', onClose);
  });
}

/** The gateway closed the socket during the handshake; its close code and reason often say why. */
export class HandshakeClosedError extends DisconnectedError {
  constructor(
    readonly closeCode: number,
    readonly closeReason: string,
    what: string,
  ) {
    super(`the gateway closed the connection (${closeCode}${closeReason ? ` ${closeReason}` : ''}) before ${what}`);
  }
}

/** chat.send answers `{runId}` in both dialects. */
export function runIdOf(result: unknown): string | undefined {
  return asString(asObject(result).runId);
}

/** chat.abort takes `{sessionKey, runId}` and answers `{aborted}` in both dialects. */
export async function abortRun(rpc: Rpc, sessionKey: string, runId: string | undefined): Promise<AbortResult> {
  const result = asObject(await rpc('chat.abort', compact({ sessionKey, runId })));
  return { aborted: result.aborted === true };
}
