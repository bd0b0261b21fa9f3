import type { Frame, Rpc } from './dialect.js';
import { GatewayError, ParamsError, SteerUnsupportedError } from './errors.js';
import type { RunRegistry } from './run-registry.js';
import type { RunStream } from './run.js';
import type { SteerResult } from './types.js';

export interface SteerSend {
  /** The steering chat.send's params, and the run id the gateway gives it (its idempotency key). */
  params: Frame;
  steerRunId: string;
  rpc: Rpc;
  runs: RunRegistry;
}

/**
 * Sends a steering message into `target`'s turn and waits for where it went (2026.9, F-findings STEER, live): the
 * gateway ends the send's own run with an empty final when it put the text into the running turn (at its next model
 * call); if the turn ends first, the gateway runs the text as a turn of its own instead. The send's own run never
 * reaches a RunStream or the orphan buffer.
 */
export async function steerInto(target: RunStream, { params, steerRunId, rpc, runs }: SteerSend): Promise<SteerResult> {
  let injected!: () => void;
  let failed!: (error: GatewayError) => void;
  const taken = new Promise<void>((resolve, reject) => {
    injected = resolve;
    failed = reject;
  });
  taken.catch(() => {});
  const stopWatching = runs.watchSteer(steerRunId, (update) => {
    if (update.kind === 'final') injected();
    else if (update.kind === 'error' || update.kind === 'aborted') {
      failed(new GatewayError(update.errorMessage ?? 'the gateway did not take the message', 'STEER_FAILED'));
    }
  });
  try {
    await rpc('chat.send', params);
  } catch (error) {
    stopWatching();
    if (error instanceof ParamsError && /queueMode/.test(error.message)) throw new SteerUnsupportedError(`this gateway cannot steer: ${error.message}`);
    throw error;
  }
  try {
    const first = await Promise.race([taken.then(() => 'taken' as const), target.outcome.then(() => 'ended' as const)]);
    return first === 'taken' ? { status: 'steered' } : { status: 'queued', byGateway: true };
  } finally {
    stopWatching();
  }
}
