import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import KeyvSqlite from '@keyv/sqlite';
import Keyv from 'keyv';

/** Who changed a setting, and when. */
export interface ChangedBy {
  userId: string;
  userName: string;
  at: number;
}

/** What a channel or thread is mapped to. */
export interface ChannelMapping {
  /** The channel or thread id. */
  scopeId: string;
  guildId: string | null;
  kind: 'channel' | 'thread' | 'dm';
  /** A thread's parent channel. */
  parentId: string | null;
  agentId: string;
  sessionKey: string;
  /** The model chosen with /model (`provider/id`), if any. */
  model: string | null;
  /** The model could not be applied yet (the card only patches sessions that had a message). */
  modelPending: boolean;
  /** A thread the bot started: people may continue it without mentioning the bot (if configured). */
  ownedThread: boolean;
  agentSetBy: ChangedBy | null;
  modelSetBy: ChangedBy | null;
  createdAt: number;
}

/** Where a reply's messages are, so a restarted bot can finish them. */
export interface ReplyLocation {
  channelId: string;
  messageIds: string[];
  interaction: { applicationId: string; id: string; token: string; createdAt: number } | null;
  /** Messages after the first go here (a thread started on the reply), else `channelId`. */
  overflowChannelId: string | null;
}

/** A run in flight, kept so that a restart loses nothing. */
export interface RunRecord {
  runId: string;
  sessionKey: string;
  scopeId: string;
  guildId: string | null;
  prompt: string;
  requesterId: string;
  requesterName: string;
  startedAt: number;
  location: ReplyLocation;
}

/**
 * The bot's persistent state in a Keyv store: SQLite (`sqlite://path/to/file.sqlite`, the default under ./data/)
 * or `memory://` for throwaway runs.
 */
export class Store {
  private constructor(private readonly keyv: Keyv) {}

  static async open(url: string): Promise<Store> {
    if (url === 'memory://') return new Store(new Keyv());
    if (!url.startsWith('sqlite://')) throw new Error(`store.url (STORE_URL): must be sqlite://<file> or memory://, not ${url}`);
    const file = resolve(url.slice('sqlite://'.length));
    mkdirSync(dirname(file), { recursive: true });
    const adapter = new KeyvSqlite({ uri: `sqlite://${file}`, busyTimeout: 5_000 });
    const keyv = new Keyv({ store: adapter, namespace: 'clawcord' });
    // Fail at start-up, with the path, rather than at the first message.
    await keyv.get('probe').catch((error: Error) => {
      throw new Error(`store.url (STORE_URL): cannot open ${file}: ${error.message}`);
    });
    return new Store(keyv);
  }

  async mapping(scopeId: string): Promise<ChannelMapping | undefined> {
    return (await this.keyv.get<ChannelMapping>(`mapping:${scopeId}`)) ?? undefined;
  }

  async saveMapping(mapping: ChannelMapping): Promise<void> {
    await this.keyv.set(`mapping:${mapping.scopeId}`, mapping);
  }

  async runs(): Promise<RunRecord[]> {
    return Object.values((await this.keyv.get<Record<string, RunRecord>>('runs')) ?? {});
  }

  async saveRun(record: RunRecord): Promise<void> {
    await this.updateRuns((runs) => ({ ...runs, [record.runId]: record }));
  }

  async deleteRun(runId: string): Promise<void> {
    await this.updateRuns(({ [runId]: _gone, ...rest }) => rest);
  }

  async close(): Promise<void> {
    await this.writes;
    await this.keyv.disconnect();
  }

  // Read-modify-write of the run table, one at a time.
  private writes: Promise<unknown> = Promise.resolve();
  private updateRuns(change: (runs: Record<string, RunRecord>) => Record<string, RunRecord>): Promise<void> {
    const next = this.writes.then(async () => {
      const runs = (await this.keyv.get<Record<string, RunRecord>>('runs')) ?? {};
      await this.keyv.set('runs', change(runs));
    });
    this.writes = next.catch(() => {});
    return next;
  }
}
