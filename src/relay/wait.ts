/** How long anything that decides a command's first answer may wait on the gateway (Discord allows 3 s for it). */
export const PRECHECK_LIMIT_MS = 1_500;

/** Waits for `promise`, but no longer than `ms` (then resolves undefined); a rejection before that rejects. */
export async function waitAtMost<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([promise, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))]);
  clearTimeout(timer);
  return result;
}
