// What a real OpenClaw gateway accepts, per protocol: frame/connect/method key sets, enums, scopes and timings.
// v3 = 2026.2.x, v4 = 2026.9.x (openclaw-protocol.md §1, §2, §4). v4 shapes are v3 shapes plus the v4-only keys.
import {
  any,
  bool,
  extend,
  int,
  nullableStr,
  num,
  obj,
  str,
  strArray,
  type ObjectSchema,
  type Schema,
} from './closed-schema.js';

export type ProtocolVersion = 3 | 4;

export type MethodName =
  | 'chat.send'
  | 'chat.abort'
  | 'chat.history'
  | 'models.list'
  | 'agents.list'
  | 'sessions.list'
  | 'sessions.patch'
  | 'sessions.reset'
  | 'sessions.describe'
  | 'status'
  | 'health'
  | 'exec.approval.resolve'
  | 'exec.approval.list'
  | 'exec.approval.get'
  | 'sessions.abort'
  | 'sessions.send'
  | 'sessions.steer'
  | 'tasks.list'
  | 'tasks.cancel'
  | 'artifacts.list'
  | 'artifacts.get'
  | 'artifacts.download';

export const READ = 'operator.read';
export const WRITE = 'operator.write';
export const ADMIN = 'operator.admin';
export const APPROVALS = 'operator.approvals';

export interface ProtocolTable {
  protocol: ProtocolVersion;
  defaultVersion: string;
  requestFrame: ObjectSchema;
  connectParams: ObjectSchema;
  /** The methods this version has, with their params; any other method is unknown here. */
  methodParams: Partial<Record<MethodName, ObjectSchema>>;
  /** Scope a call needs; unknown methods need admin. */
  requiredScope(method: string, params: Record<string, unknown>): string;
  signedAtSkewMs: number;
  /** v4 also accepts the `v3|…|platform|deviceFamily` device payload. */
  acceptsV3DevicePayload: boolean;
  deltaPacingMs: number;
  /** v3 drops deltas inside the pacing window and never flushes the last one. */
  flushesDeltas: boolean;
  handshakeTimeoutMs: number;
  /** v4 reports missing scopes as FORBIDDEN with details; v3 as INVALID_REQUEST. */
  missingScopeCode: 'FORBIDDEN' | 'INVALID_REQUEST';
}

// The exact v3 subset is not in the reference; this one keeps the ids it names (gateway-client, cli, webchat).
const CLIENT_IDS_V3 = [
  'webchat-ui',
  'openclaw-control-ui',
  'webchat',
  'cli',
  'gateway-client',
  'openclaw-macos',
  'openclaw-ios',
  'openclaw-android',
  'node-host',
  'test',
  'fingerprint',
  'openclaw-probe',
] as const;
const CLIENT_IDS_V4 = [
  'webchat-ui',
  'openclaw-control-ui',
  'openclaw-browser-copilot',
  'openclaw-tui',
  'webchat',
  'cli',
  'gateway-client',
  'openclaw-macos',
  'openclaw-linux',
  'openclaw-ios',
  'openclaw-watchos',
  'openclaw-android',
  'node-host',
  'openclaw-worker',
  'test',
  'fingerprint',
  'openclaw-probe',
] as const;
const MODES_V3 = ['webchat', 'cli', 'ui', 'backend', 'node', 'probe', 'test'] as const;
const MODES_V4 = [...MODES_V3, 'worker'] as const;

// ---- frames and connect -------------------------------------------------------------------------------------------

const requestFrameV3 = obj(
  { type: str({ enum: ['req'] }), id: str({ minLength: 1 }), method: str({ minLength: 1 }), params: any },
  ['type', 'id', 'method'],
);
const requestFrameV4 = extend(requestFrameV3, { traceparent: str({ maxLength: 128 }), expectedProfileId: str() });

