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
  /** What the granted scopes and caps allow beyond chat. */
  features: GatewayFeatures;
}

export type ThinkingLevel = 'off' | 'minimal' | 'low' | 'medium' | 'high';

export interface ChatSendInput {
  sessionKey: string;
  message: string;
  thinking?: ThinkingLevel;
  timeoutMs?: number;
  /** Files that go with the message, already fetched and within the gateway's `features.attachments`. */
  attachments?: ChatAttachment[];
}

export interface ModelInfo {
  /** Always `provider/id`, the form `sessions.patch` takes. */
  ref: string;
  provider: string;
  id: string;
  name: string;
  contextWindow: number | undefined;
  reasoning: boolean | undefined;
  /** What the model takes in (`text`, `image`), when the gateway says (OpenClaw `models.list` rows). */
  input?: string[] | undefined;
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
  /** The session's token counts so far, when the gateway reports them (`sessions.list` rows). */
  tokens?: { input: number | undefined; output: number | undefined; total: number | undefined } | undefined;
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
  /** The run stopped, or (added by H-G) a command it left running in the background was. */
  aborted: boolean;
  /** (added by H-G) Commands and sub-agents of the session still at work that the stop cancelled (2026.9 tasks). */
  cancelledTasks?: number;
}

/** A normalised event of one chat run. `text` is always the full text so far. */
export type RunEvent =
  | { type: 'text'; text: string }
  | { type: 'final'; text: string }
  /** `fromGateway`: the message is the gateway's (a model provider's words, maybe); else this client's own. */
  | { type: 'error'; message: string; text: string; lost?: boolean; fromGateway?: boolean }
  | { type: 'aborted'; text: string }
  /** Something the run did besides text (a tool step, a plan, a retry); never ends the run. */
  | { type: 'activity'; activity: RunActivity };

export type RunOutcome = Exclude<RunEvent, { type: 'text' } | { type: 'activity' }>;

// ---- agents at work: progress, approvals, steering (issue 11) ----

export interface PlanStep {
  step: string;
  status: 'pending' | 'in_progress' | 'completed';
}

/**
 * What a run does besides writing text, normalised across gateways: OpenClaw 2026.9 `item`/`plan`/`usage`/
 * `run_status`/`lifecycle` agent streams, 2026.2 `tool` events (cap `tool-events`). The card sends none.
 */
export type RunActivity =
  /** One tool call, keyed by its `toolCallId` (parallel calls interleave). `title`: the gateway's summary, e.g. "Exec print text". */
  | {
      type: 'tool';
      phase: 'start' | 'update' | 'end';
      toolCallId: string;
      name: string;
      title: string | undefined;
      status: 'running' | 'completed' | 'failed';
      parentToolCallId?: string;
    }
  | { type: 'plan'; steps: PlanStep[] }
  /** The model call is retried (2026.9 `run_status` retrying / chat `status` retry). */
  | { type: 'retry'; attempt: number; maxAttempts: number | undefined; reason: string | undefined }
  /** Output tokens of the current model call so far (2026.9 `usage`); `callIndex` counts the run's model calls. */
  | { type: 'usage'; outputTokens: number; callIndex: number }
  /** The model this run uses (`provider/id`), when the gateway says (2026.9 lifecycle `model`). */
  | { type: 'model'; ref: string }
  /** The run waits for an exec approval, or stopped waiting (2026.9 lifecycle `waiting-approval` / `approval-resolved`). */
  | { type: 'approval'; phase: 'waiting' | 'resolved'; approvalId: string; toolCallId: string | undefined }
  /** The run handed its turn to sub-agents (2026.9 yielded final); `waitingFor`: how many, when the gateway says. */
  | { type: 'handoff'; waitingFor: number | undefined }
  /** The agent named files for its reply (`MEDIA:` lines, which gateways take out of the text: the assistant stream's `mediaUrls`). */
  | { type: 'media'; urls: string[] };

export type ApprovalDecision = 'allow-once' | 'allow-always' | 'deny';

/** An `exec.approval.requested`: a command an agent wants to run, waiting for a person's decision. */
export interface ExecApproval {
  id: string;
  command: string;
  cwd: string | undefined;
  host: string | undefined;
  /** The session whose run asked (both versions). */
  sessionKey: string | undefined;
  /** 2026.9 only: the run and tool call that wait for it. */
  runId: string | undefined;
  toolCallId: string | undefined;
  agentId: string | undefined;
  /** The decisions the gateway accepts for this request (2026.9 `allowedDecisions`). */
  decisions: ApprovalDecision[];
  createdAt: number;
  expiresAt: number;
  /**
   * true (2026.9): the run waits inside the tool call and goes on after the decision. false (2026.2): the turn already
   * ended with "Approval required"; the command runs after approval and its result reaches the agent with the next turn.
   */
  runWaits: boolean;
}

