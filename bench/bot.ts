// The real bot as a child process (`node dist/src/main.js`, what `npm start` runs), and what Linux tells about it:
// CPU time from /proc/<pid>/stat, peak RSS (VmHWM) from /proc/<pid>/status.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { EditPolicy } from '../src/relay/pacer.js';

export interface BotProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Everything it printed (LOG_LEVEL=warn: warnings and errors only). */
  readonly output: string[];
  /** Set once it exited. */
  exitCode(): number | null | undefined;
  /** User + system CPU time of all its threads so far, in ms. */
  cpuMs(): number;
  /** Peak resident set size so far, in bytes. */
  peakRss(): number;
  stop(): Promise<void>;
}

export interface BotEnv {
  discordToken: string;
  discordApiBase: string;
  gatewayUrl: string;
  gatewayToken: string;
  policy: EditPolicy;
}

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** utime + stime of /proc/<pid>/stat (fields 14 and 15), in ms. */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may hold spaces and parentheses; the fields after its closing parenthesis are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / ticksPerSecond();
}

/** VmHWM of /proc/<pid>/status, in bytes. */
export function processPeakRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
  return match ? Number(match[1]) * 1024 : Number.NaN;
}

/** The node flags `npm start` (and the Dockerfile) run the bot with: the bench measures the bot as users run it. */
function startNodeFlags(): string[] {
  const pkg = JSON.parse(readFileSync(resolve(process.cwd(), 'package.json'), 'utf8')) as { scripts: { start: string } };
  return pkg.scripts.start.split(' ').filter((word) => word.startsWith('--'));
}

export function spawnBot(env: BotEnv): BotProcess {
  const dir = mkdtempSync(join(tmpdir(), 'clawcord-bench-'));
  const configFile = join(dir, 'config.json');
  // No health file and a private data directory; every other option keeps its default (as users run it), but for one:
  // the bench measures what messages show while answers stream, so a long final stays in its messages instead of
  // ending as its first one plus answer.md (relay.fileAfterMessages), and edited in place however long it took
  // (relay.notifyAfterMs): the bench measures edits.
  writeFileSync(configFile, JSON.stringify({ health: { file: '' }, gateway: { deviceKeyPath: join(dir, 'device.json') }, relay: { fileAfterMessages: 50, notifyAfterMs: 'off' } }));
  // CLAWCORD_BENCH_BOT points at another build of the bot (to try a change against the same bench).
  const main = resolve(process.cwd(), process.env.CLAWCORD_BENCH_BOT ?? 'dist/src/main.js');
  // BENCH_BOT_NODE_ARGS, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`, looks inside the bot during a run.
  const nodeArgs = [...startNodeFlags(), ...(process.env.BENCH_BOT_NODE_ARGS ?? '').split(' ').filter(Boolean)];
  const child = spawn(process.execPath, [...nodeArgs, main], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '',
      DISCORD_TOKEN: env.discordToken,
      DISCORD_API_BASE: env.discordApiBase,
      GATEWAY_URL: env.gatewayUrl,
      GATEWAY_TOKEN: env.gatewayToken,
      GATEWAY_PROTOCOL: 'card',
      STORE_URL: `sqlite://${join(dir, 'state.sqlite')}`,
      LOG_LEVEL: 'warn',
      CLAWCORD_CONFIG: configFile,
      CLAWCORD_BENCH_POLICY: env.policy,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line.trim() && output.length < 2_000) output.push(line);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  let code: number | null | undefined;
  const exited = new Promise<void>((done) =>
    child.once('exit', (exitCode, signal) => {
      code = exitCode ?? (signal ? -1 : null);
      done();
    }),
  );
  const pid = child.pid!;
  return {
    child,
    pid,
    output,
    exitCode: () => code,
    cpuMs: () => processCpuMs(pid),
    peakRss: () => processPeakRss(pid),
    async stop() {
      if (code === undefined) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
