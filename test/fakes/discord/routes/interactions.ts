// Interaction routes: the callback (types 4–9, with_response, the ack deadline, double acks) and the interaction
// webhook (@original, follow-ups, follow-up messages) with the token's lifetime.
import type { FakeContext } from '../context.js';
import { ApiError, Errors, FormErrors } from '../errors.js';
import { json, type RouteDef, type RouteRequest, type RouteResult } from '../http-server.js';
import { createMessage, editMessage } from '../messages.js';
import { messageObject } from '../objects.js';
import { MessageFlags, type StoredInteraction, type StoredInteractionMeta, type StoredMessage } from '../store.js';
import type { CallbackRecord, JsonObject } from '../types.js';

export const InteractionType = { Ping: 1, ApplicationCommand: 2, MessageComponent: 3, Autocomplete: 4, ModalSubmit: 5 } as const;

export const CallbackType = {
  ChannelMessageWithSource: 4,
  DeferredChannelMessageWithSource: 5,
  DeferredUpdateMessage: 6,
  UpdateMessage: 7,
  AutocompleteResult: 8,
  Modal: 9,
} as const;

const ALLOWED_CALLBACKS: Record<number, number[]> = {
  [InteractionType.ApplicationCommand]: [4, 5, 9],
  [InteractionType.MessageComponent]: [4, 5, 6, 7, 9],
  [InteractionType.Autocomplete]: [8],
  [InteractionType.ModalSubmit]: [4, 5, 6, 7],
};

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Message type of a reply: 20 chat input, 23 context menu, 0 for component and modal replies. */
function replyType(i: StoredInteraction): number {
  if (i.type !== InteractionType.ApplicationCommand) return 0;
  return i.commandType === 1 ? 20 : 23;
}

function interactionMeta(i: StoredInteraction, originalResponseMessageId: string | null): StoredInteractionMeta {
  return {
    id: i.id,
    type: i.type,
    name: i.commandName,
    userId: i.userId,
    commandType: i.commandType,
    interactedMessageId: i.componentMessageId,
    originalResponseMessageId,
  };
}

