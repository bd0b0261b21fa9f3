// What a `chat.send` text turns into on a real gateway, which treats every chat.send sender as an authorized
// command sender (v3 src/gateway/server-methods/chat.ts `CommandAuthorized: true`; v4 chat-send-user-turn.ts
// `CommandAuthorized: !suppressCommandInterpretation`): a stop, a gateway reply with no model run (directive-only or
// command-only text), or a model run on the text left once directives and inline shortcuts are removed.
import {
  extractInlineCommand,
  hasSessionDirective,
  isStopCommand,
  normalizeThink,
  parseDirectives,
  stripInlineStatus,
  stripStructuralPrefixes,
  type InlineCommand,
  type ParsedDirectives,
} from './openclaw-directives.js';
import type { ProtocolVersion } from './protocol-tables.js';

export interface SessionPatch {
  model?: string;
  thinkingLevel?: string;
  verboseLevel?: string;
  reasoningLevel?: string;
  /** `/queue <mode>` alone persists the session's queue mode (F-findings STEER: v3 `/queue steer`). */
  queueMode?: string;
}

export type ChatInput =
  /** `/stop` or a stop word: the session's runs are aborted and chat.send answers `{ok, aborted, runIds}`. */
  | { kind: 'stop' }
  /** No model run: the gateway answers with `text` itself. */
  | { kind: 'reply'; text: string; patch: SessionPatch }
  /** No model run: the turn fails with this `chat` error (v4: an unsupported thinking level). */
  | { kind: 'error'; errorMessage: string; patch: SessionPatch }
  /** A model run on `agentText`. Inline shortcuts that ran had their replies dropped (v3: block replies). */
  | {
      kind: 'run';
      agentText: string;
      patch: SessionPatch;
      /** This message's thinking level (v4 inline `/think`, or the `thinking` param). */
      thinkingLevel?: string;
      /** This message's `/exec security=… ask=…` (v4 only; v3 drops inline hints). */
      exec?: Record<string, string>;
      inline: Array<InlineCommand | '/status'>;
      /** v4 inline `/model`: the acknowledgement sent as a delta before the run and as a second final after it. */
      notice?: string;
    };

export interface InputContext {
  protocol: ProtocolVersion;
  /** The `thinking` param. */
  thinking?: string;
  /** v4 `suppressCommandInterpretation: true`. */
  suppressed: boolean;
  /** `provider/id` of a known model named by `raw` (a full ref or a bare id), else undefined. */
  resolveModel(raw: string): string | undefined;
  /** The session's effective model and the agent's default. */
  currentModel: string;
  defaultModel: string;
  levels: { thinkingLevel?: string; verboseLevel?: string; reasoningLevel?: string };
  /** Thinking levels a model supports (v4 reads them from the model catalog: a non-reasoning model has only `off`). */
  thinkingLevels(modelRef: string): readonly string[];
  /** Text of a command reply (`/status`, `/help`, `/commands`, `/whoami`). */
  commandReply(command: InlineCommand | '/status'): string;
  /** The turn carries attachments the model gets, so it runs even with no text. */
  hasMedia?: boolean;
}

const THINK_LEVELS = 'off, minimal, low, medium, high';
const GEAR = '⚙️';
const ack = (text: string): string => `${GEAR} ${text}`;

