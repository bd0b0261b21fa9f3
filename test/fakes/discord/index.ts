// A fake Discord (REST v10 + Gateway) on 127.0.0.1 that an unmodified discord.js client logs into.
//
//   const fake = await startFakeDiscord();
//   const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: fake.restBase, timeout: 2000 } });
//   await client.login(fake.token);
//   const { token } = fake.sendChatInput({ name: 'ask', options: { prompt: 'hi' } });
//   ...
//   await client.destroy();
//   await fake.close();
import { AttachmentCdn, DEFAULT_ATTACHMENT_SIZE_LIMIT, publicAttachment } from './attachments.js';
import { CdnServers } from './cdn-server.js';
import { applicationFlags, FakeContext, type ResolvedOptions } from './context.js';
import { Drivers, type Waiter } from './drivers.js';
import { Overrides } from './faults.js';
import { Gateway } from './gateway.js';
import { FakeHttpServer } from './http-server.js';
import { guildCreateObject, messageObject, userObject } from './objects.js';
import { RateLimiter, resolveRateLimits } from './ratelimits.js';
import { RequestLog } from './recorder.js';
import { commandRoutes } from './routes/commands.js';
import { channelRoutes } from './routes/channels.js';
import { interactionRoutes } from './routes/interactions.js';
import { miscRoutes } from './routes/misc.js';
import { snowflake } from './snowflake.js';
import { SpecChecker } from './spec-check.js';
import { DEFAULT_BOT_PERMISSIONS, MessageFlags, Store, type StoredInteraction, type StoredMessage } from './store.js';
import type {
  AddAttachmentOptions,
  AttachmentInfo,
  AttachmentSpec,
  AutocompleteChoice,
  AutocompleteOptions,
  CdnRequest,
  ChatInputOptions,
  CommandRecord,
  ComponentOptions,
  FakeDiscord,
  FakeDiscordOptions,
  FakeGatewayControl,
  FakeStats,
  FakeUserSpec,
  InteractionView,
  IssuedSecrets,
  MessageQuery,
  ModalSubmitOptions,
  OverrideHandle,
  OverrideSpec,
  RecordedMessage,
  RecordedSpecViolation,
  RequestRecord,
  SelectOptions,
  SentInteraction,
  ThreadState,
  UserMessageOptions,
} from './types.js';

export type * from './types.js';
export { DEFAULT_RATE_LIMITS } from './ratelimits.js';

const DEFAULT_TIMEOUT_MS = 5000;

const startListeners = new Set<(fake: FakeDiscord) => void>();

/**
 * Calls `listener` with every fake Discord started from now on in this process (test harnesses use it to check each
 * fake's spec violations after a test). Returns a function that removes the listener.
 */
export function onFakeDiscordStarted(listener: (fake: FakeDiscord) => void): () => void {
  startListeners.add(listener);
  return () => startListeners.delete(listener);
}

function recordedMessage(store: Store, m: StoredMessage): RecordedMessage {
  const reactions: Record<string, string[]> = {};
  for (const [emoji, users] of m.reactions) if (users.size > 0) reactions[emoji] = [...users];
  return {
    id: m.id,
    channelId: m.channelId,
    guildId: m.guildId,
    authorId: m.authorId,
    byBot: m.byBot,
    source: m.source,
    type: m.type,
    ephemeral: (m.flags & MessageFlags.Ephemeral) !== 0,
    deleted: m.deleted,
    deletedAt: m.deletedAt,
    createdAt: m.createdAt,
    editedAt: m.editedAt,
    interactionId: m.interaction?.id ?? null,
    interactionToken: m.interactionToken,
    content: m.content,
    embeds: m.embeds,
    components: m.components,
    flags: m.flags,
    attachments: m.attachments.map((a) => publicAttachment(store.cdn.fresh(a))),
    threadId: m.threadId,
    replyTo: m.replyTo,
    reactions,
    versions: m.versions.map((v) => ({ ...v })),
    api: messageObject(store, m),
  };
}

