import type { Logger } from '../log.js';
import type { Relay } from '../relay/relay.js';
import type { AccessPolicy } from './access.js';

/** What every command handler gets besides its interaction. */
export interface BotContext {
  relay: Relay;
  access: AccessPolicy;
  logger: Logger;
}