const clientV3 = obj(
  {
    id: str({ enum: CLIENT_IDS_V3 }),
    version: str(),
    platform: str(),
    mode: str({ enum: MODES_V3 }),
    displayName: str(),
    deviceFamily: str(),
    modelIdentifier: str(),
    instanceId: str(),
  },
  ['id', 'version', 'platform', 'mode'],
);
const clientV4 = extend(
  { ...clientV3, properties: { ...clientV3.properties, id: str({ enum: CLIENT_IDS_V4 }), mode: str({ enum: MODES_V4 }) } },
  { buildId: str(), timeZone: str() },
);

const authV3 = obj({ token: str(), password: str() });
const authV4 = extend(authV3, {
  bootstrapToken: str(),
  deviceToken: str(),
  approvalRuntimeToken: str(),
  agentRuntimeIdentityToken: str(),
});

const deviceV3 = obj(
  { id: str({ minLength: 1 }), publicKey: str({ minLength: 1 }), signature: str({ minLength: 1 }), signedAt: int(0), nonce: str() },
  ['id', 'publicKey', 'signature', 'signedAt'],
);
const deviceV4 = { ...deviceV3, required: [...(deviceV3.required ?? []), 'nonce'] };

const connectCommon = {
  minProtocol: int(1),
  maxProtocol: int(1),
  scopes: strArray,
  caps: strArray,
  commands: strArray,
  permissions: { type: 'object', properties: {}, open: true } as ObjectSchema,
  pathEnv: str(),
  locale: str(),
  userAgent: str(),
};
const connectV3 = obj(
  { ...connectCommon, client: clientV3, role: str({ enum: ['operator', 'node'] }), auth: authV3, device: deviceV3 },
  ['minProtocol', 'maxProtocol', 'client'],
);
const connectV4 = obj(
  {
    ...connectCommon,
    client: clientV4,
    role: str({ enum: ['operator', 'node', 'worker'] }),
    auth: authV4,
    device: deviceV4,
    modelCatalog: any,
    computerUse: any,
    workerRuns: any,
  },
  ['minProtocol', 'maxProtocol', 'client'],
);

// ---- method params ------------------------------------------------------------------------------------------------

// v3 client schema ChatSendParamsSchema: sessionKey is only non-empty; v4 caps it at 512 (ChatSendSessionKeyString).
const chatSendV3 = obj(
  {
    sessionKey: str({ minLength: 1 }),
    message: str(),
    thinking: str(),
    deliver: bool,
    attachments: { type: 'array' },
    timeoutMs: int(0),
    idempotencyKey: str({ minLength: 1 }),
  },
  ['sessionKey', 'message', 'idempotencyKey'],
);
// ChatAttachmentSchema (2026.9.6 logs-chat.ts): open, its known keys typed; v3 takes `Array<unknown>`.
const chatAttachmentsV4: Schema = {
  type: 'array',
  items: {
    type: 'object',
    properties: {
      type: str(),
      mimeType: str(),
      fileName: str(),
      origin: str({ enum: ['paste', 'file'] }),
      content: any,
      sizeBytes: num,
      durationMs: num,
      width: num,
      height: num,
    },
    open: true,
  },
};
// packages/gateway-protocol/src/schema/logs-chat.ts ChatSendParamsSchema (2026.9.6).
const chatSendV4 = extend(chatSendV3, {
  sessionKey: str({ minLength: 1, maxLength: 512 }),
  attachments: chatAttachmentsV4,
  agentId: str({ minLength: 1 }),
  sessionId: str({ minLength: 1 }),
  mentions: { type: 'array' },
  workContext: any,
  intent: any,
  fastMode: any,
  fastAutoOnSeconds: int(1),
  queueMode: str({ enum: ['steer', 'followup', 'collect', 'interrupt'] }),
  originatingChannel: str(),
  originatingTo: str(),
  originatingAccountId: str(),
  originatingThreadId: str(),
  replyToId: str({ minLength: 1 }),
  toolBindings: any,
  systemInputProvenance: any,
  systemProvenanceReceipt: str(),
  suppressCommandInterpretation: bool,
  expectedLeafEntryId: { type: 'string', minLength: 1, nullable: true },
  expectedSessionRoutingContract: str({ minLength: 1 }),
  expectedPermissionMode: any,
  expectedToolOverrides: any,
});