function interactionView(store: Store, i: StoredInteraction): InteractionView {
  const original = i.originalMessageId ? store.message(i.originalMessageId) : undefined;
  return {
    id: i.id,
    token: i.token,
    type: i.type,
    channelId: i.channelId,
    guildId: i.guildId,
    userId: i.userId,
    dispatchedAt: i.dispatchedAt,
    payload: i.payload,
    callbacks: i.callbacks.map((c) => ({ ...c })),
    ackLatencyMs: i.ackedAt === null ? null : i.ackedAt - i.dispatchedAt,
    ackType: i.ackType,
    original: original ? recordedMessage(store, original) : undefined,
    edits: original ? original.versions.filter((v) => v.kind === 'edit' && v.interactionToken === i.token).map((v) => ({ ...v })) : [],
    followUps: i.followUpIds
      .map((id) => store.message(id))
      .filter((m): m is StoredMessage => m !== undefined)
      .map((m) => recordedMessage(store, m)),
    choices: i.choices ? (i.choices.map((c) => ({ ...c })) as unknown as AutocompleteChoice[]) : null,
    modal: i.modal,
  };
}

class FakeDiscordServer implements FakeDiscord {
  readonly restBase: string;
  readonly apiBase: string;
  readonly gatewayUrl: string;
  readonly cdnBase: string;
  readonly mediaBase: string;
  readonly token: string;
  readonly botUserId: string;
  readonly applicationId: string;
  readonly guildId: string;
  readonly defaultUserId: string;
  private closed = false;

  constructor(
    readonly port: number,
    private readonly store: Store,
    private readonly ctx: FakeContext,
    private readonly gw: Gateway,
    private readonly http: FakeHttpServer,
    private readonly log: RequestLog,
    private readonly overrides: Overrides,
    private readonly spec: SpecChecker,
    private readonly drivers: Drivers,
    private readonly waiter: Waiter,
    private readonly cdnServers: CdnServers,
  ) {
    this.restBase = `${ctx.httpBase}/api`;
    this.apiBase = `${ctx.httpBase}/api/v10`;
    this.gatewayUrl = ctx.gatewayUrl;
    this.cdnBase = store.cdn.cdnBase;
    this.mediaBase = store.cdn.mediaBase;
    this.token = ctx.options.token;
    this.botUserId = store.botUserId;
    this.applicationId = store.applicationId;
    this.guildId = store.guilds.keys().next().value!;
    this.defaultUserId = drivers.defaultUser.id;
  }

  channelId(name: string, guildId: string = this.guildId): string {
    const found = this.store.guildChannels(guildId).find((c) => c.name === name);
    if (!found) throw new Error(`fake-discord: no channel named '${name}' in guild ${guildId}`);
    return found.id;
  }

  addUser(spec: FakeUserSpec): string {
    return this.store.upsertUser(spec).id;
  }

  botRoleId(guildId: string = this.guildId): string {
    const role = this.store.botRole(guildId);
    if (!role) throw new Error(`fake-discord: no bot role in guild ${guildId}`);
    return role.id;
  }

  setThreadState(threadId: string, state: ThreadState): void {
    const thread = this.store.channel(threadId);
    if (!thread?.thread) throw new Error(`fake-discord: ${threadId} is not a thread`);
    if (state.archived !== undefined && state.archived !== thread.thread.archived) {
      thread.thread.archived = state.archived;
      thread.thread.archiveTimestamp = this.ctx.now();
    }
    if (state.locked !== undefined) thread.thread.locked = state.locked;
    this.ctx.emitChannelUpdate(thread);
    this.store.changed();
  }

  setBotCanView(channelId: string, canView: boolean): void {
    const channel = this.store.channel(channelId);
    if (!channel) throw new Error(`fake-discord: unknown channel ${channelId}`);
    channel.botCanView = canView;
  }

  advanceClock(ms: number): void {
    if (!(ms >= 0)) throw new Error('fake-discord: the clock only moves forward');
    this.ctx.clockOffsetMs += ms;
  }

  issuedSecrets(): IssuedSecrets {
    return { botToken: this.token, interactionTokens: [...this.store.interactions.values()].map((i) => i.token) };
  }

  // --- files ---------------------------------------------------------------------------------------------------

  addAttachment(spec: AttachmentSpec, opts: AddAttachmentOptions = {}): AttachmentInfo {
    const channelId = opts.channelId ?? this.store.defaultChannel().id;
    return publicAttachment(this.store.cdn.add(spec, channelId, opts.ephemeral ?? true));
  }

