import type { GatewayClient } from '../gateway/client.js';
import type { AgentList, ModelInfo } from '../gateway/types.js';

interface Cached<T> {
  value: T;
  at: number;
}

/** Models and agents from the gateway, cached briefly: autocomplete asks on every keystroke. */
export class Catalog {
  private models: Cached<ModelInfo[]> | undefined;
  private agents: Cached<AgentList> | undefined;

  constructor(
    private readonly gateway: GatewayClient,
    private readonly ttlMs = 30_000,
  ) {}

  async listModels(): Promise<ModelInfo[]> {
    if (!this.models || Date.now() - this.models.at > this.ttlMs) {
      this.models = { value: await this.gateway.modelsList(), at: Date.now() };
    }
    return this.models.value;
  }

  async listAgents(): Promise<AgentList> {
    if (!this.agents || Date.now() - this.agents.at > this.ttlMs) {
      this.agents = { value: await this.gateway.agentsList(), at: Date.now() };
    }
    return this.agents.value;
  }
}

/** The entries closest to `query`: containing it first, then sharing the most characters in order. */
export function closeMatches(query: string, candidates: readonly string[], limit = 5): string[] {
  const q = query.toLowerCase();
  const score = (candidate: string): number => {
    const c = candidate.toLowerCase();
    if (c === q) return 1_000;
    if (c.includes(q)) return 500 - c.length;
    let matched = 0;
    let at = 0;
    for (const ch of q) {
      const found = c.indexOf(ch, at);
      if (found < 0) continue;
      matched += 1;
      at = found + 1;
    }
    return (matched / Math.max(q.length, 1)) * 100 - c.length / 100;
  };
  return [...candidates]
    .map((candidate) => ({ candidate, score: score(candidate) }))
    .filter((entry) => entry.score >= 50)
    .sort((a, b) => b.score - a.score)
    .slice(0, limit)
    .map((entry) => entry.candidate);
}