const chatAbortV3 = obj({ sessionKey: str({ minLength: 1 }), runId: str() }, ['sessionKey']);
const chatAbortV4 = extend(chatAbortV3, { agentId: str(), preserveSideRuns: bool });

const chatHistoryV3 = obj({ sessionKey: str({ minLength: 1 }), limit: int(1, 1000) }, ['sessionKey']);
// ChatHistoryParamsSchema (2026.9.6 sessions-*.mjs): maxChars 1..500000, maxBytes ≥ 1024.
const chatHistoryV4 = extend(chatHistoryV3, {
  agentId: str({ minLength: 1 }),
  cursor: str(),
  offset: int(0),
  maxBytes: int(1024),
  pendingBefore: int(1),
  inputRunIds: { type: 'array', items: str({ minLength: 1, maxLength: 256 }) },
  maxChars: int(1, 500_000),
  messageId: str({ minLength: 1 }),
  sessionId: str({ minLength: 1 }),
});

const modelsListV3 = obj({});
const modelsListV4 = obj({
  agentId: str(),
  sessionKey: str(),
  provider: str(),
  // real ModelsListParamsSchema (packages/gateway-protocol): the details switch adds `input` to the rows
  includeDetails: bool,
  view: str({ enum: ['default', 'configured', 'provider-config', 'all'] }),
});

const sessionsListV3 = obj({
  limit: int(1),
  activeMinutes: int(1),
  includeGlobal: bool,
  includeUnknown: bool,
  includeDerivedTitles: bool,
  includeLastMessage: bool,
  label: str(),
  spawnedBy: str(),
  agentId: str(),
  search: str(),
});
// SessionsListParamsSchema (2026.9.6 src-*.mjs); object-valued filters are not checked in depth here.
const sessionsListV4 = extend(sessionsListV3, {
  offset: int(0),
  activeOnly: bool,
  requireLastInteraction: bool,
  sortBy: str({ enum: ['updatedAt', 'lastInteractionAt', 'activity'] }),
  excludeSubagents: bool,
  excludeCron: bool,
  excludeSystem: bool,
  configuredAgentsOnly: bool,
  includeActivitySummary: bool,
  projectId: str({ minLength: 1 }),
  workspaceDir: str({ minLength: 1 }),
  group: str(),
  archived: any,
  pinned: bool,
  boardFace: str({ enum: ['chat', 'dashboard'] }),
  hasBoard: bool,
  creatorId: str({ minLength: 1 }),
  ownerId: str({ minLength: 1 }),
  ownerFirst: bool,
  involvingMe: bool,
  profileRelation: any,
  involvingProfileId: str({ minLength: 1 }),
  includePeople: bool,
});

const sessionsPatchV3 = obj(
  {
    key: str({ minLength: 1 }),
    label: nullableStr,
    thinkingLevel: nullableStr,
    verboseLevel: nullableStr,
    reasoningLevel: nullableStr,
    model: nullableStr,
    responseUsage: nullableStr,
    elevatedLevel: nullableStr,
    sendPolicy: nullableStr,
    groupActivation: nullableStr,
  },
  ['key'],
);
const sessionsPatchV4 = extend(sessionsPatchV3, {
  agentId: str(),
  traceLevel: nullableStr,
  fastMode: { type: 'boolean', nullable: true },
  contextWindow: { type: 'integer', minimum: 1, nullable: true },
  archived: bool,
  pinned: bool,
});

// SessionsDescribeParamsSchema (2026.9.6 sessions-*.mjs); v3 has no sessions.describe.
const sessionsDescribeV4 = obj(
  { key: str({ minLength: 1 }), agentId: str({ minLength: 1 }), includeDerivedTitles: bool, includeLastMessage: bool },
  ['key'],
);

const sessionsResetV3 = obj({ key: str({ minLength: 1 }), reason: str({ enum: ['new', 'reset'] }) }, ['key']);
const sessionsResetV4 = extend(sessionsResetV3, { agentId: str(), expectedSessionId: str() });

