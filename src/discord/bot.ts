import {
  Client,
  Events,
  GatewayIntentBits,
  Options,
  Partials,
  REST,
  type AutocompleteInteraction,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type Interaction,
  type Message,
} from 'discord.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { RateBudget } from '../relay/budget.js';
import type { Relay } from '../relay/relay.js';
import { AccessPolicy } from './access.js';
import { GLOBAL_KEY, observeRateLimits } from './buckets.js';
import type { Command } from './command.js';
import type { BotContext } from './context.js';
import { describeError, replyWithError } from './errors.js';
import { actorOf, actorOfMessage, personOf, scopeOf } from './interaction.js';
import { commandDefinitions } from './loader.js';
import { syncCommands } from './registration.js';
import { ephemeral, NO_MENTIONS, capLength } from './respond.js';
import { DiscordReplyWriter, STOP_BUTTON_PREFIX, type WriterOptions } from './writer.js';

export interface BotOptions {
  config: Config;
  relay: Relay;
  budget: RateBudget;
  commands: Map<string, Command>;
  logger: Logger;
  /** Benchmark comparison only: write ordinary channel messages like other relays. */
  channelOnlyReplies?: boolean;
}

export function createDiscordClient(config: Config): Client {
  const intents = [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages];
  if (config.threads.followUpWithoutMention) intents.push(GatewayIntentBits.MessageContent);
  if (config.access.allowDMs) intents.push(GatewayIntentBits.DirectMessages);
  return new Client({
    intents,
    partials: [Partials.Channel],
    // The bot never reads cached messages, reactions or presences; hundreds of streamed replies would only fill them.
    makeCache: Options.cacheWithLimits({
      ...Options.DefaultMakeCacheSettings,
      MessageManager: 0,
      ReactionManager: 0,
      PresenceManager: 0,
    }),
    rest: config.discord.apiBase ? { api: config.discord.apiBase } : {},
    allowedMentions: NO_MENTIONS,
  });
}

/** Wires discord.js events to the commands, the Stop button and thread follow-ups. */
export class Bot {
  private context: BotContext | undefined;
  private readonly access: AccessPolicy;
  /**
   * Interaction webhooks are not bound to the bot's global rate limit, but discord.js applies its global limiter to
   * every request of a client; they get a REST client of their own (no token, no global limit).
   */
  private readonly webhookRest: REST;

  constructor(
    readonly client: Client,
    private readonly options: BotOptions,
  ) {
    this.access = new AccessPolicy(options.config.access);
    this.webhookRest = new REST({ ...(options.config.discord.apiBase ? { api: options.config.discord.apiBase } : {}), globalRequestsPerSecond: Number.MAX_SAFE_INTEGER });
    observeRateLimits(client.rest, options.budget);
    observeRateLimits(this.webhookRest, options.budget);
    client.on(Events.InteractionCreate, (interaction) => void this.onInteraction(interaction));
    client.on(Events.MessageCreate, (message) => void this.onMessage(message));
  }

  /** Logs in, registers the commands if Discord's differ, and finishes replies left from before a restart. */
  async start(token: string): Promise<void> {
    const ready = new Promise<Client<true>>((resolve) => this.client.once(Events.ClientReady, resolve));
    await this.client.login(token);
    const client = await ready;
    this.context = {
      client,
      relay: this.options.relay,
      access: this.access,
      config: this.options.config,
      logger: this.options.logger,
      acquireGlobal: () => this.options.budget.acquire([GLOBAL_KEY]),
      createWriter: (options) =>
        new DiscordReplyWriter({ ...options, rest: client.rest, webhookRest: this.webhookRest, channelOnly: this.options.channelOnlyReplies }),
    };
    const sync = await syncCommands({
      rest: client.rest,
      applicationId: client.application.id,
      definitions: commandDefinitions(this.options.commands),
      logger: this.options.logger,
    });
    this.options.logger.info({ user: client.user.tag, commands: sync.count, registered: sync.changed }, 'logged in to Discord');
  }

  /** A writer for a reply's messages found again after a restart. */
  writerFor(location: WriterOptions['location']): DiscordReplyWriter {
    return new DiscordReplyWriter({ rest: this.client.rest, webhookRest: this.webhookRest, location });
  }

