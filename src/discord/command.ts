import type {
  AutocompleteInteraction,
  ChatInputCommandInteraction,
  RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';
import type { BotContext } from './context.js';

export type CommandDefinition = RESTPostAPIChatInputApplicationCommandsJSONBody;

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
