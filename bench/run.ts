// `npm run bench`: runs the real bot against a rate-limiting fake Discord and a paced fake gateway, in five
// scenarios, with clawcord's edit policy and the two anchor policies, and prints the figures and the targets.
// See bench/README.md.
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import type { EditPolicy } from '../src/relay/pacer.js';
import { POLICIES, scenarioNotes, scenarioTable, targets, type Results } from './report.js';
import { runScenario, type RunResult } from './runner.js';
import { DEFAULT_LIMITS, DEFAULT_PACE, effectiveLimits, QUICK_TIME_SCALE, scenarios, type Limits, type Pace } from './scenarios.js';

interface Options {
  quick: boolean;
  only: Set<number> | undefined;
  policies: EditPolicy[];
  limits: Limits;
  pace: Pace;
  json: string | undefined;
}

const USAGE = `usage: npm run bench [-- options]
  --quick                      tiny scenarios (a few seconds; for CI): checks that the bench works, not the targets
  --scenario 1,3               run only these scenarios
  --policy clawcord,llmcord    run only these policies (default: clawcord, llmcord, openclaw-plugin)
  --channel-limit 5/5000       message writes per channel per window (ms)
  --webhook-limit 5/5000       requests per interaction token per window (ms)
  --global-limit 50            requests per second with the bot token
  --tokens-per-second 20       gateway pace
  --token-chars 4              characters per gateway event
  --json <file>                also write the raw results`;

function parseArgs(argv: string[]): Options {
  const options: Options = { quick: false, only: undefined, policies: [...POLICIES], limits: structuredClone(DEFAULT_LIMITS), pace: { ...DEFAULT_PACE }, json: undefined };
  const bucket = (value: string, flag: string) => {
    const match = /^(\d+)\/(\d+)$/.exec(value);
    if (!match) throw new Error(`${flag}: expected <requests>/<window ms>, e.g. 5/5000`);
    return { limit: Number(match[1]), windowMs: Number(match[2]) };
  };
  const positive = (value: string, flag: string) => {
    const n = Number(value);
    if (!(n > 0)) throw new Error(`${flag}: expected a positive number`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${flag}: needs a value`);
      return next;
    };
    switch (flag) {
      case '--quick':
        options.quick = true;
        break;
      case '--scenario':
        options.only = new Set(value().split(',').map((s) => Number(s)));
        break;
      case '--policy': {
        const wanted = value().split(',');
        const unknown = wanted.filter((p) => !POLICIES.includes(p as EditPolicy));
        if (unknown.length) throw new Error(`--policy: unknown ${unknown.join(', ')} (known: ${POLICIES.join(', ')})`);
        options.policies = POLICIES.filter((p) => wanted.includes(p));
        break;
      }
      case '--channel-limit':
        options.limits.perChannel = bucket(value(), flag);
        break;
      case '--webhook-limit':
        options.limits.perWebhook = bucket(value(), flag);
        break;
      case '--global-limit':
        options.limits.globalPerSecond = positive(value(), flag);
        break;
      case '--tokens-per-second':
        options.pace.tokensPerSecond = positive(value(), flag);
        break;
      case '--token-chars':
        options.pace.tokenChars = positive(value(), flag);
        break;
      case '--json':
        options.json = value();
        break;
      case '--help':
      case '-h':
        console.log(USAGE);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${flag}\n${USAGE}`);
    }
  }
  return options;
}

function machine(): string {
  let model = os.cpus()[0]?.model ?? 'unknown CPU';
  try {
    model = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? model;
  } catch {
    // not Linux: os.cpus() said enough
  }
  const memory = `${Math.round(os.totalmem() / 2 ** 30)} GB RAM`;
  return `${model.trim()}, ${os.availableParallelism()} cores, ${memory}, Linux ${os.release()}, Node ${process.version}`;
}

function describeLimits(limits: Limits): string {
  const bucket = (b: { limit: number; windowMs: number }) => `${b.limit} per ${b.windowMs / 1000} s`;
  return `Discord limits: ${bucket(limits.perChannel)} per channel, ${bucket(limits.perWebhook)} per interaction token, ${limits.globalPerSecond}/s global`;
}