  private async onInteraction(interaction: Interaction): Promise<void> {
    const context = this.context;
    if (!context) return;
    try {
      if (interaction.isChatInputCommand()) await this.onCommand(interaction, context);
      else if (interaction.isAutocomplete()) await this.onAutocomplete(interaction, context);
      else if (interaction.isButton() && interaction.customId.startsWith(STOP_BUTTON_PREFIX)) await this.onStop(interaction, context);
    } catch (error) {
      if (interaction.isRepliable()) await replyWithError(interaction, error, this.logFor(interaction));
      else this.logFor(interaction).warn({ err: error }, 'interaction failed');
    }
  }

  private logFor(interaction: Interaction): Logger {
    return this.options.logger.child({ guild: interaction.guildId, channel: interaction.channelId, user: interaction.user.id });
  }

  private async onCommand(interaction: ChatInputCommandInteraction, context: BotContext): Promise<void> {
    const command = this.options.commands.get(interaction.commandName);
    if (!command) {
      await interaction.reply(ephemeral(`Unknown command /${interaction.commandName}: this bot may be restarting with new commands.`));
      return;
    }
    const verdict = this.access.check(actorOf(interaction), command.definition.name, command.access);
    if (!verdict.ok) {
      await interaction.reply(ephemeral(`🚫 ${verdict.reason}`));
      return;
    }
    this.logFor(interaction).debug({ command: command.definition.name }, 'command');
    await command.execute(interaction, context);
  }

  private async onAutocomplete(interaction: AutocompleteInteraction, context: BotContext): Promise<void> {
    const command = this.options.commands.get(interaction.commandName);
    try {
      if (!command?.autocomplete) throw new Error(`no autocomplete for /${interaction.commandName}`);
      await command.autocomplete(interaction, context);
    } catch (error) {
      this.logFor(interaction).debug({ err: error }, 'autocomplete failed');
      if (!interaction.responded) await interaction.respond([]).catch(() => {});
    }
  }

  private async onStop(interaction: ButtonInteraction, context: BotContext): Promise<void> {
    const jobId = interaction.customId.slice(STOP_BUTTON_PREFIX.length);
    const result = await context.relay.stop({ jobId }, personOf(interaction), this.access.isAdmin(actorOf(interaction)));
    if (result.status === 'stopped') await interaction.deferUpdate();
    else if (result.status === 'nothing') await interaction.reply(ephemeral('This answer has already finished.'));
    else await interaction.reply(ephemeral(`Only ${result.owner.name} (who asked) or a clawcord admin can stop this answer.`));
  }

  /** In a thread the bot maps, a mention (or any message, if configured in a thread it started) continues the conversation. */
  private async onMessage(message: Message): Promise<void> {
    const context = this.context;
    if (!context || message.author.bot || message.system || !message.channel.isThread()) return;
    const mapping = await context.relay.findMapping(message.channelId);
    if (!mapping) return;
    const mentioned = message.mentions.users.has(context.client.user.id);
    if (!mentioned && !(this.options.config.threads.followUpWithoutMention && mapping.ownedThread)) return;
    const log = this.options.logger.child({ guild: message.guildId, channel: message.channelId, user: message.author.id });
    const verdict = this.access.check(actorOfMessage(message), 'ask', this.options.commands.get('ask')?.access ?? 'member');
    const answer = (text: string) => message.reply({ content: capLength(text), allowedMentions: NO_MENTIONS }).catch((error: unknown) => log.warn({ err: error }, 'could not answer a message'));
    if (!verdict.ok) {
      await answer(`🚫 ${verdict.reason}`);
      return;
    }
    const prompt = message.content.replace(new RegExp(`<@!?${context.client.user.id}>`, 'g'), '').trim();
    if (!prompt) return;
    const writer = context.createWriter({
      location: { channelId: message.channelId, messageIds: [], interaction: null, overflowChannelId: null },
      replyTo: message.id,
    });
    try {
      await context.relay.ask({ scope: scopeOf({ channelId: message.channelId, channel: message.channel, guildId: message.guildId }), requester: personOf(message), prompt, writer });
    } catch (error) {
      await answer(`❌ ${describeError(error)}`);
    }
  }
}
