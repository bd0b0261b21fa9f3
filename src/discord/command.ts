import type {
  AutocompleteInteraction,
  ChatInputCommandInteraction,
  RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';
import type { BotContext } from './context.js';

/**
 * A slash command as sent to Discord. Discord's OpenAPI spec types `default_member_permissions` in requests as an
 * integer (its answers carry a string), so clawcord sends a number.
 */
export type CommandDefinition = Omit<RESTPostAPIChatInputApplicationCommandsJSONBody, 'default_member_permissions'> & {
  default_member_permissions?: number | null;
};

/** Who may run a command unless the config says otherwise. */
export type CommandAccess = 'member' | 'admin';

/** One slash command: its definition as Discord registers it, and its handlers. One file each in `commands/`. */
export interface Command {
  readonly definition: CommandDefinition;
  readonly access: CommandAccess;
  execute(interaction: ChatInputCommandInteraction, context: BotContext): Promise<void>;
  autocomplete?(interaction: AutocompleteInteraction, context: BotContext): Promise<void>;
}

export function isCommand(value: unknown): value is Command {
  const candidate = value as Partial<Command> | undefined;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.definition?.name === 'string' &&
    typeof candidate.execute === 'function'
  );
}
