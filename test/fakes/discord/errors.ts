// Discord-shaped error answers. Handlers throw ApiError; the HTTP layer turns it into `{ message, code, errors? }`.

export interface FieldError {
  code: string;
  message: string;
}

/** Nested error tree as Discord sends it: `{ content: { _errors: [...] }, embeds: { '0': { title: { _errors } } } }`. */
export type ErrorTree = { _errors?: FieldError[] } & { [key: string]: ErrorTree | FieldError[] | undefined };

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly errors?: ErrorTree,
  ) {
    super(message);
  }

  body(): Record<string, unknown> {
    return this.errors ? { message: this.message, code: this.code, errors: this.errors } : { message: this.message, code: this.code };
  }
}

export const Errors = {
  unauthorized: () => new ApiError(401, 0, '401: Unauthorized'),
  notFound: () => new ApiError(404, 0, '404: Not Found'),
  unknownChannel: () => new ApiError(404, 10003, 'Unknown Channel'),
  unknownGuild: () => new ApiError(404, 10004, 'Unknown Guild'),
  unknownMember: () => new ApiError(404, 10007, 'Unknown Member'),
  unknownMessage: () => new ApiError(404, 10008, 'Unknown Message'),
  unknownUser: () => new ApiError(404, 10013, 'Unknown User'),
  unknownWebhook: () => new ApiError(404, 10015, 'Unknown Webhook'),
  unknownInteraction: () => new ApiError(404, 10062, 'Unknown interaction'),
  unknownCommand: () => new ApiError(404, 10063, 'Unknown application command'),
  alreadyAcknowledged: () => new ApiError(400, 40060, 'Interaction has already been acknowledged.'),
  missingAccess: () => new ApiError(403, 50001, 'Missing Access'),
  cannotEditOthers: () => new ApiError(403, 50005, 'Cannot edit a message authored by another user'),
  emptyMessage: () => new ApiError(400, 50006, 'Cannot send an empty message'),
  nonTextChannel: () => new ApiError(400, 50008, 'Cannot send messages in a non-text channel'),
  wrongChannelType: () => new ApiError(400, 50024, 'Cannot execute action on this channel type'),
  invalidWebhookToken: () => new ApiError(401, 50027, 'Invalid Webhook Token'),
  threadArchived: () => new ApiError(400, 50083, 'Thread is archived'),
  threadAlreadyCreated: () => new ApiError(400, 160004, 'A thread has already been created for this message'),
  threadLocked: () => new ApiError(400, 160005, 'Thread is locked'),
  tooManyCommands: () => new ApiError(400, 30032, 'Maximum number of application commands reached (100)'),
  tooManyAttachments: () => new ApiError(400, 30015, 'Maximum number of attachments in a message reached (10)'),
  // opcodes-and-status-codes.mdx has the code; the 413 status and this message are what Discord answers
  // (discord/discord-api-docs#8572: "413 Payload Too Large (40005: Request entity too large)").
  entityTooLarge: () => new ApiError(413, 40005, 'Request entity too large'),
  invalidFormBody: (errors: ErrorTree) => new ApiError(400, 50035, 'Invalid Form Body', errors),
} as const;

/** Collects field errors under dotted paths and builds Discord's nested tree. */
export class FormErrors {
  private tree: ErrorTree = {};
  private count = 0;

  add(path: Array<string | number>, code: string, message: string): void {
    let node: ErrorTree = this.tree;
    for (const part of path) {
      const key = String(part);
      const next = node[key];
      if (next === undefined || Array.isArray(next)) {
        const created: ErrorTree = {};
        node[key] = created;
        node = created;
      } else {
        node = next;
      }
    }
    (node._errors ??= []).push({ code, message });
    this.count += 1;
  }

  get empty(): boolean {
    return this.count === 0;
  }

  throwIfAny(): void {
    if (this.count > 0) throw Errors.invalidFormBody(this.tree);
  }
}