export function interactionRoutes(ctx: FakeContext): RouteDef[] {
  const { store } = ctx;

  const channelOf = (i: StoredInteraction) => {
    const channel = store.channel(i.channelId);
    if (!channel) throw Errors.unknownChannel();
    return channel;
  };

  const newMessage = (i: StoredInteraction, req: RouteRequest, source: 'interaction-response' | 'follow-up', body: JsonObject, extra: { serverFlags?: number; placeholder?: boolean } = {}): StoredMessage => {
    const message = createMessage({
      store,
      channel: channelOf(i),
      authorId: ctx.botUserId,
      byBot: true,
      source,
      body,
      files: req.files,
      route: req.route,
      type: replyType(i),
      allowEphemeral: true,
      interactionToken: i.token,
      interaction: interactionMeta(i, source === 'follow-up' ? i.originalMessageId : null),
      webhookId: i.applicationId,
      ...extra,
    });
    ctx.postInto(channelOf(i));
    store.addMessage(message);
    ctx.emitMessage('MESSAGE_CREATE', message);
    return message;
  };

  const original = (i: StoredInteraction): StoredMessage => {
    const id = i.originalMessageId;
    const m = id ? store.message(id) : undefined;
    if (!m || m.deleted) throw Errors.unknownMessage();
    return m;
  };

  /** A message reachable through this interaction's webhook: @original or one of its follow-ups. */
  const webhookMessage = (i: StoredInteraction, messageId: string): StoredMessage => {
    if (messageId === '@original') return original(i);
    const m = store.message(messageId);
    if (!m || m.deleted || (m.id !== i.originalMessageId && !i.followUpIds.includes(m.id))) throw Errors.unknownMessage();
    return m;
  };

  const edit = (i: StoredInteraction, m: StoredMessage, req: RouteRequest): RouteResult => {
    ctx.requireNotArchived(m);
    editMessage({ store, message: m, body: req.body, files: req.files, route: req.route, interactionToken: i.token });
    ctx.emitMessage('MESSAGE_UPDATE', m);
    return json(200, messageObject(store, m));
  };

  const remove = (m: StoredMessage): RouteResult => {
    ctx.requireNotArchived(m);
    m.deleted = true;
    m.deletedAt = Date.now();
    store.cdn.forget(m.attachments.map((a) => a.id));
    ctx.emitMessageDelete(m);
    return json(204);
  };

  const validateChoices = (data: JsonObject): JsonObject[] => {
    const errors = new FormErrors();
    const choices = Array.isArray(data['choices']) ? (data['choices'] as unknown[]).filter(isObject) : [];
    if (choices.length > 25) errors.add(['data', 'choices'], 'BASE_TYPE_MAX_LENGTH', 'Must be 25 or fewer in length.');
    choices.forEach((c, n) => {
      const name = c['name'];
      if (typeof name !== 'string' || name.length < 1 || name.length > 100) {
        errors.add(['data', 'choices', n, 'name'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.');
      }
      const value = c['value'];
      if (typeof value === 'string' && value.length > 100) errors.add(['data', 'choices', n, 'value'], 'BASE_TYPE_MAX_LENGTH', 'Must be 100 or fewer in length.');
      if (typeof value !== 'string' && typeof value !== 'number') errors.add(['data', 'choices', n, 'value'], 'BASE_TYPE_REQUIRED', 'This field is required');
    });
    errors.throwIfAny();
    return choices;
  };

  const validateModal = (data: JsonObject): void => {
    const errors = new FormErrors();
    const customId = data['custom_id'];
    if (typeof customId !== 'string' || customId.length < 1 || customId.length > 100) errors.add(['data', 'custom_id'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.');
    const title = data['title'];
    if (typeof title !== 'string' || title.length < 1 || title.length > 45) errors.add(['data', 'title'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 45 in length.');
    const components = Array.isArray(data['components']) ? data['components'] : [];
    if (components.length < 1 || components.length > 5) errors.add(['data', 'components'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 5 in length.');
    errors.throwIfAny();
  };

  const callback = (req: RouteRequest): RouteResult => {
    const i = store.interactions.get(req.params['interaction']!);
    if (!i || i.token !== req.params['token']) throw Errors.unknownInteraction();
    const type = req.body['type'];
    const data = isObject(req.body['data']) ? req.body['data'] : {};
    const withResponse = req.query['with_response'] === 'true';
    const record: CallbackRecord = {
      type: typeof type === 'number' ? type : -1,
      data: req.body['data'],
      at: req.receivedAt,
      latencyMs: req.receivedAt + ctx.clockOffsetMs - i.dispatchedAt,
      status: 0,
      withResponse,
      errorCode: null,
    };
    i.callbacks.push(record);
    try {
      // An acknowledged interaction stays known: a second callback is 40060 however late it comes.
      if (i.ackedAt !== null) throw Errors.alreadyAcknowledged();
      const deadline = ctx.options.ackDeadlineMs;
      if (deadline !== null && record.latencyMs > deadline) throw Errors.unknownInteraction();
      if (typeof type !== 'number' || !(ALLOWED_CALLBACKS[i.type] ?? []).includes(type) || ((type === 6 || type === 7) && !i.componentMessageId)) {
        const errors = new FormErrors();
        errors.add(['type'], 'INTERACTION_CALLBACK_TYPE_INVALID', `Interaction callback type ${String(type)} is not valid for interaction type ${i.type}.`);
        errors.throwIfAny();
      }
      let message: StoredMessage | null = null;
      switch (type) {
        case CallbackType.ChannelMessageWithSource:
          message = newMessage(i, req, 'interaction-response', data);
          i.originalMessageId = message.id;
          break;
        case CallbackType.DeferredChannelMessageWithSource: {
          const flags = typeof data['flags'] === 'number' ? data['flags'] & MessageFlags.Ephemeral : 0;
          message = newMessage(i, req, 'interaction-response', { flags }, { serverFlags: MessageFlags.Loading, placeholder: true });
          i.originalMessageId = message.id;
          break;
        }
        case CallbackType.DeferredUpdateMessage:
          i.originalMessageId = i.componentMessageId;
          message = store.message(i.componentMessageId!) ?? null;
          break;
        case CallbackType.UpdateMessage: {
          const target = store.message(i.componentMessageId!);
          if (!target || target.deleted) throw Errors.unknownMessage();
          editMessage({ store, message: target, body: data, files: req.files, route: req.route, interactionToken: i.token });
          ctx.emitMessage('MESSAGE_UPDATE', target);
          i.originalMessageId = target.id;
          message = target;
          break;
        }
        case CallbackType.AutocompleteResult:
          i.choices = validateChoices(data);
          break;
        case CallbackType.Modal:
          validateModal(data);
          i.modal = data;
          break;
      }
      i.ackedAt = req.receivedAt;
      i.ackType = type as number;
      const result: RouteResult = withResponse ? json(200, callbackResponse(i, type as number, message)) : json(204);
      record.status = result.status;
      return result;
    } catch (err) {
      if (err instanceof ApiError) {
        record.status = err.status;
        record.errorCode = err.code;
      }
      throw err;
    }
  };

  /**
   * The Interaction Callback Response. receiving-and-responding.mdx, Interaction Callback Resource Object: `message`
   * only for types 4 and 7. The spec's InteractionCallbackResponse has `resource` branches for types 4, 7 and 12
   * only, so every other type answers no `resource`. A deferral names its loading message in
   * `interaction.response_message_id`.
   */
  const callbackResponse = (i: StoredInteraction, type: number, message: StoredMessage | null): JsonObject => {
    const interaction: JsonObject = { id: i.id, type: i.type };
    const created = type === CallbackType.ChannelMessageWithSource || type === CallbackType.DeferredChannelMessageWithSource || type === CallbackType.UpdateMessage;
    if (message && created) {
      Object.assign(interaction, {
        response_message_id: message.id,
        response_message_loading: (message.flags & MessageFlags.Loading) !== 0,
        response_message_ephemeral: (message.flags & MessageFlags.Ephemeral) !== 0,
      });
    }
    const withMessage = type === CallbackType.ChannelMessageWithSource || type === CallbackType.UpdateMessage;
    return message && withMessage ? { interaction, resource: { type, message: messageObject(store, message) } } : { interaction };
  };

  const followUp = (req: RouteRequest): RouteResult => {
    const i = ctx.interactionForWebhook(req.params['app']!, req.params['token']!);
    if (i.ackedAt === null) throw Errors.unknownWebhook();
    let message: StoredMessage;
    const current = i.originalMessageId ? store.message(i.originalMessageId) : undefined;
    if (i.ackType === CallbackType.DeferredChannelMessageWithSource && current && !current.deleted && current.flags & MessageFlags.Loading) {
      // receiving-and-responding.mdx, Create Followup Message: right after a type 5 deferral this acts as Edit
      // Original Interaction Response, and its ephemeral flag is ignored (the deferral's choice stays; editMessage
      // never changes that flag). What Discord does once @original was deleted is not documented; the fake then
      // makes a new follow-up.
      ctx.requireNotArchived(current);
      editMessage({ store, message: current, body: req.body, files: req.files, route: req.route, interactionToken: i.token });
      ctx.emitMessage('MESSAGE_UPDATE', current);
      message = current;
    } else {
      message = newMessage(i, req, 'follow-up', req.body);
      i.followUpIds.push(message.id);
    }
    return req.query['wait'] === 'true' ? json(200, messageObject(store, message)) : json(204);
  };

  const webhook = (req: RouteRequest) => ctx.interactionForWebhook(req.params['app']!, req.params['token']!);

  return [
    { method: 'POST', template: '/interactions/:interaction/:token/callback', auth: 'none', handler: callback },
    { method: 'POST', template: '/webhooks/:app/:token', auth: 'none', limit: 'webhook', handler: followUp },
    {
      method: 'GET',
      template: '/webhooks/:app/:token/messages/@original',
      auth: 'none',
      limit: 'webhook',
      handler: (req) => json(200, messageObject(store, original(webhook(req)))),
    },
    {
      method: 'PATCH',
      template: '/webhooks/:app/:token/messages/@original',
      auth: 'none',
      limit: 'webhook',
      handler: (req) => {
        const i = webhook(req);
        return edit(i, original(i), req);
      },
    },
    {
      method: 'DELETE',
      template: '/webhooks/:app/:token/messages/@original',
      auth: 'none',
      limit: 'webhook',
      handler: (req) => remove(original(webhook(req))),
    },
    {
      method: 'GET',
      template: '/webhooks/:app/:token/messages/:message',
      auth: 'none',
      limit: 'webhook',
      handler: (req) => json(200, messageObject(store, webhookMessage(webhook(req), req.params['message']!))),
    },
    {
      method: 'PATCH',
      template: '/webhooks/:app/:token/messages/:message',
      auth: 'none',
      limit: 'webhook',
      handler: (req) => {
        const i = webhook(req);
        return edit(i, webhookMessage(i, req.params['message']!), req);
      },
    },
    {
      method: 'DELETE',
      template: '/webhooks/:app/:token/messages/:message',
      auth: 'none',
      limit: 'webhook',
      handler: (req) => remove(webhookMessage(webhook(req), req.params['message']!)),
    },
  ];
}