/** Reads one chat.send text the way the real gateway's reply pipeline does. */
export function interpretChatInput(text: string, ctx: InputContext): ChatInput {
  const { protocol } = ctx;
  if (!ctx.suppressed && isStopCommand(text, protocol)) return { kind: 'stop' };
  // Suppressed, nothing is read as a command; the thinking level is still checked (it is not a command).
  if (ctx.suppressed) return v4Run(text, { cleaned: text, status: false }, [], ctx);

  // v3 turns the `thinking` param into a leading `/think` directive of the command text (chat.ts `commandBody`).
  const trimmed = text.trim();
  const commandText =
    protocol === 3 && ctx.thinking && trimmed !== '' && !trimmed.startsWith('/') ? `/think ${ctx.thinking} ${text}` : text;
  let parsed = parseDirectives(commandText, protocol);
  const inlineStatus = parsed.status && parsed.cleaned.trim() !== '';
  if (inlineStatus) parsed = { ...parsed, status: false };
  const directiveOnly = hasSessionDirective(parsed) && stripStructuralPrefixes(parsed.cleaned, protocol) === '';

  let agentText: string;
  if (protocol === 3) {
    // v3 get-reply-directives.ts: directives beside other text are all dropped, none applied, yet the body the model
    // gets is still parsed (and its whitespace collapsed) by the same extractors.
    if (hasSessionDirective(parsed) && !directiveOnly) parsed = { cleaned: parsed.cleaned, status: parsed.status };
    agentText = stripInlineStatus(parseDirectives(text, 3).cleaned, 3);
  } else {
    // v4 get-reply-directives-routing.ts: only the recognized spans go; directives beside text stay as hints.
    if (!directiveOnly) parsed = keepV4Hints(parsed);
    const cleanedCommand = stripInlineStatus(parsed.cleaned, 4);
    agentText = cleanedCommand !== commandText ? cleanedCommand : text;
  }

  const inline: Array<InlineCommand | '/status'> = inlineStatus ? ['/status'] : [];
  const shortcut = extractInlineCommand(agentText, protocol);
  if (shortcut) {
    agentText = shortcut.cleaned;
    if (agentText.trim() === '') return { kind: 'reply', text: ctx.commandReply(shortcut.command), patch: {} };
    inline.push(shortcut.command);
  }

  if (directiveOnly) return applyDirectiveOnly(parsed, ctx);
  if (parsed.status && agentText.trim() === '') return { kind: 'reply', text: ctx.commandReply('/status'), patch: {} };
  // v4 keeps `/elevated` beside text, then refuses it: elevated exec is off unless the host enables it.
  if (parsed.elevated) return { kind: 'reply', text: elevatedUnavailable(), patch: {} };

  if (agentText.trim() === '' && !ctx.hasMedia)
    return { kind: 'reply', text: "I didn't receive any text in your message. Please resend or add a caption.", patch: {} };

  // v3 dropped every inline hint above, the `thinking` param's `/think` included.
  if (protocol === 3) return { kind: 'run', agentText, patch: {}, inline };
  return v4Run(agentText, parsed, inline, ctx);
}

/** A v4 model run: an inline `/model` persists, and an explicit thinking level must suit the model. */
function v4Run(agentText: string, parsed: ParsedDirectives, inline: Array<InlineCommand | '/status'>, ctx: InputContext): ChatInput {
  const patch: SessionPatch = {};
  let notice: string | undefined;
  if (parsed.model?.raw !== undefined) {
    // "an authorized inline /model … persists the session selection" (v4 docs/tools/slash-commands.md).
    const ref = ctx.resolveModel(parsed.model.raw);
    if (ref !== undefined) {
      patch.model = ref;
      notice = modelAck(ref, ctx, 4);
    }
  }
  const thinkingLevel = parsed.think?.level ?? normalizeThink(ctx.thinking);
  const runModel = patch.model ?? ctx.currentModel;
  // get-reply-run-admission.ts: an explicit level the model does not support fails the turn before any model call.
  if (thinkingLevel !== undefined && !ctx.thinkingLevels(runModel).includes(thinkingLevel)) {
    const levels = ctx.thinkingLevels(runModel).join(', ');
    return { kind: 'error', errorMessage: `Thinking level "${thinkingLevel}" is not supported for ${runModel}. Use one of: ${levels}.`, patch };
  }
  const run: ChatInput = { kind: 'run', agentText, patch, inline };
  if (thinkingLevel !== undefined) run.thinkingLevel = thinkingLevel;
  if (parsed.exec && Object.keys(parsed.exec.options).length > 0) run.exec = parsed.exec.options;
  if (notice !== undefined) run.notice = notice;
  return run;
}

/** v3 "Model set to p/m."; v4 says the choice is the session's (live, H-B's interop run). */
function modelAck(ref: string, ctx: InputContext, protocol: ProtocolVersion): string {
  if (ref === ctx.defaultModel) return `Model reset to default (${ref}).`;
  return protocol === 3 ? `Model set to ${ref}.` : `Model set to ${ref} for this session only; configured default unchanged.`;
}

/** v4 beside other text: `/model`, `/model list|status` give no selection; exec keeps only security/ask. */
function keepV4Hints(parsed: ParsedDirectives): ParsedDirectives {
  const next = { ...parsed };
  const modelRaw = parsed.model?.raw?.trim().toLowerCase() ?? '';
  if (parsed.model && ['', 'list', 'status'].includes(modelRaw)) delete next.model;
  if (parsed.exec) {
    const { security, ask } = parsed.exec.options;
    const options: Record<string, string> = {};
    if (security !== undefined) options.security = security;
    if (ask !== undefined) options.ask = ask;
    if (Object.keys(options).length > 0) next.exec = { options };
    else delete next.exec;
  }
  return next;
}

