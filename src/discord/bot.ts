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
import { onCardButton } from './approval-buttons.js';
import { DiscordApprovalBoard, parseCardButton } from './approvals.js';
import { STEERED_FOLLOW_UP } from './asking.js';
import { BucketMap, GLOBAL_KEY, observeRateLimits } from './buckets.js';
import type { Command } from './command.js';
import type { BotContext } from './context.js';
import { incomingFile } from './downloads.js';
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

/** Cached members per guild and users in all: enough for the people active right now. */
export const MEMBER_CACHE_SIZE = 200;
export const USER_CACHE_SIZE = 1_000;

/** An autocomplete still waiting on the gateway after this answers with no choices (Discord allows 3 s). */
const AUTOCOMPLETE_DEADLINE_MS = 2_500;

/** Refused thread follow-ups get one 🚫 per person and thread; this many are remembered. */
const REFUSALS_REMEMBERED = 5_000;

export function createDiscordClient(config: Config): Client {
  const intents = [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages];
  if (config.threads.followUpWithoutMention) intents.push(GatewayIntentBits.MessageContent);
  if (config.access.allowDMs) intents.push(GatewayIntentBits.DirectMessages);
  return new Client({
    intents,
    partials: [Partials.Channel],
    // The bot never reads cached messages, reactions or presences; hundreds of streamed replies would only fill them.
    // Members and users arrive with every interaction and message and would otherwise stay for the process's life;
    // the bot needs only its own (for its managed role). Archived threads are swept by discord.js's default.
    makeCache: Options.cacheWithLimits({
      ...Options.DefaultMakeCacheSettings,
      MessageManager: 0,
      ReactionManager: 0,
      PresenceManager: 0,
      GuildMemberManager: { maxSize: MEMBER_CACHE_SIZE, keepOverLimit: (member) => member.id === member.client.user?.id },
      ThreadMemberManager: { maxSize: 0, keepOverLimit: (member) => member.id === member.client.user?.id },
      UserManager: { maxSize: USER_CACHE_SIZE, keepOverLimit: (user) => user.id === user.client.user?.id },
    }),
    rest: config.discord.apiBase ? { api: config.discord.apiBase } : {},
    allowedMentions: NO_MENTIONS,
  });
}

/** Wires discord.js events to the commands, the Stop button, approval cards and thread follow-ups. */
export class Bot {
  /** Where the relay posts approval cards; given to it once the bot is logged in. */
  readonly approvals: DiscordApprovalBoard;
  private context: BotContext | undefined;
  private readonly access: AccessPolicy;
  /**
   * Interaction webhooks are not bound to the bot's global rate limit, but discord.js applies its global limiter to
   * every request of a client; they get a REST client of their own (no token, no global limit).
   */
  private readonly webhookRest: REST;
  private readonly buckets = new BucketMap();
  /** `<thread>:<user>` of refused follow-ups already marked, oldest first. */
  private readonly refused = new Set<string>();