// exec approvals (§3.3): v4 ExecApprovalResolveParamsSchema / ExecApprovalGetParamsSchema (src-*.mjs); v3 {id, decision}.
const approvalResolveV3 = obj({ id: str({ minLength: 1 }), decision: str({ minLength: 1 }) }, ['id', 'decision']);
const approvalResolveV4 = extend(approvalResolveV3, { reviewer: any, grantExpiresInDays: int(1, 3650) });
// exec.approval.list validates no params (exec-approval.ts).
const approvalListV4: ObjectSchema = { type: 'object', properties: {}, open: true };
const approvalGetV4 = obj({ id: str({ minLength: 1 }) }, ['id']);

// F-findings STOP / STEER: SessionsAbortParamsSchema and SessionsSendParamsSchema (sessions-*.mjs), both closed.
const sessionsAbortV4 = obj({ key: str({ minLength: 1 }), runId: str({ minLength: 1 }), agentId: str({ minLength: 1 }), clearQueued: bool });
const sessionsSendV4 = obj(
  {
    key: str({ minLength: 1 }),
    agentId: str({ minLength: 1 }),
    message: str(),
    mentions: { type: 'array' },
    thinking: str(),
    attachments: chatAttachmentsV4,
    timeoutMs: int(0),
    idempotencyKey: str({ minLength: 1 }),
  },
  ['key', 'message'],
);

// F-findings STOP: TasksListParamsSchema / TasksCancelParamsSchema (src-*.mjs), closed; v4 only.
const tasksListV4 = obj({
  status: any,
  agentId: str({ minLength: 1 }),
  sessionKey: str({ minLength: 1 }),
  limit: int(1, 500),
  cursor: str({ maxLength: 512 }),
  sortBy: str({ enum: ['updatedAt', 'endedAt'] }),
});
const tasksCancelV4 = obj({ taskId: str({ minLength: 1 }), reason: str() }, ['taskId']);

// packages/gateway-protocol/src/schema/artifacts.ts (2026.9.6), all closed; v4 only.
const artifactQuery = {
  sessionKey: str({ minLength: 1 }),
  runId: str({ minLength: 1 }),
  taskId: str({ minLength: 1 }),
  agentId: str({ minLength: 1 }),
  messageRole: str({ enum: ['assistant'] }),
};
const artifactsListV4 = obj({ ...artifactQuery, type: str({ enum: ['image'] }), limit: int(1, 4), cursor: str({ minLength: 1, maxLength: 256 }) });
const artifactsGetV4 = obj({ ...artifactQuery, artifactId: str({ minLength: 1 }) }, ['artifactId']);
const artifactsDownloadV4 = obj({ ...artifactQuery, artifactId: str({ minLength: 1 }), transport: str({ enum: ['http'] }) }, ['artifactId']);

// ---- scopes -------------------------------------------------------------------------------------------------------

const BASE_SCOPES: Record<MethodName, string> = {
  'chat.send': WRITE,
  'chat.abort': WRITE,
  'chat.history': READ,
  'models.list': READ,
  'agents.list': READ,
  'sessions.list': READ,
  'sessions.patch': ADMIN,
  'sessions.reset': ADMIN,
  'sessions.describe': READ,
  status: READ,
  health: READ,
  'exec.approval.resolve': APPROVALS,
  'exec.approval.list': APPROVALS,
  'exec.approval.get': APPROVALS,
  'sessions.abort': WRITE,
  'sessions.send': WRITE,
  'sessions.steer': WRITE,
  'tasks.list': READ,
  'tasks.cancel': WRITE,
  'artifacts.list': READ,
  'artifacts.get': READ,
  'artifacts.download': READ,
};

// v4 method-scopes: `sessions.steer` is `advertise:false` ("Deprecated alias for chat.send queueMode interrupt").
const UNADVERTISED: readonly MethodName[] = ['sessions.steer'];

// v4 sessions.patch needs only write unless it touches one of these.
const PATCH_ADMIN_KEYS = ['verboseLevel', 'reasoningLevel', 'traceLevel', 'elevatedLevel'];

export function isKnownMethod(method: string): method is MethodName {
  return method in BASE_SCOPES;
}

/** Whether `table`'s version has `method`. */
export function hasMethod(table: ProtocolTable, method: string): method is MethodName {
  return isKnownMethod(method) && table.methodParams[method] !== undefined;
}