function elevatedUnavailable(): string {
  return [
    'elevated is not available right now (runtime=direct).',
    'Fix-it keys: tools.elevated.enabled, tools.elevated.allowFrom.<provider>, agents.list[].tools.elevated.*',
  ].join('\n');
}

/** A message that is only directives: they persist and the gateway acknowledges (directive-handling.impl.ts). */
function applyDirectiveOnly(d: ParsedDirectives, ctx: InputContext): ChatInput {
  const patch: SessionPatch = {};
  const reply = (text: string): ChatInput => ({ kind: 'reply', text, patch });
  let model: string | undefined;
  const modelRaw = d.model?.raw;
  if (d.model && modelRaw !== undefined && !['status', 'list'].includes(modelRaw.toLowerCase())) {
    model = ctx.resolveModel(modelRaw);
    if (model === undefined)
      return reply(`Unrecognized model "${modelRaw}". Use /models to list providers, or /models <provider> to list models.`);
  } else if (d.model) {
    return reply(`Current model: ${ctx.currentModel}.`);
  }
  if (d.think && d.think.level === undefined) {
    if (d.think.raw === undefined) return reply(`Current thinking level: ${ctx.levels.thinkingLevel ?? 'off'}.\nOptions: ${THINK_LEVELS}.`);
    return reply(`Unrecognized thinking level "${d.think.raw}". Valid levels: ${THINK_LEVELS}.`);
  }
  if (d.verbose && d.verbose.level === undefined) {
    if (d.verbose.raw === undefined) return reply(`Current verbose level: ${ctx.levels.verboseLevel ?? 'off'}.\nOptions: on, full, off.`);
    return reply(`Unrecognized verbose level "${d.verbose.raw}". Valid levels: off, on, full.`);
  }
  if (d.reasoning && d.reasoning.level === undefined) {
    if (d.reasoning.raw === undefined) return reply(`Current reasoning level: ${ctx.levels.reasoningLevel ?? 'off'}.\nOptions: on, off, stream.`);
    return reply(`Unrecognized reasoning level "${d.reasoning.raw}". Valid levels: on, off, stream.`);
  }
  if (d.elevated) return reply(elevatedUnavailable());

  const thinkModel = model ?? ctx.currentModel;
  if (ctx.protocol === 4 && d.think?.level && !ctx.thinkingLevels(thinkModel).includes(d.think.level)) {
    // v4 directive-handling.impl.ts: the level must suit the (new) model.
    return reply(`Thinking level "${d.think.level}" is not supported for ${thinkModel}. Use one of: ${ctx.thinkingLevels(thinkModel).join(', ')}.`);
  }
  const parts: string[] = [];
  if (d.think?.level) {
    patch.thinkingLevel = d.think.level;
    parts.push(d.think.level === 'off' ? 'Thinking disabled.' : `Thinking level set to ${d.think.level}.`);
  }
  if (d.verbose?.level) {
    patch.verboseLevel = d.verbose.level;
    const what = { off: 'Verbose logging disabled.', full: 'Verbose logging set to full.' }[d.verbose.level as 'off' | 'full'];
    parts.push(ack(what ?? 'Verbose logging enabled.'));
  }
  if (d.reasoning?.level) {
    patch.reasoningLevel = d.reasoning.level;
    const what = { off: 'Reasoning visibility disabled.', stream: 'Reasoning stream enabled (Telegram only).' }[
      d.reasoning.level as 'off' | 'stream'
    ];
    parts.push(ack(what ?? 'Reasoning visibility enabled.'));
  }
  if (d.exec) {
    const entries = Object.entries(d.exec.options);
    parts.push(
      entries.length > 0
        ? ack(`Exec defaults set (${entries.map(([k, v]) => `${k}=${v}`).join(', ')}).`)
        : 'Current exec defaults: host=sandbox, security=deny, ask=on-miss, node=(unset).',
    );
  }
  if (model !== undefined) {
    patch.model = model;
    parts.push(modelAck(model, ctx, ctx.protocol));
  }
  if (d.queue?.mode) {
    patch.queueMode = d.queue.mode;
    parts.push(ack(`Queue mode set to ${d.queue.mode}.`));
  }
  else if (d.queue?.reset) parts.push(ack('Queue mode reset to default.'));
  const text = parts.join(' ').trim() || 'OK.';
  return reply(d.status ? `${text}\n${ctx.commandReply('/status')}` : text);
}
