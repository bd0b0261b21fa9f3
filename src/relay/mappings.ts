import type { GatewayClient } from '../gateway/client.js';
import { SessionNotFoundError } from '../gateway/errors.js';
import type { Logger } from '../log.js';
import type { ChangedBy, ChannelMapping, Store } from '../store/store.js';
import type { RelayConfig } from '../config/schema.js';
import type { Catalog } from './catalog.js';
import { GatewayUnavailableError } from './errors.js';
import type { Person, Scope } from './scope.js';

/** Mappings kept in memory; the store has them all, so the least recently used can go. */
const MAX_CACHED_MAPPINGS = 5_000;

export interface MappingDeps {
  gateway: GatewayClient;
  store: Store;
  catalog: Catalog;
  config: RelayConfig;
}

export function changedBy(person: Person): ChangedBy {
  return { userId: person.id, userName: person.name, at: Date.now() };
}

export function requireGateway(gateway: GatewayClient): void {
  if (!gateway.connected) throw new GatewayUnavailableError(gateway.lastConnectError?.message);
}

/** Which session each channel and thread talks to: created on first use, stored, cached. */
export class Mappings {
  private readonly cache = new Map<string, Promise<ChannelMapping>>();

  constructor(private readonly deps: MappingDeps) {}

  /** The mapping if the channel or thread has one; never creates one. */
  async find(scopeId: string): Promise<ChannelMapping | undefined> {
    const cached = this.touch(scopeId);
    return (await cached?.catch(() => undefined)) ?? (await this.deps.store.mapping(scopeId));
  }

  /** The channel's or thread's mapping, created (and stored) on first use. */
  forScope(scope: Scope): Promise<ChannelMapping> {
    let pending = this.touch(scope.id);
    if (!pending) {
      pending = this.loadOrCreate(scope);
      this.remember(scope.id, pending);
      pending.catch(() => this.cache.delete(scope.id));
    }
    return pending;
  }

  /** The mapping whose session this is, if clawcord maps it (one pass over the store: for rare events only). */
  async findBySession(sessionKey: string): Promise<ChannelMapping | undefined> {
    const wanted = sessionKey.toLowerCase();
    return (await this.deps.store.mappings()).find((mapping) => mapping.sessionKey.toLowerCase() === wanted);
  }

  async save(mapping: ChannelMapping): Promise<void> {
    this.remember(mapping.scopeId, Promise.resolve(mapping));
    await this.deps.store.saveMapping(mapping);
  }

  sessionKey(agentId: string, scopeId: string): string {
    try {
      return this.deps.gateway.sessionKey(agentId, scopeId);
    } catch {
      throw new GatewayUnavailableError(this.deps.gateway.lastConnectError?.message);
    }
  }

  /** A thread the bot started on a reply: a new session with the parent's agent and model. */
  async mapOwnedThread(thread: Scope, parent: Scope): Promise<ChannelMapping> {
    const parentMapping = await this.forScope(parent);
    const mapping: ChannelMapping = {
      ...parentMapping,
      scopeId: thread.id,
      guildId: thread.guildId,
      kind: 'thread',
      parentId: parent.id,
      sessionKey: this.sessionKey(parentMapping.agentId, thread.id),
      modelPending: parentMapping.model !== null,
      ownedThread: true,
      createdAt: Date.now(),
    };
    if (mapping.model) await this.applyModel(mapping, mapping.model);
    await this.save(mapping);
    return mapping;
  }

  /** Patches the session's model; the card can only patch a session that had a message, so then it waits. */
  async applyModel(mapping: ChannelMapping, ref: string): Promise<void> {
    try {
      await this.deps.gateway.sessionsPatch(mapping.sessionKey, { model: ref });
      mapping.modelPending = false;
    } catch (error) {
      if (!(error instanceof SessionNotFoundError)) throw error;
      mapping.modelPending = true;
    }
  }

  /** Applies a model that had to wait for the session's first message; a failure is logged, the run goes on. */
  applyPendingModel(mapping: ChannelMapping, log: Logger): void {
    if (!mapping.modelPending || !mapping.model) return;
    const model = mapping.model;
    void this.applyModel(mapping, model)
      .then(() => this.save(mapping))
      .catch((error: unknown) => log.warn({ err: error, model }, 'could not apply the channel model to a new session'));
  }

  private async loadOrCreate(scope: Scope): Promise<ChannelMapping> {
    const stored = await this.deps.store.mapping(scope.id);
    if (stored) return stored;
    const parent = scope.kind === 'thread' && scope.parentId ? await this.deps.store.mapping(scope.parentId) : undefined;
    const agentId = parent?.agentId ?? (await this.defaultAgent());
    const mapping: ChannelMapping = {
      scopeId: scope.id,
      guildId: scope.guildId,
      kind: scope.kind,
      parentId: scope.parentId,
      agentId,
      sessionKey: this.sessionKey(agentId, scope.id),
      model: parent?.model ?? null,
      modelPending: Boolean(parent?.model),
      ownedThread: false,
      agentSetBy: null,
      modelSetBy: parent?.modelSetBy ?? null,
      createdAt: Date.now(),
    };
    await this.deps.store.saveMapping(mapping);
    return mapping;
  }

  private async defaultAgent(): Promise<string> {
    if (this.deps.config.defaultAgent) return this.deps.config.defaultAgent;
    requireGateway(this.deps.gateway);
    return (await this.deps.catalog.listAgents()).defaultId;
  }

  /** The cached entry, marked as recently used. */
  private touch(scopeId: string): Promise<ChannelMapping> | undefined {
    const cached = this.cache.get(scopeId);
    if (cached) {
      this.cache.delete(scopeId);
      this.cache.set(scopeId, cached);
    }
    return cached;
  }

  private remember(scopeId: string, mapping: Promise<ChannelMapping>): void {
    this.cache.delete(scopeId);
    this.cache.set(scopeId, mapping);
    if (this.cache.size > MAX_CACHED_MAPPINGS) this.cache.delete(this.cache.keys().next().value!);
  }
}