  constructor(
    readonly client: Client,
    private readonly options: BotOptions,
  ) {
    this.access = new AccessPolicy(options.config.access);
    this.webhookRest = new REST({ ...(options.config.discord.apiBase ? { api: options.config.discord.apiBase } : {}), globalRequestsPerSecond: Number.MAX_SAFE_INTEGER });
    observeRateLimits(client.rest, options.budget, this.buckets);
    observeRateLimits(this.webhookRest, options.budget, this.buckets);
    this.approvals = new DiscordApprovalBoard({ rest: client.rest, budget: options.budget, buckets: this.buckets, logger: options.logger.child({ part: 'approvals' }) });
    client.on(Events.InteractionCreate, (interaction) => {
      this.onInteraction(interaction).catch((error: unknown) => this.logFor(interaction).error({ err: error, interaction: interaction.id }, 'handling an interaction failed'));
    });
    client.on(Events.MessageCreate, (message) => {
      this.onMessage(message).catch((error: unknown) =>
        this.options.logger.error({ err: error, guild: message.guildId, channel: message.channelId, user: message.author.id, message: message.id }, 'handling a message failed'),
      );
    });
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
        new DiscordReplyWriter({
          uploadLimitBytes: this.options.config.attachments.uploadMaxBytes,
          ...options,
          rest: client.rest,
          webhookRest: this.webhookRest,
          buckets: this.buckets,
          channelOnly: this.options.channelOnlyReplies,
        }),
    };
    // Cards can be posted from now on; requests that came while Discord was not up are reconciled then.
    this.options.relay.setApprovalBoard(this.approvals);
    const sync = await syncCommands({
      rest: client.rest,
      applicationId: client.application.id,
      definitions: commandDefinitions(this.options.commands, this.options.config.access),
      logger: this.options.logger,
    });
    this.options.logger.info({ user: client.user.tag, commands: sync.count, registered: sync.changed }, 'logged in to Discord');
  }

  /** A writer for a reply's messages found again after a restart. */
  writerFor(location: WriterOptions['location']): DiscordReplyWriter {
    return new DiscordReplyWriter({ rest: this.client.rest, webhookRest: this.webhookRest, buckets: this.buckets, location, uploadLimitBytes: this.options.config.attachments.uploadMaxBytes });
  }

  private async onInteraction(interaction: Interaction): Promise<void> {
    const context = this.context;
    if (!context) return;
    try {
      if (interaction.isChatInputCommand()) await this.onCommand(interaction, context);
      else if (interaction.isAutocomplete()) await this.onAutocomplete(interaction, context);
      else if (interaction.isButton()) await this.onButton(interaction, context);
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
    const log = this.logFor(interaction);
    const noChoices = async () => {
      if (!interaction.responded) await interaction.respond([]).catch((error: unknown) => log.debug({ err: error }, 'could not answer an autocomplete'));
    };
    // The lists (models, agents) are for those who may run the command, and each costs gateway calls.
    if (!command?.autocomplete || !this.access.check(actorOf(interaction), command.definition.name, command.access).ok) {
      await noChoices();
      return;
    }
    const work = command.autocomplete(interaction, context).catch(async (error: unknown) => {
      log.debug({ err: error }, 'autocomplete failed');
      await noChoices();
    });
    // Discord drops an autocomplete answer after 3 s; a slow gateway gets no choices rather than an error.
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), AUTOCOMPLETE_DEADLINE_MS)));
    if (await Promise.race([work.then(() => false), late])) await noChoices();
    clearTimeout(timer);
  }

  private async onButton(interaction: ButtonInteraction, context: BotContext): Promise<void> {
    if (interaction.customId.startsWith(STOP_BUTTON_PREFIX)) {
      await this.onStop(interaction, context);
      return;
    }
    const button = parseCardButton(interaction.customId);
    if (!button) return;
    await onCardButton(interaction, button, {
      desk: context.relay,
      board: this.approvals,
      access: this.access,
      askAccess: this.options.commands.get('ask')?.access ?? 'member',
      context,
      logger: this.logFor(interaction),
    });
  }

  private async onStop(interaction: ButtonInteraction, context: BotContext): Promise<void> {
    const jobId = interaction.customId.slice(STOP_BUTTON_PREFIX.length);
    // Stopping may wait on the gateway's abort; Discord wants an answer within 3 s. The reply itself shows the stop.
    await interaction.deferUpdate();
    const result = await context.relay.stop({ jobId }, personOf(interaction), this.access.isAdmin(actorOf(interaction)));
    if (result.status === 'nothing') await interaction.followUp(ephemeral('This answer has already finished.'));
    else if (result.status === 'forbidden') await interaction.followUp(ephemeral(`Only ${result.owner.name} (who asked) or a clawcord admin can stop this answer.`));
  }

  /** In a thread the bot maps, a mention (or any message, if configured in a thread it started) continues the conversation. */
  private async onMessage(message: Message): Promise<void> {
    const context = this.context;
    if (!context || message.author.bot || message.system || !message.channel.isThread()) return;
    const mapping = await context.relay.findMapping(message.channelId);
    if (!mapping) return;
    const botId = context.client.user.id;
    // The mention picker offers the bot's managed role beside the bot; people mean the bot either way.
    const botRole = message.guild?.roles.botRoleFor(botId) ?? null;
    const byRole = botRole !== null && message.mentions.roles.has(botRole.id);
    const mentioned = message.mentions.users.has(botId) || byRole;
    if (!mentioned && !(this.options.config.threads.followUpWithoutMention && mapping.ownedThread)) return;
    const log = this.options.logger.child({ guild: message.guildId, channel: message.channelId, user: message.author.id, message: message.id });
    const verdict = this.access.check(actorOfMessage(message), 'ask', this.options.commands.get('ask')?.access ?? 'member');
    if (!verdict.ok) {
      // Messages cannot be answered privately: a text refusal would be public, and with followUpWithoutMention
      // it would follow every message. Unmentioned, it is ignored; mentioned, one 🚫 per person and thread says no.
      if (mentioned) await this.markRefused(message, log);
      return;
    }
    const answer = (text: string) => message.reply({ content: capLength(text), allowedMentions: NO_MENTIONS }).catch((error: unknown) => log.warn({ err: error }, 'could not answer a message'));
    const prompt = message.content.replace(new RegExp(`<@!?${botId}>${botRole ? `|<@&${botRole.id}>` : ''}`, 'g'), '').trim();
    const files = [...message.attachments.values()].map(incomingFile);
    if (!prompt && files.length === 0) {
      // Discord withholds the text of a message that mentions only the bot's role (no Message Content intent).
      if (byRole && !message.mentions.users.has(botId)) await answer(`I could not read that message: mention me as <@${botId}> (the bot, not its role) and I will answer.`);
      return;
    }
    const writer = context.createWriter({
      location: { channelId: message.channelId, messageIds: [], interaction: null, overflowChannelId: null },
      replyTo: message.id,
    });
    try {
      // A follow-up while the thread's answer still runs goes into it where the gateway can take it (else it queues);
      // its files are fetched now and held until its turn (a prompt with files never steers).
      const scope = scopeOf({ channelId: message.channelId, channel: message.channel, guildId: message.guildId });
      const outcome = await context.relay.ask({ scope, requester: personOf(message), prompt, writer, steer: true, ...(files.length > 0 ? { files } : {}) });
      if (outcome.status === 'steered') await answer(STEERED_FOLLOW_UP);
    } catch (error) {
      // No private reply exists for a message: the refusal answers it (its files are public there already).
      await answer(`❌ ${describeError(error)}`);
    }
  }

  private async markRefused(message: Message, log: Logger): Promise<void> {
    const key = `${message.channelId}:${message.author.id}`;
    if (this.refused.has(key)) return;
    this.refused.add(key);
    if (this.refused.size > REFUSALS_REMEMBERED) this.refused.delete(this.refused.values().next().value!);
    await message.react('🚫').catch((error: unknown) => log.debug({ err: error }, 'could not mark a refused message'));
  }
}
