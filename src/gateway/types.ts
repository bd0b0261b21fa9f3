export type DialectName = 'card' | 'openclaw';
export type ProtocolSetting = DialectName | 'auto';

/** What the handshake told us about the gateway. */
export interface GatewayInfo {
  dialect: DialectName;
  /** OpenClaw protocol (3 or 4); the card's hello version ("1.0") otherwise. */
  protocol: string;
  serverVersion: string | undefined;
  /** Server uptime at connect, if the gateway said. */
  uptimeMs: number | undefined;
  connectedAt: number;
  methods: string[] | undefined;
  scopes: string[] | undefined;
  tickIntervalMs: number | undefined;
  defaultAgentId: string | undefined;
}

export type ThinkingLevel = 'off' | 'minimal' | 'low' | 'medium' | 'high';

export interface ChatSendInput {
  sessionKey: string;
  message: string;
  thinking?: ThinkingLevel;
  timeoutMs?: number;
}

export interface ModelInfo {
  /** Always `provider/id`, the form `sessions.patch` takes. */
  ref: string;
  provider: string;
  id: string;
  name: string;
  contextWindow: number | undefined;
  reasoning: boolean | undefined;
}

export interface AgentInfo {
  id: string;
  name: string;
}

export interface AgentList {
  defaultId: string;
  agents: AgentInfo[];
}

export interface SessionRow {
  key: string;
  title: string | undefined;
  displayName: string | undefined;
  model: string | undefined;
  preview: string | undefined;
  /** Milliseconds since the epoch. */
  updatedAt: number | undefined;
}

export interface SessionListInput {
  limit?: number;
  activeMinutes?: number;
  agentId?: string;
}

export interface HistoryMessage {
  role: string;
  /** Content flattened to text. */
  text: string;
  timestamp: number | undefined;
  /** The run that produced it, when the gateway says (OpenClaw v4). */
  runId: string | undefined;
  aborted: boolean;
  /** Why the model stopped, when the gateway says (OpenClaw: `stop`, `toolUse`, `error`, …). */
  stopReason: string | undefined;
  /** An assistant row that ends its run; a row that calls a tool, or stopped to use one, is a step on the way. */
  endsRun: boolean;
  /**
   * The gateway shortened the text: it is `prefix` plus a marker (or a placeholder, with an empty prefix).
   * The streamed text, when it starts with `prefix`, is the whole of it.
   */
  truncated?: { prefix: string } | undefined;
}

export interface SessionPatch {
  model?: string | null;
  thinkingLevel?: string | null;
  verboseLevel?: string | null;
  reasoningLevel?: string | null;
}

export interface PatchResult {
  key: string;
  /** The model now in effect, `provider/id`, when the gateway says. */
  model: string | undefined;
}

export interface GatewayStatus {
  dialect: DialectName;
  protocol: string;
  version: string | undefined;
  uptimeMs: number | undefined;
  sessions: number | undefined;
  agents: number | undefined;
  ready: boolean;
}

export interface AbortResult {
  aborted: boolean;
}

/** A normalised event of one chat run. `text` is always the full text so far. */
export type RunEvent =
  | { type: 'text'; text: string }
  | { type: 'final'; text: string }
  /** `fromGateway`: the message is the gateway's (a model provider's words, maybe); else this client's own. */
  | { type: 'error'; message: string; text: string; lost?: boolean; fromGateway?: boolean }
  | { type: 'aborted'; text: string };

export type RunOutcome = Exclude<RunEvent, { type: 'text' }>;