  attachmentBytes(idOrUrl: string): Buffer | undefined {
    return this.store.cdn.bytes(idOrUrl);
  }

  get cdnRequests(): readonly CdnRequest[] {
    return this.cdnServers.log;
  }

  // --- recording -----------------------------------------------------------------------------------------------

  get requests(): readonly RequestRecord[] {
    return this.log.entries;
  }

  waitForRequest(predicate: (r: RequestRecord) => boolean, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<RequestRecord> {
    return this.log.waitFor(predicate, timeoutMs);
  }

  clearRequests(): void {
    this.log.clear();
  }

  stats(): FakeStats {
    return this.log.stats();
  }

  resetStats(): void {
    this.log.resetStats();
  }

  override(spec: OverrideSpec): OverrideHandle {
    return this.overrides.add(spec);
  }

  clearOverrides(): void {
    this.overrides.clear();
  }

  specViolations(): RecordedSpecViolation[] {
    return this.spec.violations();
  }

  takeSpecViolations(): RecordedSpecViolation[] {
    return this.spec.take();
  }

  // --- store ---------------------------------------------------------------------------------------------------

  messages(channelId?: string, query: MessageQuery = {}): RecordedMessage[] {
    return this.store
      .listMessages((m) => (channelId === undefined || m.channelId === channelId) && (m.byBot || query.includeUsers === true))
      .map((m) => recordedMessage(this.store, m));
  }

  visibleMessages(channelId: string): RecordedMessage[] {
    return this.store
      .channelMessages(channelId)
      .filter((m) => !m.deleted)
      .map((m) => recordedMessage(this.store, m));
  }

  message(id: string): RecordedMessage | undefined {
    const m = this.store.message(id);
    return m ? recordedMessage(this.store, m) : undefined;
  }

  interaction(tokenOrId: string): InteractionView | undefined {
    const i = this.store.interactionByToken(tokenOrId) ?? this.store.interactions.get(tokenOrId);
    return i ? interactionView(this.store, i) : undefined;
  }

  interactions(): InteractionView[] {
    return [...this.store.interactions.values()].map((i) => interactionView(this.store, i));
  }

  commands(guildId?: string): CommandRecord[] {
    return [...(this.store.commands.get(guildId ?? 'global')?.values() ?? [])].map((c) => structuredClone(c) as CommandRecord);
  }

  waitFor<T>(check: () => T | undefined | null | false, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<T> {
    return this.waiter(check, timeoutMs, 'the condition');
  }

  // --- gateway -------------------------------------------------------------------------------------------------

  get gateway(): FakeGatewayControl {
    return this.gw;
  }

  waitForReady(timeoutMs = 10_000): Promise<void> {
    return this.gw.waitForReady(timeoutMs);
  }

  dispatch(t: string, d: unknown): number {
    const n = this.gw.dispatch(t, d, { ignoreIntents: true });
    this.store.changed();
    return n;
  }

  // --- drivers -------------------------------------------------------------------------------------------------

  sendChatInput(opts: ChatInputOptions): SentInteraction {
    return this.drivers.sendChatInput(opts);
  }

  sendAutocomplete(opts: AutocompleteOptions): Promise<AutocompleteChoice[]> {
    return this.drivers.sendAutocomplete(opts);
  }

  clickButton(opts: ComponentOptions): SentInteraction {
    return this.drivers.clickButton(opts);
  }

  selectMenu(opts: SelectOptions): SentInteraction {
    return this.drivers.selectMenu(opts);
  }

  submitModal(opts: ModalSubmitOptions): SentInteraction {
    return this.drivers.submitModal(opts);
  }

  sendUserMessage(opts: UserMessageOptions): RecordedMessage {
    return recordedMessage(this.store, this.drivers.sendUserMessage(opts));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.overrides.clear();
    await this.gw.close();
    await this.http.close();
    await this.cdnServers.close();
  }
}

export async function startFakeDiscord(opts: FakeDiscordOptions = {}): Promise<FakeDiscord> {
  const botUserId = opts.botUserId ?? snowflake();
  let clock = (): number => Date.now();
  const cdn = new AttachmentCdn(opts.attachmentSizeLimit ?? DEFAULT_ATTACHMENT_SIZE_LIMIT, () => clock());
  const store = new Store({
    botUserId,
    applicationId: opts.applicationId ?? botUserId,
    botUsername: opts.botUsername ?? 'clawcord',
    guilds: opts.guilds,
    cdn,
  });
  const options: ResolvedOptions = {
    token: opts.token ?? 'FAKE.BOT.TOKEN',
    ackDeadlineMs: opts.ackDeadlineMs === undefined ? 3000 : opts.ackDeadlineMs,
    tokenTtlMs: opts.tokenTtlMs === undefined ? 15 * 60_000 : opts.tokenTtlMs,
    botPermissions: BigInt(opts.botPermissions ?? DEFAULT_BOT_PERMISSIONS),
    heartbeatIntervalMs: opts.heartbeatIntervalMs ?? 41_250,
    echoMessages: opts.echoMessages ?? true,
    privileged: {
      messageContent: opts.privilegedIntents?.messageContent ?? true,
      guildMembers: opts.privilegedIntents?.guildMembers ?? true,
      presences: opts.privilegedIntents?.presences ?? true,
    },
  };

  let resumeUrl = '';
  const gateway = new Gateway({
    token: options.token,
    heartbeatIntervalMs: options.heartbeatIntervalMs,
    privileged: options.privileged,
    readyPayload: (sessionId) => ({
      v: 10,
      user: { ...userObject(store.user(botUserId)!), verified: true, mfa_enabled: false, email: null },
      guilds: [...store.guilds.keys()].map((id) => ({ id, unavailable: true })),
      session_id: sessionId,
      session_type: 'normal',
      resume_gateway_url: resumeUrl,
      shard: [0, 1],
      application: { id: store.applicationId, flags: applicationFlags(options.privileged) },
      private_channels: [],
      relationships: [],
      presences: [],
      guild_join_requests: [],
      geo_ordered_rtc_regions: [],
      user_settings: {},
      _trace: ['["fake-discord-gateway",{"micros":0}]'],
    }),
    guildCreates: () => [...store.guilds.values()].map((g) => guildCreateObject(store, g)),
  });
  const ctx = new FakeContext(store, gateway, options);
  clock = () => ctx.now();
  const log = new RequestLog(opts.requestLogLimit ?? Number.POSITIVE_INFINITY);
  const limiter = new RateLimiter(resolveRateLimits(opts.rateLimits));
  const overrides = new Overrides();
  const spec = new SpecChecker(opts.specValidation ?? true);
  const http = new FakeHttpServer({
    token: options.token,
    store,
    log,
    limiter,
    overrides,
    spec,
    routes: [...miscRoutes(ctx), ...commandRoutes(ctx), ...channelRoutes(ctx), ...interactionRoutes(ctx)],
    warnUnmatched: opts.warnUnmatched ?? true,
    uploadLimitBytes: cdn.sizeLimit,
    onUpgrade: (req, socket, head) => gateway.handleUpgrade(req, socket, head),
  });
  const port = await http.listen(opts.port ?? 0);
  const cdnServers = new CdnServers(cdn, () => store.changed());
  Object.assign(cdn, await cdnServers.listen());
  ctx.httpBase = `http://127.0.0.1:${port}`;
  ctx.gatewayUrl = `ws://127.0.0.1:${port}/gateway`;
  resumeUrl = `ws://127.0.0.1:${port}/resume`;

  const waiter: Waiter = <T>(check: () => T | undefined | null | false, timeoutMs: number, what: string) =>
    new Promise<T>((resolve, reject) => {
      let done = false;
      const finish = () => {
        done = true;
        store.events.off('change', attempt);
        unsubscribe();
        clearInterval(poll);
        clearTimeout(timer);
      };
      function attempt(): void {
        if (done) return;
        try {
          const value = check();
          if (value !== undefined && value !== null && value !== false) {
            finish();
            resolve(value);
          }
        } catch (err) {
          finish();
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      }
      store.events.on('change', attempt);
      const unsubscribe = log.onRecord(attempt);
      const poll = setInterval(attempt, 20);
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`fake-discord: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      attempt();
    });

  const drivers = new Drivers(ctx, waiter);
  const fake = new FakeDiscordServer(port, store, ctx, gateway, http, log, overrides, spec, drivers, waiter, cdnServers);
  for (const listener of startListeners) listener(fake);
  return fake;
}
