import type { Client } from 'discord.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Relay } from '../relay/relay.js';
import type { AccessPolicy } from './access.js';
import type { DiscordReplyWriter, WriterOptions } from './writer.js';

/** What every command handler gets besides its interaction. */
export interface BotContext {
  client: Client<true>;
  relay: Relay;
  access: AccessPolicy;
  config: Config;
  logger: Logger;
  /** Waits for room in the bot's global rate limit before a request outside the reply writers. */
  acquireGlobal(): Promise<void>;
  /** A writer for one reply's messages. */
  createWriter(options: Omit<WriterOptions, 'rest' | 'channelOnly'>): DiscordReplyWriter;
}
