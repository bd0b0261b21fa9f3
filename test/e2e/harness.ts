import { createPrivateKey } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bindings, ChildLoggerOptions, DestinationStream } from 'pino';
import { afterEach, onTestFinished } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { configSchema, type Config } from '../../src/config/schema.js';
import { joinChunks } from '../../src/discord/render/split.js';
import type { GatewayClientOptions } from '../../src/gateway/client.js';
import { createLogger, type Logger } from '../../src/log.js';
import { startCardGateway, type CardGateway } from '../fakes/gateway/card-gateway.js';
import { startOpenClawGateway, type OpenClawGateway, type OpenClawGatewayOptions } from '../fakes/gateway/openclaw-gateway.js';
import { onFakeDiscordStarted, startFakeDiscord, type FakeDiscord } from '../fakes/discord/index.js';
import type { FakeDiscordOptions, RecordedMessage } from '../fakes/discord/types.js';
import { onCleanup, waitFor } from '../gateway/helpers.js';
import { formatViolation } from '../spec/validate.js';

// --- Discord's spec, in every e2e test ----------------------------------------------------------------------------

/** Throws, naming each one, when the traffic of `fake` disagreed with Discord's OpenAPI spec or documented limits. */
export function expectNoSpecViolations(fake: FakeDiscord): void {
  const violations = fake.takeSpecViolations();
  if (violations.length === 0) return;
  const counted = new Map<string, number[]>();
  for (const v of violations) {
    const line = formatViolation(v);
    counted.set(line, [...(counted.get(line) ?? []), v.seq]);
  }
  const lines = [...counted].map(([line, seqs]) => `  ${line}  (request${seqs.length > 1 ? 's' : ''} #${seqs.slice(0, 5).join(', #')}${seqs.length > 5 ? ', …' : ''})`);
  throw new Error(`The fake Discord saw ${violations.length} disagreement(s) with Discord's API spec:\n${lines.join('\n')}`);
}

const checksOutsideTests = new Set<() => void>();

/**
 * Runs `check` once the current test and its cleanups are done (onTestFinished runs after them, so what happens
 * while the bot shuts down counts too); for something started in a beforeAll, after every test instead.
 */
function afterTest(check: () => void): void {
  try {
    onTestFinished(check);
  } catch {
    checksOutsideTests.add(check);
  }
}
afterEach(() => {
  for (const check of checksOutsideTests) check();
});

// Every fake Discord started where this harness is loaded (every e2e test) must see only traffic Discord's spec allows.
onFakeDiscordStarted((fake) => afterTest(() => expectNoSpecViolations(fake)));

// --- no secret in any log line ------------------------------------------------------------------------------------

const LOG_METHODS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);

/** Log lines the bot wrote, exactly as the project's logger serialises them, at level trace. */
export interface CapturedLog {
  lines: string[];
  logger: Logger;
}

/**
 * The bot's logger for a test: the project's own (createLogger: redaction, secret scrubbing) at level trace into
 * memory. A test's own logger still gets every call; the scanned copy gets it too.
 */
export function captureBotLog(own?: Logger): CapturedLog {
  const lines: string[] = [];
  const destination: DestinationStream = { write: (line: string) => void lines.push(line) };
  const scanned = createLogger({ level: 'trace', destination });
  return { lines, logger: own ? teeLogger(own, scanned) : scanned };
}

