import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import KeyvSqlite from '@keyv/sqlite';
import Keyv from 'keyv';
import type { ApprovalCardView, CardRef } from '../relay/approval-card.js';

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
  /**
   * The final goes (or went) below as new messages, from `messageIds[from]` on: the first replies to the first message
   * and notifies `askerId`; the messages before shrink to a stub. Recorded before the first of them is created, so a
   * restart finishes it there and never writes it twice.
   */
  finalBelow?: FinalBelow;
}

export interface FinalBelow {
  from: number;
  askerId: string;
  /** For links to the messages (null in DMs). */
  guildId: string | null;
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

/** An approval card clawcord posted for a gateway's exec approval request, kept until the request is decided. */
export interface ApprovalRecord {
  approvalId: string;
  sessionKey: string;
  scopeId: string;
  guildId: string | null;
  /** The member whose question's run asked, when clawcord knows. */
  askerId: string | undefined;
  runId: string | undefined;
  card: CardRef;
  view: ApprovalCardView;
}

/** Which process owns the store (and so the bot token's work), kept fresh by a heartbeat. */
export interface LeaseRecord {
  owner: string;
  pid: number;
  host: string;
  heartbeatAt: number;
}

/**
 * The bot's persistent state in a Keyv store: SQLite (`sqlite://path/to/file.sqlite`, the default under ./data/)
 * or `memory://` for throwaway runs.
 */
export class Store {
  private constructor(
    private readonly keyv: Keyv,
    /** Runs in flight, one key each, in a namespace of their own so that they can be listed. */
    private readonly runTable: Keyv,
    /** Approval cards waiting for a decision, listed after a restart. */
    private readonly approvalTable: Keyv,
  ) {}

  static async open(url: string): Promise<Store> {
    if (url === 'memory://') return new Store(new Keyv(), new Keyv(), new Keyv());
    if (!url.startsWith('sqlite://')) throw new Error(`store.url (STORE_URL): must be sqlite://<file> or memory://, not ${url}`);
    const file = resolve(url.slice('sqlite://'.length));
    mkdirSync(dirname(file), { recursive: true });
    const open = (namespace: string) =>
      new Keyv({ store: new KeyvSqlite({ uri: `sqlite://${file}`, busyTimeout: 5_000 }), namespace });
    const store = new Store(open('clawcord'), open('clawcord-runs'), open('clawcord-approvals'));
    // Fail at start-up, with the path, rather than at the first message.
    await store.keyv.get('probe').catch((error: Error) => {
      throw new Error(`store.url (STORE_URL): cannot open ${file}: ${error.message}`);
    });
    return store;
  }

  async mapping(scopeId: string): Promise<ChannelMapping | undefined> {
    return (await this.keyv.get<ChannelMapping>(`mapping:${scopeId}`)) ?? undefined;
  }

  async saveMapping(mapping: ChannelMapping): Promise<void> {
    await this.keyv.set(`mapping:${mapping.scopeId}`, mapping);
  }

  /** Every stored mapping (for listing what clawcord owns; one pass over the store). */
  async mappings(): Promise<ChannelMapping[]> {
    const mappings: ChannelMapping[] = [];
    for await (const [key, value] of this.keyv.iterator!(undefined)) {
      if (String(key).startsWith('mapping:') && value) mappings.push(value as ChannelMapping);
    }
    return mappings;
  }

  async lease(): Promise<LeaseRecord | undefined> {
    return (await this.keyv.get<LeaseRecord>('lease')) ?? undefined;
  }

  async saveLease(lease: LeaseRecord): Promise<void> {
    await this.keyv.set('lease', lease);
  }

  async deleteLease(): Promise<void> {
    await this.keyv.delete('lease');
  }

  async runs(): Promise<RunRecord[]> {
    const runs: RunRecord[] = [];
    for await (const [, value] of this.runTable.iterator!(undefined)) if (value) runs.push(value as RunRecord);
    return runs;
  }

  saveRun(record: RunRecord): Promise<void> {
    return this.inOrder(record.runId, () => this.runTable.set(record.runId, record));
  }

  deleteRun(runId: string): Promise<void> {
    return this.inOrder(runId, () => this.runTable.delete(runId));
  }

  async approval(approvalId: string): Promise<ApprovalRecord | undefined> {
    return (await this.approvalTable.get<ApprovalRecord>(approvalId)) ?? undefined;
  }

  async approvals(): Promise<ApprovalRecord[]> {
    const records: ApprovalRecord[] = [];
    for await (const [, value] of this.approvalTable.iterator!(undefined)) if (value) records.push(value as ApprovalRecord);
    return records;
  }

  saveApproval(record: ApprovalRecord): Promise<void> {
    return this.inOrder(`approval:${record.approvalId}`, () => this.approvalTable.set(record.approvalId, record));
  }

  deleteApproval(approvalId: string): Promise<void> {
    return this.inOrder(`approval:${approvalId}`, () => this.approvalTable.delete(approvalId));
  }

  async close(): Promise<void> {
    await Promise.all(this.pending.values());
    await Promise.all([this.keyv.disconnect(), this.runTable.disconnect(), this.approvalTable.disconnect()]);
  }

  // Writes of one record happen in the order they were asked for: a late save must not revive a deleted record.
  private readonly pending = new Map<string, Promise<unknown>>();
  private inOrder(key: string, write: () => Promise<unknown>): Promise<void> {
    const next = (this.pending.get(key) ?? Promise.resolve()).then(write, write);
    const settled = next.then(() => {}, () => {});
    this.pending.set(key, settled);
    void settled.then(() => {
      if (this.pending.get(key) === settled) this.pending.delete(key);
    });
    return next.then(() => {});
  }
}
