// Runs one scenario with one edit policy: a fresh fake Discord, a fresh bench gateway, a fresh bot process.
import { writeFileSync } from 'node:fs';
import type { EditPolicy } from '../src/relay/pacer.js';
import { startFakeDiscord } from '../test/fakes/discord/index.js';
import type { FakeDiscord, RecordedMessage } from '../test/fakes/discord/types.js';
import { spawnBot, type BotProcess } from './bot.js';
import { startBenchGateway, type BenchGateway } from './gateway.js';
import { idealMetrics } from './ideal.js';
import { assignMessages, showsFinal, streamMetrics, type StreamMetrics } from './metrics.js';
import type { Scenario } from './scenarios.js';
import { answerText } from './text.js';

export interface RunResult {
  scenario: Scenario;
  policy: EditPolicy;
  streams: StreamMetrics[];
  /**
   * The ideal reference simulated on this run's gateway timelines, each reply in a bucket of its own as the
   * interaction token gives it (bench/ideal.ts); undefined without rate limits (scenario 5).
   */
  ideal: StreamMetrics[] | undefined;
  /** 429 answers the fake Discord sent, by bucket kind. */
  rateLimited: number;
  rateLimitedBy: Record<string, number>;
  /** Requests the bot made during the scenario, by route. */
  requests: number;
  /** Bot CPU time from the first /ask to the last final content, in ms. */
  cpuMs: number;
  /** The bench process's own CPU time (fake Discord, gateway) over the same span, in ms: it shares the machine. */
  benchCpuMs: number;
  events: number;
  peakRss: number;
  wallMs: number;
  /** What went wrong with the run itself (the bench could not measure something). */
  errors: string[];
  /** Warnings and errors the bot logged (LOG_LEVEL=warn). */
  notes: string[];
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function until(what: string, timeoutMs: number, check: () => boolean, bot?: BotProcess, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (check()) return;
    if (bot && bot.exitCode() !== undefined) throw new Error(`the bot exited (code ${bot.exitCode()}) while waiting for ${what}: ${bot.output.slice(-5).join(' | ')}`);
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

const PROMPT = /bench stream #(\d+)/;

export async function runScenario(scenario: Scenario, policy: EditPolicy, options: { settleMs?: number } = {}): Promise<RunResult> {
  const errors: string[] = [];
  const texts = Array.from({ length: scenario.streams }, (_, i) => answerText(i, scenario.chars));
  const names = Array.from({ length: scenario.channels }, (_, i) => `bench-${String(i + 1).padStart(2, '0')}`);
  const discord: FakeDiscord = await startFakeDiscord({
    guilds: [{ name: 'bench', channels: names.map((name) => ({ name })) }],
    rateLimits: scenario.rateLimits,
    requestLogLimit: process.env.BENCH_TRACE ? 1_000_000 : 1_000,
    // The bench measures the bot, not the fake: the e2e suite checks the traffic against Discord's spec.
    specValidation: false,
  });
  const gateway: BenchGateway = await startBenchGateway({
    plan: (message) => {
      const stream = Number(PROMPT.exec(message)?.[1] ?? Number.NaN);
      const text = texts[stream];
      return text === undefined ? undefined : { stream, text, tokenChars: scenario.tokenChars, intervalMs: scenario.intervalMs };
    },
  });
  const bot = spawnBot({ discordToken: discord.token, discordApiBase: discord.restBase, gatewayUrl: gateway.url, gatewayToken: gateway.token, policy });
  const result: RunResult = {
    scenario,
    policy,
    streams: [],
    ideal: undefined,
    rateLimited: 0,
    rateLimitedBy: {},
    requests: 0,
    cpuMs: Number.NaN,
    benchCpuMs: Number.NaN,
    events: 0,
    peakRss: Number.NaN,
    wallMs: 0,
    errors,
    notes: [],
  };
  try {
    await until('the bot to log in, register its commands and connect to the gateway', 30_000, () => gateway.connected() > 0 && discord.commands().some((c) => c.name === 'ask'), bot);
    // Start-up work (imports, login, store) stays out of the figures.
    await sleep(options.settleMs ?? 500);
    discord.resetStats();
    const channelIds = names.map((name) => discord.channelId(name));
    const cpuBefore = bot.cpuMs();
    const benchBefore = process.cpuUsage();
    const started = Date.now();
    for (let i = 0; i < scenario.streams; i++) {
      discord.sendChatInput({
        name: 'ask',
        channelId: channelIds[i % channelIds.length]!,
        options: scenario.thread ? { prompt: `bench stream #${i}`, thread: true } : { prompt: `bench stream #${i}` },
      });
    }

    const streamMs = scenario.intervalMs > 0 ? (scenario.chars / scenario.tokenChars) * scenario.intervalMs : 5_000;
    const doneAll = () => gateway.runs.size === scenario.streams && [...gateway.runs.values()].every((run) => run.doneAt !== undefined);
    try {
      await until('every answer to be sent by the gateway', streamMs + 60_000, doneAll, bot, 100);
    } catch (error) {
      errors.push((error as Error).message);
    }

    let replies: RecordedMessage[][] = texts.map(() => []);
    const allFinal = () => {
      replies = assignMessages(discord.messages(), texts);
      return replies.every((messages, i) => messages.length > 0 && showsFinal(messages, texts[i]!));
    };
    try {
      await until('every reply to show its final text in Discord', 180_000, allFinal, bot, 250);
    } catch (error) {
      const missing = replies.filter((messages, i) => !(messages.length > 0 && showsFinal(messages, texts[i]!))).length;
      errors.push(`${(error as Error).message} (${missing} of ${scenario.streams} replies not final)`);
    }
    result.wallMs = Date.now() - started;
    const bench = process.cpuUsage(benchBefore);
    result.benchCpuMs = (bench.user + bench.system) / 1000;
    if (bot.exitCode() === undefined) {
      result.cpuMs = bot.cpuMs() - cpuBefore;
      result.peakRss = bot.peakRss();
    }
    result.events = gateway.eventsSent();

    const stats = discord.stats();
    result.rateLimited = stats.rateLimited;
    result.requests = stats.total;
    for (const [bucket, counts] of Object.entries(stats.byBucket)) {
      if (counts.rateLimited === 0) continue;
      const kind = bucket.split(':')[0]!;
      result.rateLimitedBy[kind] = (result.rateLimitedBy[kind] ?? 0) + counts.rateLimited;
    }
    replies = assignMessages(discord.messages(), texts);
    if (process.env.BENCH_TRACE) {
      // For looking into one run: every request (the log keeps them all while tracing), the replies and the timelines.
      const file = `${process.env.BENCH_TRACE}/s${scenario.id}-${policy}.json`;
      writeFileSync(file, JSON.stringify({ requests: discord.requests.map(({ body: _b, responseBody: _r, ...r }) => r), replies, runs: [...gateway.runs.values()] }));
    }
    const timelines = [...gateway.runs.values()];
    for (let i = 0; i < scenario.streams; i++) {
      const timeline = timelines.find((run) => run.stream === i);
      if (!timeline) {
        errors.push(`stream ${i} never reached the gateway`);
        result.streams.push({ stream: i, firstVisibleMs: undefined, finalMs: undefined, stalenessChars: [], stalenessMs: [], edits: 0, messages: 0, mismatches: 0 });
        continue;
      }
      result.streams.push(streamMetrics(timeline, replies[i]!));
    }
    const bucket = scenario.rateLimits ? scenario.rateLimits.perWebhook : undefined;
    if (bucket) {
      result.ideal = [];
      for (let i = 0; i < scenario.streams; i++) {
        const timeline = timelines.find((run) => run.stream === i);
        if (timeline) result.ideal.push(idealMetrics(timeline, bucket));
      }
    }
    const mismatches = result.streams.reduce((sum, s) => sum + s.mismatches, 0);
    if (mismatches > 0) errors.push(`${mismatches} staleness samples saw text that is not a prefix of the answer`);
  } catch (error) {
    errors.push((error as Error).message);
  } finally {
    await bot.stop();
    await gateway.close();
    await discord.close();
  }
  result.notes = bot.output.map((line) => line.slice(0, 400));
  return result;
}