function teeLogger(own: Logger, scanned: Logger): Logger {
  return new Proxy(own, {
    get(target, prop, receiver) {
      if (prop === 'child') {
        return (bindings: Bindings, options?: ChildLoggerOptions<never>) => teeLogger(target.child(bindings, options), scanned.child(bindings, options));
      }
      if (prop === 'isLevelEnabled') return (level: string) => target.isLevelEnabled(level) || scanned.isLevelEnabled(level);
      if (typeof prop === 'string' && LOG_METHODS.has(prop)) {
        return (...args: unknown[]) => {
          (scanned[prop as 'info'] as (...a: unknown[]) => void)(...args);
          (target[prop as 'info'] as (...a: unknown[]) => void)(...args);
        };
      }
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
}

export interface NamedSecret {
  name: string;
  value: string;
}

/** The device's private key in every form a log line could carry it: PEM body lines, JWK `d`, raw hex. */
function deviceKeySecrets(path: string): NamedSecret[] {
  if (!existsSync(path)) return [];
  const pem = (JSON.parse(readFileSync(path, 'utf8')) as { privateKeyPem?: string }).privateKeyPem;
  if (!pem) return [];
  const key = createPrivateKey(pem);
  const d = key.export({ format: 'jwk' }).d ?? '';
  const body = pem.split('\n').filter((line) => line && !line.startsWith('-----'));
  return [
    { name: 'the device private key (PEM)', value: body.join('') },
    ...body.map((value) => ({ name: 'the device private key (PEM)', value })),
    { name: 'the device private key (JWK d)', value: d },
    { name: 'the device private key (hex)', value: Buffer.from(d, 'base64url').toString('hex') },
  ];
}

/** What the fakes issued to this bot: the Discord bot token, every interaction token, the gateway token, the device key. */
export function issuedSecrets(gateway: { token: string }, discord: FakeDiscord, deviceKeyPath: string): NamedSecret[] {
  const issued = discord.issuedSecrets();
  return [
    { name: 'the Discord bot token', value: issued.botToken },
    ...issued.interactionTokens.map((value) => ({ name: 'an interaction token', value })),
    { name: 'the gateway token', value: gateway.token },
    ...deviceKeySecrets(deviceKeyPath),
  ].filter((s) => s.value.length >= 8);
}

/** Throws, naming the secret and the line (with the secret masked), when a log line holds a secret. */
export function expectNoSecretsInLog(lines: readonly string[], secrets: readonly NamedSecret[]): void {
  const found: string[] = [];
  for (const line of lines) {
    for (const secret of secrets) {
      const escaped = JSON.stringify(secret.value).slice(1, -1);
      if (!line.includes(secret.value) && !line.includes(escaped)) continue;
      const masked = line.split(secret.value).join(`<${secret.name}>`).split(escaped).join(`<${secret.name}>`).trim();
      found.push(`  ${secret.name} in: ${masked.length > 400 ? `${masked.slice(0, 400)}…` : masked}`);
      break;
    }
  }
  if (found.length > 0) throw new Error(`${found.length} log line(s) hold a secret the fakes issued:\n${found.join('\n')}`);
}

export type GatewayKind = 'card' | 'openclaw-v3' | 'openclaw-v4';
export const GATEWAY_KINDS: GatewayKind[] = ['card', 'openclaw-v3', 'openclaw-v4'];

export interface StackOptions {
  gateway?: GatewayKind;
  /** Options for a fake OpenClaw gateway (exec approvals, timeouts). */
  openclaw?: Partial<OpenClawGatewayOptions>;
  discord?: FakeDiscordOptions;
  config?: Record<string, unknown>;
  /** Reuse a store file (restart tests). */
  storeFile?: string;
  /** The bot's logger. Every call also goes to a trace-level copy of the project's logger that is scanned for secrets. */
  logger?: Logger;
}

const FAST_GATEWAY: Partial<GatewayClientOptions> = {
  detectTimeoutMs: 300,
  reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
  recoveryIntervalMs: 100,
};

export async function startGateway(kind: GatewayKind, openclaw: Partial<OpenClawGatewayOptions> = {}): Promise<CardGateway | OpenClawGateway> {
  const gateway = kind === 'card' ? await startCardGateway() : await startOpenClawGateway({ protocol: kind === 'openclaw-v3' ? 3 : 4, deltaPacingMs: 20, ...openclaw });
  onCleanup(() => gateway.close());
  return gateway;
}

export function buildConfig(gateway: { url: string; token: string }, discord: FakeDiscord, options: StackOptions): Config {
  const dir = mkdtempSync(join(tmpdir(), 'clawcord-e2e-'));
  return configSchema.parse({
    gateway: { url: gateway.url, token: gateway.token, deviceKeyPath: join(dir, 'device.json'), requestTimeoutMs: 3_000, connectTimeoutMs: 3_000 },
    discord: { token: discord.token, apiBase: discord.restBase },
    store: { url: `sqlite://${options.storeFile ?? join(dir, 'state.sqlite')}` },
    health: { file: join(dir, 'health.json') },
    relay: { minEditIntervalMs: 250 },
    ...options.config,
  });
}

const logs = new WeakMap<App, string[]>();

/** The serialised log lines (JSON, one per line) a bot from startBot/startStack wrote so far. */
export function botLog(app: App): readonly string[] {
  return logs.get(app) ?? [];
}

/**
 * The bot in this process, logging at level trace into memory (or into the test's own logger as well). Once the test
 * and its cleanups are done, no log line may hold a secret the fakes issued.
 */
export async function startBot(gateway: { url: string; token: string }, discord: FakeDiscord, options: StackOptions = {}): Promise<App> {
  const config = buildConfig(gateway, discord, options);
  const log = captureBotLog(options.logger);
  let scanned = 0;
  afterTest(() => {
    const fresh = log.lines.slice(scanned);
    scanned = log.lines.length;
    expectNoSecretsInLog(fresh, issuedSecrets(gateway, discord, config.gateway.deviceKeyPath));
  });
  const app = await createApp(config, log.logger, FAST_GATEWAY);
  logs.set(app, log.lines);
  // The client goes before the fake Discord it talks to (see the fake's pitfalls).
  onCleanup(() => app.stop());
  await app.start();
  await app.gateway.ready();
  return app;
}

/** A fake Discord, a fake gateway and the bot between them. */
export async function startStack(options: StackOptions = {}) {
  const gateway = await startGateway(options.gateway ?? 'openclaw-v4', options.openclaw);
  const discord = await startFakeDiscord({ rateLimits: false, ...options.discord });
  onCleanup(() => discord.close());
  const app = await startBot(gateway, discord, options);
  return { gateway, discord, app };
}

/** The small print under a reply (Discord `-# ` subtext): its status line while live, its footer once final. */
const SUBTEXT_TAIL = /(?:\n+-# [^\n]*)+$/;

/** The text a person reads across the bot's messages for one reply: without the splitter's fence lines and the footer. */
export function replyText(messages: RecordedMessage[]): string {
  const body = (m: RecordedMessage, i: number) => (i === 0 && m.replyTo ? m.content.replace(ASKER_MENTION, '') : m.content);
  return joinChunks(messages.map((m, i) => (i === messages.length - 1 ? body(m, i).replace(SUBTEXT_TAIL, '') : body(m, i))));
}

/** The line that opens a final sent below a slow answer's reply, pinging the asker (relay.notifyAfterMs). */
const ASKER_MENTION = /^<@\d+>\n/;

/** The subtext lines under a reply's last message (its status line or footer), without their `-# ` marks. */
export function replySubtext(messages: RecordedMessage[]): string[] {
  const tail = SUBTEXT_TAIL.exec(messages.at(-1)?.content ?? '')?.[0] ?? '';
  return tail.split('\n').filter((line) => line.startsWith('-# ')).map((line) => line.slice(3));
}

/** The bot's visible messages for the reply to an /ask: the original and what followed it. */
export function replyMessages(discord: FakeDiscord, token: string, channelId?: string): RecordedMessage[] {
  const view = discord.interaction(token);
  if (!view?.original) return [];
  const original = view.original;
  // A slow answer's final goes below, in a new message, and the reply becomes a stub linking to it
  // (relay.notifyAfterMs): what a member reads is that message and the ones after it.
  const below = FINAL_BELOW.exec(original.content);
  const first = below ? discord.message(below[2]!) : undefined;
  if (first) return [first, ...discord.messages(first.channelId).filter((m) => m.byBot && !m.deleted && !m.ephemeral && m.createdAt >= first.createdAt && m.id !== first.id && m.replyTo !== original.id && m.replyTo !== first.id)];
  const later = discord
    .messages(channelId ?? view.channelId)
    // Approval cards reply to the reply's first message; they are messages of their own.
    .filter((m) => m.byBot && !m.deleted && !m.ephemeral && m.createdAt >= original.createdAt && m.id !== original.id && m.replyTo !== original.id);
  return [original, ...later];
}

const FINAL_BELOW = /^⏬ Answered below: https:\/\/discord\.com\/channels\/[^/]+\/(\d+)\/(\d+)$/;

export function isLive(message: RecordedMessage): boolean {
  return message.components.length > 0;
}

/** Waits until no message of the reply is live and nothing has changed for a moment; returns them. */
export async function waitForSettledReply(discord: FakeDiscord, token: string, channelId?: string, timeoutMs = 10_000): Promise<RecordedMessage[]> {
  let last = '';
  let stableSince = Date.now();
  return waitFor(
    () => {
      const messages = replyMessages(discord, token, channelId);
      const settled = messages.length > 0 && messages.every((m) => m.content !== '' && !isLive(m) && !m.content.startsWith('⏳'));
      const snapshot = JSON.stringify(messages.map((m) => [m.id, m.content]));
      if (snapshot !== last || !settled) {
        last = snapshot;
        stableSince = Date.now();
        return undefined;
      }
      return Date.now() - stableSince >= 300 ? messages : undefined;
    },
    timeoutMs,
    'the reply to settle',
  );
}
