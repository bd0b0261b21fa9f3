import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { onCleanup, waitFor } from '../gateway/helpers.js';

export interface BotProcess {
  child: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

/**
 * Runs the built bot (`npm start`'s entry) as a child process with this environment only. It is killed after the
 * current test, unless `outliveTest` (then the caller kills it).
 */
export function spawnBot(env: Record<string, string>, { outliveTest = false } = {}): BotProcess {
  const child = spawn(process.execPath, [join(process.cwd(), 'dist/src/main.js')], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const collect = (chunk: Buffer) => output.push(...chunk.toString().split('\n').filter(Boolean));
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  if (!outliveTest) {
    onCleanup(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    });
  }
  return {
    child,
    output,
    exited,
    waitForLog: (pattern, timeoutMs = 10_000) => waitFor(() => output.find((line) => pattern.test(line)), timeoutMs, `a log line like ${pattern}`),
  };
}
