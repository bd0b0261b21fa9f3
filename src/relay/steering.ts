import type { GatewayClient } from '../gateway/client.js';
import { SessionNotFoundError } from '../gateway/errors.js';
import type { AgentInfo, ModelInfo } from '../gateway/types.js';
import type { ChannelMapping } from '../store/store.js';
import { closeMatches, type Catalog } from './catalog.js';
import { UnknownChoiceError } from './errors.js';
import { changedBy, requireGateway, type Mappings } from './mappings.js';
import type { Person, Scope } from './scope.js';
import { PRECHECK_LIMIT_MS, waitAtMost } from './wait.js';

function describeAgent(agent: AgentInfo): string {
  return agent.name && agent.name !== agent.id ? `\`${agent.id}\` (${agent.name})` : `\`${agent.id}\``;
}

/** The model a person meant: its `provider/id`, any case, or an id or name only one model has. */
function matchModel(models: ModelInfo[], requested: string): ModelInfo {
  const wanted = requested.trim();
  const lower = wanted.toLowerCase();
  const byIdOrName = models.filter((m) => m.id.toLowerCase() === lower || m.name.toLowerCase() === lower);
  const match = models.find((m) => m.ref === wanted) ?? models.find((m) => m.ref.toLowerCase() === lower) ?? (byIdOrName.length === 1 ? byIdOrName[0] : undefined);
  if (match) return match;
  const close = closeMatches(wanted, models.map((m) => m.ref));
  const hint = close.length > 0 ? `Close matches: ${close.map((c) => `\`${c}\``).join(', ')}` : `Available: ${models.slice(0, 10).map((m) => `\`${m.ref}\``).join(', ')}`;
  throw new UnknownChoiceError(`Unknown model \`${wanted}\`. ${hint}`);
}

function matchAgent(agents: AgentInfo[], requested: string): AgentInfo {
  const wanted = requested.trim().toLowerCase();
  const match = agents.find((a) => a.id.toLowerCase() === wanted) ?? agents.find((a) => a.name.toLowerCase() === wanted);
  if (!match) throw new UnknownChoiceError(`Unknown agent \`${requested}\`. Agents: ${agents.map(describeAgent).join(', ')}`);
  return match;
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
    const model = (await this.gateway.sessionRow(mapping.sessionKey))?.model;
    return { model, mapping, source: model ? 'session' : 'default' };
  }

  /**
   * Refuses an unknown model or agent before anything is shown in the channel; says nothing when the gateway is
   * too slow to tell within Discord's time for an answer (the switch itself then decides).
   */
  async precheckChoice(kind: 'model' | 'agent', requested: string): Promise<void> {
    requireGateway(this.gateway);
    if (kind === 'model') {
      const models = await waitAtMost(this.catalog.listModels(), PRECHECK_LIMIT_MS);
      if (models) matchModel(models, requested);
    } else {
      const list = await waitAtMost(this.catalog.listAgents(), PRECHECK_LIMIT_MS);
      if (list) matchAgent(list.agents, requested);
    }
  }

  async setModel(scope: Scope, requested: string, by: Person): Promise<ChannelMapping> {
    requireGateway(this.gateway);
    const match = matchModel(await this.catalog.listModels(), requested);
    const mapping = { ...(await this.mappings.forScope(scope)) };
    await this.mappings.applyModel(mapping, match.ref);
    mapping.model = match.ref;
    mapping.modelSetBy = changedBy(by);
    await this.mappings.save(mapping);
    return mapping;
  }

  async setAgent(scope: Scope, requested: string, by: Person): Promise<ChannelMapping> {
    requireGateway(this.gateway);
    const match = matchAgent((await this.catalog.listAgents()).agents, requested);
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