export const PROTOCOL_TABLES: Record<ProtocolVersion, ProtocolTable> = {
  3: {
    protocol: 3,
    defaultVersion: '2026.2.17',
    requestFrame: requestFrameV3,
    connectParams: connectV3,
    methodParams: {
      'chat.send': chatSendV3,
      'chat.abort': chatAbortV3,
      'chat.history': chatHistoryV3,
      'models.list': modelsListV3,
      'agents.list': obj({}),
      'sessions.list': sessionsListV3,
      'sessions.patch': sessionsPatchV3,
      'sessions.reset': sessionsResetV3,
      status: obj({}),
      health: obj({ probe: bool }),
      'exec.approval.resolve': approvalResolveV3,
    },
    // A method v3 does not have is unknown there, and unknown methods need admin.
    requiredScope: (method) => (isKnownMethod(method) && PROTOCOL_TABLES[3].methodParams[method] !== undefined ? BASE_SCOPES[method] : ADMIN),
    signedAtSkewMs: 600_000,
    acceptsV3DevicePayload: false,
    deltaPacingMs: 150,
    flushesDeltas: false,
    handshakeTimeoutMs: 10_000,
    missingScopeCode: 'INVALID_REQUEST',
  },
  4: {
    protocol: 4,
    defaultVersion: '2026.9.6',
    requestFrame: requestFrameV4,
    connectParams: connectV4,
    methodParams: {
      'chat.send': chatSendV4,
      'chat.abort': chatAbortV4,
      'chat.history': chatHistoryV4,
      'models.list': modelsListV4,
      'agents.list': obj({}),
      'sessions.list': sessionsListV4,
      'sessions.patch': sessionsPatchV4,
      'sessions.reset': sessionsResetV4,
      'sessions.describe': sessionsDescribeV4,
      status: obj({}),
      health: obj({ probe: bool }),
      'exec.approval.resolve': approvalResolveV4,
      'exec.approval.list': approvalListV4,
      'exec.approval.get': approvalGetV4,
      'sessions.abort': sessionsAbortV4,
      'sessions.send': sessionsSendV4,
      'sessions.steer': sessionsSendV4,
      'tasks.list': tasksListV4,
      'tasks.cancel': tasksCancelV4,
      'artifacts.list': artifactsListV4,
      'artifacts.get': artifactsGetV4,
      'artifacts.download': artifactsDownloadV4,
    },
    requiredScope: (method, params) => {
      if (!isKnownMethod(method)) return ADMIN;
      if (method === 'sessions.patch') return PATCH_ADMIN_KEYS.some((k) => k in params) ? ADMIN : WRITE;
      return BASE_SCOPES[method];
    },
    signedAtSkewMs: 120_000,
    acceptsV3DevicePayload: true,
    deltaPacingMs: 75,
    flushesDeltas: true,
    handshakeTimeoutMs: 15_000,
    missingScopeCode: 'FORBIDDEN',
  },
};

export const METHOD_NAMES = Object.keys(BASE_SCOPES) as MethodName[];

/** hello-ok `features.methods` of a version. */
export function methodNames(table: ProtocolTable): MethodName[] {
  return METHOD_NAMES.filter((m) => table.methodParams[m] !== undefined && !UNADVERTISED.includes(m));
}

export const GATEWAY_EVENTS = [
  'connect.challenge',
  'agent',
  'chat',
  'session.message',
  'sessions.changed',
  'presence',
  'tick',
  'shutdown',
  'health',
  'heartbeat',
  'cron',
  'exec.approval.requested',
  'exec.approval.resolved',
];

/** v4 also lists these (progressCard.changed, task: openclaw-agent-events.md §2.2; F-findings SUB-AGENTS). */
export const GATEWAY_EVENTS_V4_ONLY = ['progressCard.changed', 'task'];

/** `operator.admin` satisfies everything; `operator.write` also satisfies read. */
export function hasScope(granted: readonly string[], needed: string): boolean {
  return granted.includes(ADMIN) || granted.includes(needed) || (needed === READ && granted.includes(WRITE));
}