async function main(): Promise<void> {
  let options: Options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error((error as Error).message);
    process.exit(2);
  }
  const list = scenarios({ quick: options.quick, limits: options.limits, pace: options.pace }).filter((s) => !options.only || options.only.has(s.id));
  const started = new Date();
  console.log(`clawcord bench${options.quick ? ' (quick)' : ''}: ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC`);
  console.log(`machine: ${machine()}`);
  console.log(`${describeLimits(effectiveLimits(options.limits, options.quick))}; gateway pace ${options.pace.tokensPerSecond} events/s of ${options.pace.tokenChars} characters`);
  if (options.quick) console.log(`quick: tiny scenarios, the limits' windows ${QUICK_TIME_SCALE}× shorter, the three policies side by side (their figures disturb each other)`);
  console.log('');

  const results: Results = new Map();
  let broken = false;
  for (const scenario of list) {
    const runs = new Map<EditPolicy, RunResult>();
    results.set(scenario.id, runs);
    const progress = (policy: EditPolicy, run: RunResult) =>
      process.stderr.write(`scenario ${scenario.id}, ${policy}: ${(run.wallMs / 1000).toFixed(1)} s${run.errors.length ? `, ${run.errors.length} error(s)` : ''}\n`);
    if (options.quick) {
      // Side by side: quick mode checks that the bench works, and this keeps it to a few seconds.
      const done = await Promise.all(options.policies.map(async (policy) => [policy, await runScenario(scenario, policy, { settleMs: 100 })] as const));
      for (const [policy, run] of done) {
        progress(policy, run);
        runs.set(policy, run);
      }
    } else {
      // One at a time: the bot's CPU time and the latencies must not depend on another bot sharing the machine.
      for (const policy of options.policies) {
        process.stderr.write(`scenario ${scenario.id} (${scenario.title}), ${policy}…\n`);
        const run = await runScenario(scenario, policy);
        progress(policy, run);
        runs.set(policy, run);
      }
    }
    if ([...runs.values()].some((run) => run.errors.length > 0)) broken = true;
    const shape = `${scenario.streams} stream${scenario.streams > 1 ? 's' : ''} × ${scenario.chars} chars over ${scenario.channels} channel${scenario.channels > 1 ? 's' : ''}` +
      `${scenario.thread ? ', /ask thread:true' : ', /ask'}; ${scenario.intervalMs > 0 ? `${scenario.tokenChars} chars every ${scenario.intervalMs} ms` : `${scenario.tokenChars}-char events as fast as possible`}` +
      `${scenario.rateLimits === false ? '; no rate limits' : ''}`;
    console.log(`### Scenario ${scenario.id}: ${scenario.title}`);
    console.log(`(${shape})`);
    console.log('');
    console.log(scenarioTable(runs));
    console.log('');
    for (const note of scenarioNotes(runs)) console.log(`- ${note}`);
    console.log('');
  }

  if (options.policies.includes('clawcord')) {
    const verdicts = targets(results);
    console.log('### Targets');
    console.log('');
    for (const verdict of verdicts) console.log(`${verdict.pass ? 'PASS' : 'FAIL'}  ${verdict.text}`);
    const failed = verdicts.filter((v) => !v.pass).length;
    console.log('');
    console.log(`${verdicts.length - failed} of ${verdicts.length} targets pass${options.quick ? ' (quick mode: sizes too small for the targets to mean anything)' : ''}`);
  }
  if (options.json) {
    const plain = [...results].map(([id, runs]) => ({ scenario: id, runs: [...runs.values()] }));
    writeFileSync(options.json, JSON.stringify({ started: started.toISOString(), machine: machine(), limits: options.limits, pace: options.pace, results: plain }, null, 1));
  }
  if (broken) {
    console.log('');
    console.log('The bench itself did not work in every run (see BENCH ERROR above).');
  }
  // A missed target is a finding, not a failure of the bench; --quick fails only when the bench broke.
  process.exit(options.quick && broken ? 1 : 0);
}

void main();
