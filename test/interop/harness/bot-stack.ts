// The whole bot against one real OpenClaw gateway: its fake LLM, the gateway, a fake Discord, the real bot process
// (dist, GATEWAY_PROTOCOL=auto) and an operator socket beside it. What the interop bot tests share.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeDiscord, type FakeDiscord } from '../../fakes/discord/index.js';
import type { RecordedMessage } from '../../fakes/discord/types.js';
import { isLive, replyMessages, waitForSettledReply } from '../../e2e/harness.js';
import { spawnBot, type BotProcess } from '../../e2e/process.js';
import { startFakeLlm, type FakeLlm, type FakeLlmOptions } from './fake-llm.js';
import { startOpenClawGateway, type OpenClawVersion, type RunningGateway, type StartOpenClawOptions } from './openclaw.js';
import { connectOperator, type Operator } from './operator.js';
import { deviceKeySecrets, findSecrets, MEDIA_TICKET_SHAPES, type Secret, type SecretShape } from './secrets.js';

/** A token shaped like Discord's (id.timestamp.hmac), different in every run. */
export function botToken(): string {
  const part = (n: number) => randomBytes(n).toString('base64url');
  return `${part(18)}.${part(4)}.${part(28)}`;
}

export interface BotStack {
  version: OpenClawVersion;
  llm: FakeLlm;
  gateway: RunningGateway;
  discord: FakeDiscord;
  /** The bot process now running (replaced by restartBot). */
  bot: BotProcess;
  /** Every bot process this stack started, for the secret scan. */
  bots: BotProcess[];
  operator: Operator;
  deviceKeyFile: string;
  /** Kills the bot (SIGKILL, as a crash would) and starts a new one on the same store and device; resolves once it runs. */
  restartBot(): Promise<BotProcess>;
  close(): Promise<void>;
}

export interface BotStackOptions {
  version: OpenClawVersion;
  channels: string[];
  llm?: FakeLlmOptions;
  gateway?: Omit<StartOpenClawOptions, 'version' | 'llmBaseUrl'>;
}

export async function startBotStack(opts: BotStackOptions): Promise<BotStack> {
  const llm = await startFakeLlm(opts.llm ?? { tokenDelayMs: 120 });
  const gateway = await startOpenClawGateway({ version: opts.version, llmBaseUrl: llm.baseUrl, ...opts.gateway });
  const discord = await startFakeDiscord({ token: botToken(), guilds: [{ name: 'Team', channels: opts.channels.map((name) => ({ name })) }] });
  const operator = await connectOperator(gateway.url, gateway.token);
  const dir = mkdtempSync(join(tmpdir(), 'clawcord-interop-agents-'));
  const config = join(dir, 'config.json');
  const deviceKeyFile = join(dir, 'device.json');
  writeFileSync(config, JSON.stringify({ relay: { minEditIntervalMs: 300 }, gateway: { lostRunGraceMs: 15_000, deviceKeyPath: deviceKeyFile } }));
  const env = {
    DISCORD_TOKEN: discord.token,
    DISCORD_API_BASE: discord.restBase,
    GATEWAY_URL: gateway.url,
    GATEWAY_TOKEN: gateway.token,
    GATEWAY_PROTOCOL: 'auto',
    STORE_URL: `sqlite://${join(dir, 'state.sqlite')}`,
    CLAWCORD_CONFIG: config,
    // debug: the secret scan at the end reads every line the bot can write
    LOG_LEVEL: 'debug',
  };
  const bots: BotProcess[] = [];
  const start = async () => {
    const bot = spawnBot(env, { outliveTest: true });
    bots.push(bot);
    await bot.waitForLog(/connected to the gateway/, 60_000);
    await bot.waitForLog(/clawcord is running/, 60_000);
    return bot;
  };
  const stack: BotStack = {
    version: opts.version,
    llm,
    gateway,
    discord,
    bot: await start(),
    bots,
    operator,
    deviceKeyFile,
    async restartBot() {
      stack.bot.child.kill('SIGKILL');
      await stack.bot.exited;
      stack.bot = await start();
      return stack.bot;
    },
    async close() {
      stack.bot.child.kill('SIGKILL');
      await stack.bot.exited;
      await operator.close();
      await discord.close();
      await gateway.stop();
      await llm.close();
    },
  };
  return stack;
}

/** Log lines of the stack's bot processes that hold one of its secrets (bot and interaction tokens, the gateway
 * token, the device key, any media ticket), and how many lines were read. */
export function leakedSecrets(stack: BotStack): { leaks: string[]; lines: number; secrets: number } {
  const secrets: Array<Secret | SecretShape> = [
    { name: 'the gateway token', value: stack.gateway.token },
    { name: 'the Discord bot token', value: stack.discord.token },
    ...stack.discord.interactions().map((i) => ({ name: `the token of interaction ${i.id}`, value: i.token })),
    ...deviceKeySecrets(stack.deviceKeyFile),
    ...MEDIA_TICKET_SHAPES,
  ];
  const leaks = stack.bots.flatMap((b, n) => findSecrets(b.output, secrets).map((hit) => `bot process ${n + 1}, ${hit}`));
  return { leaks, lines: stack.bots.reduce((sum, b) => sum + b.output.length, 0), secrets: secrets.length };
}

/** waitForSettledReply, failing with what the reply shows when it does not settle. */
export async function settledReply(discord: FakeDiscord, token: string, timeoutMs: number, channelId?: string): Promise<RecordedMessage[]> {
  try {
    return await waitForSettledReply(discord, token, channelId, timeoutMs);
  } catch (error) {
    const shown = replyMessages(discord, token, channelId).map((m) => `${isLive(m) ? 'live' : 'final'}: ${JSON.stringify(m.content.slice(-300))}`);
    throw new Error(`the reply did not settle within ${timeoutMs / 1000} s; it shows ${shown.join(' | ') || 'nothing'}`, { cause: error });
  }
}

/** A line of what a test saw on one real version, for the run's log. */
export function checked(version: string, what: string): void {
  console.log(`✓ openclaw@${version}: ${what}`);
}

/** The bot stacks of one test file, one per version, started in its beforeAll. */
export class BotStacks {
  private readonly stacks = new Map<OpenClawVersion, BotStack>();

  set(version: OpenClawVersion, stack: BotStack): void {
    this.stacks.set(version, stack);
  }

  of(version: OpenClawVersion): BotStack {
    const stack = this.stacks.get(version);
    if (!stack) throw new Error(`openclaw@${version} did not start`);
    return stack;
  }

  all(): BotStack[] {
    return [...this.stacks.values()];
  }
}

/** What every interop file checks last, per version: nothing left the machine, and no log line holds a secret. */
export function describeEndChecks(versions: readonly OpenClawVersion[], stacks: BotStacks): void {
  describe.each(versions)('openclaw@%s, at the end', (version) => {
    it('sent nothing off the machine', () => {
      const records = stacks.of(version).gateway.netguardRecords();
      expect(records.filter((record) => !record.blocked)).toEqual([]);
    });

    it('no line the bot processes logged holds a bot token, an interaction token, the gateway token, a device key or a media ticket', () => {
      const { leaks, lines, secrets } = leakedSecrets(stacks.of(version));
      expect(leaks).toEqual([]);
      expect(lines).toBeGreaterThan(0);
      checked(version, `${lines} log lines hold none of ${secrets} secrets`);
    });
  });
}