/** An approval was decided (by anyone: clawcord, a Control UI) or expired. */
export interface ApprovalResolution {
  id: string;
  decision: ApprovalDecision | 'expired';
  /** Who resolved it, as the gateway names the client (clawcord's own decisions carry clawcord's display name). */
  resolvedBy: string | undefined;
  at: number;
  sessionKey: string | undefined;
}

/** What this connection can do beyond chat, given the scopes and caps the gateway granted. */
export interface GatewayFeatures {
  /** Tool progress reaches this client (2026.9: always; 2026.2: the `tool-events` cap for runs it starts). */
  toolProgress: boolean;
  /** Exec approvals reach this client and it may resolve them (`operator.approvals` or admin, and on 2026.9 the cap). */
  approvals: boolean;
  /** Pending approvals can be listed again after a reconnect (2026.9 `exec.approval.list`). */
  listApprovals: boolean;
  /** A message can be put into the running turn (2026.9 `chat.send` queueMode steer); else it waits as the next turn. */
  steer: boolean;
  /**
   * A stop also ends the commands the agent moved to the background (2026.9 `tasks.cancel`); 2026.2 offers an operator
   * no way to, so such a command may run on after a stop there.
   */
  stopsBackgroundCommands: boolean;
  /** Scopes clawcord asked for and did not get (a remote device that must re-pair for the upgrade). */
  missingScopes: string[];
  /** What files a prompt may carry (issue 12). */
  attachments: AttachmentLimits;
  /** Files the agent produces can be fetched from the gateway (2026.9 `artifacts.*`); else only their names are known. */
  producedFiles: boolean;
}

/**
 * What a steer did with the message: put it into the running turn, or queued it as the session's next turn.
 * `byGateway` (added by H-G): the gateway took the message and runs it as the session's next turn itself, under a run id
 * of its own that nobody follows (the target run ended first); absent: nothing was sent, the message is still to go.
 */
export type SteerResult = { status: 'steered' } | { status: 'queued'; byGateway?: true };

// ---- files both ways (issue 12) ----

/** A file sent with a prompt, as the gateway takes it. */
export interface ChatAttachment {
  fileName: string;
  /** Read from the bytes (both OpenClaw versions sniff it too; what Discord said is only a hint). */
  mimeType: string;
  /** `image`: a picture for the model; `file`: any other file (2026.9 reads text files into the prompt). */
  kind: 'image' | 'file';
  data: Buffer;
}

/** What files a gateway takes with a prompt, each limit in decoded bytes. */
export interface AttachmentLimits {
  /** Images as chat.send attachments; undefined: none (the card). */
  images: { maxBytes: number } | undefined;
  /** Other files as chat.send attachments; undefined: none (2026.2 drops them without a word; the card has no attachments). */
  files: { maxBytes: number } | undefined;
  /** The largest frame the gateway reads (hello-ok `policy.maxPayload`), when it says. */
  maxPayloadBytes: number | undefined;
}

/** A file an agent produced in a run. */
export interface ProducedFile {
  /** Its name as the reply should show it (`out.png`). */
  name: string;
  mimeType: string | undefined;
  sizeBytes: number | undefined;
  /**
   * Fetches the bytes, refusing (with an error) more than `maxBytes`; undefined when the gateway cannot hand the file
   * over (2026.2 gives clients no way to, the card has no files).
   */
  fetch: ((maxBytes: number) => Promise<Buffer>) | undefined;
  /**
   * The agent named the file and the gateway keeps a run's files (2026.9), but did not list this one within the wait
   * (it lists them some hundreds of ms after the final, and never one it could not store).
   */
  late?: true;
}

export interface ProducedFilesInput {
  sessionKey: string;
  /** Any run id the turn went under (a yielded turn's successor's, or the first): the client knows the others. */
  runId: string;
  /** The `media` activities' urls of the run, in order (the names 2026.2 and the card can only show). */
  mediaUrls: string[];
  /** Where the gateway lists a run's files late (2026.9): how long to keep listing until each named one is there. */
  waitMs?: number;
}
