import type { GatewayClient } from '../gateway/client.js';
import { SessionNotFoundError } from '../gateway/errors.js';
import type { AgentInfo } from '../gateway/types.js';
import type { ChannelMapping } from '../store/store.js';
import { closeMatches, type Catalog } from './catalog.js';
import { UnknownChoiceError } from './errors.js';
import { changedBy, requireGateway, type Mappings } from './mappings.js';
import type { Person, Scope } from './scope.js';

function describeAgent(agent: AgentInfo): string {
  return agent.name && agent.name !== agent.id ? `\`${agent.id}\` (${agent.name})` : `\`${agent.id}\``;
}

/** What admins change about a channel's session: reset it, its model, its agent. */
export class Steering {
  constructor(
    private readonly gateway: GatewayClient,
    private readonly catalog: Catalog,
    private readonly mappings: Mappings,
  ) {}

  async reset(scope: Scope): Promise<ChannelMapping> {
    requireGateway(this.gateway);
    const mapping = await this.mappings.forScope(scope);
    try {
      await this.gateway.sessionsReset(mapping.sessionKey, 'reset');
    } catch (error) {
      // A session that never had a message is as clear as it gets.
      if (!(error instanceof SessionNotFoundError)) throw error;
    }
    // Some gateways (OpenClaw 2026.2) drop the session's model on reset; the channel's choice stays.
    if (mapping.model) {
      await this.mappings.applyModel(mapping, mapping.model);
      await this.mappings.save(mapping);
    }
    return mapping;
  }

  /** The model in effect: the channel's choice, else what the gateway reports for the session. */
  async currentModel(scope: Scope): Promise<{ model: string | undefined; mapping: ChannelMapping; source: 'channel' | 'session' | 'default' }> {
    const mapping = await this.mappings.forScope(scope);
    if (mapping.model) return { model: mapping.model, mapping, source: 'channel' };
    requireGateway(this.gateway);
    const rows = await this.gateway.sessionsList({ limit: 100 });
    const row = rows.find((r) => r.key === mapping.sessionKey);
    return { model: row?.model, mapping, source: row?.model ? 'session' : 'default' };
  }

  async setModel(scope: Scope, requested: string, by: Person): Promise<ChannelMapping> {
    requireGateway(this.gateway);
    const models = await this.catalog.listModels();
    const wanted = requested.trim();
    const match =
      models.find((m) => m.ref === wanted) ??
      models.find((m) => m.ref.toLowerCase() === wanted.toLowerCase()) ??
      (() => {
        const byId = models.filter((m) => m.id.toLowerCase() === wanted.toLowerCase() || m.name.toLowerCase() === wanted.toLowerCase());
        return byId.length === 1 ? byId[0] : undefined;
      })();
    if (!match) {
      const close = closeMatches(wanted, models.map((m) => m.ref));
      const hint = close.length > 0 ? `Close matches: ${close.map((c) => `\`${c}\``).join(', ')}` : `Available: ${models.slice(0, 10).map((m) => `\`${m.ref}\``).join(', ')}`;
      throw new UnknownChoiceError(`Unknown model \`${wanted}\`. ${hint}`);
    }
    const mapping = { ...(await this.mappings.forScope(scope)) };
    await this.mappings.applyModel(mapping, match.ref);
    mapping.model = match.ref;
    mapping.modelSetBy = changedBy(by);
    await this.mappings.save(mapping);
    return mapping;
  }

  async setAgent(scope: Scope, requested: string, by: Person): Promise<ChannelMapping> {
    requireGateway(this.gateway);
    const { agents } = await this.catalog.listAgents();
    const wanted = requested.trim().toLowerCase();
    const match = agents.find((a) => a.id.toLowerCase() === wanted) ?? agents.find((a) => a.name.toLowerCase() === wanted);
    if (!match) throw new UnknownChoiceError(`Unknown agent \`${requested}\`. Agents: ${agents.map(describeAgent).join(', ')}`);
    const mapping: ChannelMapping = {
      ...(await this.mappings.forScope(scope)),
      agentId: match.id,
      sessionKey: this.mappings.sessionKey(match.id, scope.id),
      // The model choice belonged to the previous agent's session.
      model: null,
      modelPending: false,
      modelSetBy: null,
      agentSetBy: changedBy(by),
    };
    await this.mappings.save(mapping);
    return mapping;
  }
}
