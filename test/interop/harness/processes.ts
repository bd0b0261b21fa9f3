// What runs on the test machine, for checks that a tool's subprocess really stopped (Linux /proc).
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessInfo {
  pid: number;
  cmdline: string;
}

/** Live processes whose command line contains `text` (e.g. a marker file path given to `sleep N; touch <path>`). */
export function processesMatching(text: string): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      if (cmdline.includes(text)) out.push({ pid: Number(entry), cmdline });
    } catch {
      // exited while scanning
    }
  }
  return out.filter((p) => p.pid !== process.pid);
}
