import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface HealthReport {
  at: number;
  discord: boolean;
  gateway: boolean;
  activeRuns: number;
}

export const HEALTH_INTERVAL_MS = 15_000;

/**
 * Writes the report every 15 s (atomically), until the returned stop function is called. A failed write (a full or
 * read-only volume) is reported once through `onError` and retried at the next tick; the bot keeps running.
 */
export function writeHealth(file: string, report: () => Omit<HealthReport, 'at'>, onError: (error: unknown) => void = () => {}): () => void {
  if (!file) return () => {};
  let failing = false;
  const write = () => {
    try {
      mkdirSync(dirname(file), { recursive: true });
      const temp = `${file}.tmp`;
      writeFileSync(temp, JSON.stringify({ at: Date.now(), ...report() }));
      renameSync(temp, file);
      failing = false;
    } catch (error) {
      if (!failing) onError(error);
      failing = true;
    }
  };
  write();
  const timer = setInterval(write, HEALTH_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Healthy while the bot is running and connected to Discord. A gateway that is down is not a reason to restart
 * the bot: it retries by itself and tells users so.
 */
export function checkHealth(file: string, now = Date.now()): { healthy: boolean; reason: string } {
  let report: HealthReport;
  try {
    report = JSON.parse(readFileSync(file, 'utf8')) as HealthReport;
  } catch {
    return { healthy: false, reason: `no health report at ${file}` };
  }
  const age = now - report.at;
  if (age > HEALTH_INTERVAL_MS * 3) return { healthy: false, reason: `health report is ${Math.round(age / 1000)} s old` };
  if (!report.discord) return { healthy: false, reason: 'not connected to Discord' };
  return { healthy: true, reason: `ok (gateway ${report.gateway ? 'connected' : 'retrying'}, ${report.activeRuns} active runs)` };
}
