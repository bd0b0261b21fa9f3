// Tool-using runs, hand-offs and long finals against the fake OpenClaw gateways, which model what the real ones do
// (tool events, tool-call history rows written during the run, yielded finals, history text caps).
import { describe, expect, it } from 'vitest';
import type { GatewayClientOptions } from '../../src/gateway/client.js';
import { startOpenClawGateway, type OpenClawGateway } from '../fakes/gateway/openclaw-gateway.js';
import { wordTokens, type ReplyScript } from '../fakes/gateway/state.js';
import { makeClient, onCleanup, waitFor } from './helpers.js';

async function openClaw(protocol: 3 | 4, options: Partial<GatewayClientOptions> = {}) {
  const gateway = await startOpenClawGateway({ protocol, deltaPacingMs: 20 });
  onCleanup(() => gateway.close());
  const client = makeClient({ url: gateway.url, token: gateway.token, protocol: 'openclaw', recoveryIntervalMs: 50, ...options });
  await client.start();
  return { gateway, client };
}

/** Loses every event from now until the run is over in the gateway, then reconnects the client. */
async function missTheEnd(gateway: OpenClawGateway, runId: string) {
  gateway.freeze();
  await waitFor(() => gateway.state.run(runId)?.status === 'done', 5_000, 'the run to end in the gateway');
  gateway.dropSocket();
  gateway.unfreeze();
}

describe.each([3, 4] as const)('OpenClaw v%i (fake)', (protocol) => {
  it('a run whose quiet tool step outlasts a quarter of the idle limit ends with its final answer', async () => {
    const { gateway, client } = await openClaw(protocol, { runIdleTimeoutMs: 2_400 });
    const script: ReplyScript = {
      toolCalls: [{ say: wordTokens('Let me run the tests first.'), name: 'exec', args: { command: 'echo ok' }, output: 'ok', durationMs: 1_200 }],
      tokens: wordTokens('All green.'),
    };
    gateway.setReplyScript(() => script);
    const run = await client.chatSend({ sessionKey: client.sessionKey('main', `tool${protocol}`), message: 'run the test suite' });
    const outcome = await run.outcome;
    // 2026.2's final holds only the last segment; the client keeps the earlier ones, as 2026.9's final does.
    expect(outcome).toEqual({ type: 'final', text: 'Let me run the tests first.\n\nAll green.' });
  });

  it('a silent tool step longer than the whole idle limit survives: the history shows the run at work', async () => {
    const { gateway, client } = await openClaw(protocol, { runIdleTimeoutMs: 800 });
    gateway.setReplyScript(() => ({
      toolCalls: [{ say: wordTokens('Starting the long step.'), name: 'exec', args: { command: 'sleep 2' }, output: '(no output)', durationMs: 2_000 }],
      tokens: wordTokens('Slept well.'),
    }));
    const run = await client.chatSend({ sessionKey: client.sessionKey('main', `long${protocol}`), message: 'take your time' });
    expect(await run.outcome).toEqual({ type: 'final', text: 'Starting the long step.\n\nSlept well.' });
  });

  it('a chat.send the gateway handles but does not answer in time still ends with the run\'s answer', async () => {
    const { gateway, client } = await openClaw(protocol, { requestTimeoutMs: 300 });
    gateway.withholdAnswers('chat.send', 1);
    const run = await client.chatSend({ sessionKey: client.sessionKey('main', `mute${protocol}`), message: 'are you there' });
    expect(await run.outcome).toEqual({ type: 'final', text: 'Echo: are you there' });
  });

  it('a tool-using run whose end was missed takes its final from the history, not an intermediate row', async () => {
    const { gateway, client } = await openClaw(protocol);
    gateway.setReplyScript(() => ({
      toolCalls: [{ say: wordTokens('Checking.'), name: 'exec', args: { command: 'echo one' }, output: 'one', durationMs: 300 }],
      tokens: wordTokens('Found one thing.'),
    }));
    const run = await client.chatSend({ sessionKey: client.sessionKey('main', `miss${protocol}`), message: 'look around' });
    await waitFor(() => run.currentText.length > 0, 2_000, 'first text');
    await missTheEnd(gateway, run.runId);
    expect(await run.outcome).toEqual({ type: 'final', text: protocol === 4 ? 'Checking.\n\nFound one thing.' : 'Found one thing.' });
  });
});

describe('OpenClaw v4 (fake)', () => {
  it('a turn handed to sub-agents ends with the successor turn\'s answer', async () => {
    const { gateway, client } = await openClaw(4);
    gateway.setReplyScript(() => ({
      tokens: wordTokens('I started 2 sub-agents.'),
      yieldTo: { successor: { tokens: wordTokens('Both are back: the answer is 42.') }, afterMs: 300 },
    }));
    const run = await client.chatSend({ sessionKey: client.sessionKey('main', 'yield'), message: 'research it' });
    await waitFor(() => run.handedOff, 3_000, 'the hand-off');
    expect(run.currentText).toBe('I started 2 sub-agents.');
    expect(await run.outcome).toEqual({ type: 'final', text: 'Both are back: the answer is 42.' });
  });

  it('a long final recovered from the history is whole (maxChars)', async () => {
    const { gateway, client } = await openClaw(4);
    const long = Array.from({ length: 2_500 }, (_, i) => `w${i}`).join(' '); // 13,889 chars
    gateway.setReplyScript(() => ({ tokens: wordTokens(long), tokenDelayMs: 1 }));
    const run = await client.chatSend({ sessionKey: client.sessionKey('main', 'long4'), message: 'write a lot' });
    await waitFor(() => run.currentText.length > 0, 2_000, 'first text');
    await missTheEnd(gateway, run.runId);
    const outcome = await run.outcome;
    expect(outcome.text.length).toBe(long.length);
    expect(outcome).toEqual({ type: 'final', text: long });
  });
});
