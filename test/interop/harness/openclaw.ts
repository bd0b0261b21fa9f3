// Starts a real OpenClaw gateway (Node 24, own state dir, token auth, fake LLM provider) on 127.0.0.1 for tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { ensureNode24, ensureOpenClaw, node24Env, progress } from './install.js';

export type OpenClawVersion = '2026.2.17' | '2026.9.6';

export interface NetguardRecord {
  kind: string;
  target: string;
  blocked: boolean;
  pid?: number;
  ts?: number;
  stack?: string[];
}

export interface StartOpenClawOptions {
  version: OpenClawVersion;
  /** The fake LLM's OpenAI base URL, e.g. http://127.0.0.1:40123/v1. */
  llmBaseUrl: string;
  /** Gateway token; a random one by default. */
  token?: string;
  /** Exec commands ask for approval (both versions otherwise run them unprompted): `true` for every agent, or a list
   * of agent ids (their own `tools.exec`; the other agents run commands unprompted). Neither version lets the config
   * shorten the approval timeout (v3 120 s, v4 30 min); see injectApproval in approvals.ts for expiry tests. */
  execApprovals?: boolean | string[];
  /** Models of the fake provider that take images (`input: ["text","image"]`; the others are text-only), e.g.
   * `['fake-fast']`. A text-only model gets no pixels: 2026.2 drops the image, 2026.9 has it described. */
  imageModels?: string[];
  /** Merged into the generated openclaw.json (objects deeply, everything else replaced), for one test's settings. */
  configPatch?: Record<string, unknown>;
}

export interface RunningGateway {
  url: string;
  /** The same port over HTTP (v4 serves produced media there, `/api/chat/media/outgoing/…`). */
  httpUrl: string;
  port: number;
  token: string;
  version: OpenClawVersion;
  expectedProtocol: 3 | 4;
  agents: string[];
  models: string[];
  stateDir: string;
  /** The gateway's own log file (JSON lines). stdout/stderr go to stdout.log beside it. */
  logFile: string;
  /** The agent's workspace: the exec tool's working directory, where `read` finds relative paths. */
  workspaceDir(agent: string): string;
  /** Writes a file into the agent's workspace (created if the agent has not run yet). */
  writeWorkspaceFile(agent: string, name: string, text: string): Promise<void>;
  /** Stops (as stop() does, keeping the state) and starts again on the same port; resolves on hello-ok. */
  restart(): Promise<void>;
  /** SIGTERM to the gateway and its helpers, SIGKILL after 5 s (v4 would drain in-flight runs for up to 315 s).
   * Deletes the run dir unless CLAWCORD_INTEROP_KEEP=1. */
  stop(): Promise<void>;
  netguardRecords(): NetguardRecord[];
}

export const AGENTS = ['main', 'cody', 'ops'];
export const MODELS = ['fake/fake-fast', 'fake/fake-smart'];
const READY_TIMEOUT_MS = 240_000;
/** How long an exec tool call may run before the gateway backgrounds it (both versions cap it at 120 s). */
export const EXEC_FOREGROUND_MS = 60_000;
const NETGUARD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'netguard.cjs');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A port free on 127.0.0.1 and ::1 (the gateway listens on both). */
async function freePort(): Promise<number> {
  const listen = (port: number, host: string) =>
    new Promise<net.Server | null>((resolve, reject) => {
      const srv = net.createServer();
      srv.once('error', (err: NodeJS.ErrnoException) =>
        err.code === 'EADDRNOTAVAIL' || err.code === 'EAFNOSUPPORT' ? resolve(null) : reject(err),
      );
      srv.listen(port, host, () => resolve(srv));
    });
  const close = (srv: net.Server | null) => new Promise<void>((r) => (srv ? srv.close(() => r()) : r()));
  for (let attempt = 0; ; attempt++) {
    const v4 = await listen(0, '127.0.0.1');
    const port = (v4!.address() as net.AddressInfo).port;
    const v6 = await listen(port, '::1').catch(() => 'busy' as const);
    await close(v4);
    if (v6 !== 'busy') {
      await close(v6);
      return port;
    }
    if (attempt > 20) throw new Error('no free port found');
  }
}

function fakeProvider(llmBaseUrl: string, imageModels: readonly string[]) {
  const model = (id: string, name: string) => ({
    id,
    name,
    reasoning: false,
    input: imageModels.includes(id) ? ['text', 'image'] : ['text'],
    cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
    contextWindow: 32000,
    maxTokens: 2048,
  });
  return {
    baseUrl: llmBaseUrl,
    apiKey: 'fake-local',
    api: 'openai-completions',
    models: [model('fake-fast', 'Fake Fast'), model('fake-smart', 'Fake Smart')],
  };
}

function buildConfig(
  version: OpenClawVersion,
  p: { port: number; token: string; runDir: string; llmBaseUrl: string; askingAgents: string[]; imageModels: string[] },
) {
  const common = {
    gateway: {
      mode: 'local',
      port: p.port,
      bind: 'loopback',
      auth: { mode: 'token', token: p.token },
      tailscale: { mode: 'off' },
      controlUi: { enabled: false },
    },
    discovery: { mdns: { mode: 'off' } },
    // the browser control service would listen on a second, derived port
    browser: { enabled: false },
    logging: { file: path.join(p.runDir, 'logs', 'openclaw.log') },
    // A command still running after backgroundMs (default 10 s) is moved to the background and the tool returns "still
    // running"; the long tool steps of the tests must stay in the foreground, as a build or a test suite would.
    tools: { exec: { backgroundMs: EXEC_FOREGROUND_MS } },
  };
  const workspace = (id: string) => path.join(p.runDir, `workspace-${id}`);
  const agent = (id: string, name: string, model?: string) => ({
    name,
    identity: { name },
    ...(model ? { model } : {}),
    workspace: workspace(id),
    ...(p.askingAgents.includes(id) ? { tools: { exec: execApprovalConfig(version) } } : {}),
  });

  if (version === '2026.2.17') {
    // 2026.2.x schema: agents.list array with `default`, no ownership/telemetry/update.auto/memory.search keys.
    return {
      ...common,
      update: { checkOnStart: false },
      canvasHost: { enabled: false },
      models: { mode: 'replace', providers: { fake: fakeProvider(p.llmBaseUrl, p.imageModels) } },
      agents: {
        defaults: {
          model: { primary: 'fake/fake-fast' },
          heartbeat: { every: '0m' },
          memorySearch: { enabled: false },
        },
        list: [
          { id: 'main', default: true, ...agent('main', 'Main') },
          { id: 'cody', ...agent('cody', 'Cody', 'fake/fake-smart') },
          { id: 'ops', ...agent('ops', 'Ops') },
        ],
      },
    };
  }
  return {
    ...common,
    update: { checkOnStart: false, auto: { enabled: false } },
    telemetry: { enabled: false },
    models: {
      mode: 'replace',
      catalogRefresh: { enabled: false },
      providers: { fake: fakeProvider(p.llmBaseUrl, p.imageModels) },
    },
    agents: {
      ownership: 'explicit',
      defaults: {
        model: { primary: 'fake/fake-fast' },
        utilityModel: '',
        heartbeat: { every: '0m' },
        systemAgent: { agentId: 'main' },
      },
      entries: {
        main: agent('main', 'Main'),
        cody: agent('cody', 'Cody', 'fake/fake-smart'),
        ops: agent('ops', 'Ops'),
      },
    },
    memory: { search: { enabled: false } },
    plugins: { entries: { 'memory-core': { config: { dreaming: { enabled: false } } } } },
  };
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function deepMerge(base: Json, patch: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(patch)) out[k] = isObject(v) && isObject(out[k]) ? deepMerge(out[k] as Json, v) : v;
  return out;
}

/** The exec settings that make a command outside the allowlist wait for an operator's decision. */
export function execApprovalConfig(version: OpenClawVersion): Json {
  // v3's default host "sandbox" without a sandbox runs commands directly with no approval check
  return version === '2026.2.17' ? { host: 'gateway', security: 'allowlist', ask: 'on-miss' } : { mode: 'ask' };
}

type ProbeResult = { ok: true; hello: Record<string, unknown> } | { ok: false; retry: boolean; reason: string };

interface Frame {
  type?: string;
  event?: string;
  id?: string;
  ok?: boolean;
  payload?: { type?: string } & Record<string, unknown>;
  error?: { code?: string; retryable?: boolean };
}

/** One token-only handshake: challenge → connect → hello-ok. */
export function probeHello(url: string, token: string, timeoutMs = 10_000): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    const id = randomUUID();
    const done = (r: ProbeResult) => {
      clearTimeout(timer);
      ws.removeAllListeners();
      ws.on('error', () => undefined);
      ws.terminate();
      resolve(r);
    };
    const timer = setTimeout(() => done({ ok: false, retry: true, reason: 'handshake timeout' }), timeoutMs);
    ws.on('error', (err) => done({ ok: false, retry: true, reason: String(err) }));
    ws.on('close', (code, reason) => done({ ok: false, retry: true, reason: `closed ${code} ${reason.toString()}` }));
    ws.on('message', (data) => {
      let frame: Frame;
      try {
        frame = JSON.parse(data.toString()) as Frame;
      } catch {
        return;
      }
      if (frame.type === 'event' && frame.event === 'connect.challenge') {
        ws.send(
          JSON.stringify({
            type: 'req',
            id,
            method: 'connect',
            params: {
              minProtocol: 3,
              maxProtocol: 4,
              client: { id: 'gateway-client', version: '0.1.0', platform: process.platform, mode: 'backend' },
              role: 'operator',
              scopes: ['operator.read', 'operator.write', 'operator.admin'],
              auth: { token },
            },
          }),
        );
      } else if (frame.type === 'res' && frame.id === id) {
        if (frame.ok && frame.payload?.type === 'hello-ok') done({ ok: true, hello: frame.payload });
        else
          done({
            ok: false,
            retry: frame.error?.code === 'UNAVAILABLE' || frame.error?.retryable === true,
            reason: JSON.stringify(frame.error),
          });
      }
    });
  });
}

function tail(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return `(no ${file})`;
  }
}

/** All descendants of pid (Linux /proc). The v4 spawn broker runs in a process group of its own, so killing the
 * gateway's group is not enough. */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
  for (const e of entries) {
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(e)]);
    } catch {
      // process exited while scanning
    }
  }
  const out: number[] = [];
  const queue = [pid];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    for (const c of children.get(next) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

function signal(pid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false; // ESRCH: gone
  }
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  // last resort if a test forgot stop() or the runner exits early
  for (const child of running) for (const pid of [-child.pid!, ...descendants(child.pid!)]) signal(pid, 'SIGKILL');
});

async function stopProcessTree(child: ChildProcess): Promise<void> {
  const pid = child.pid!;
  const pids = [-pid, ...descendants(pid)]; // -pid: the whole process group
  signal(-pid, 'SIGTERM');
  // An idle gateway exits in well under a second; with runs in flight v4 drains them for up to 315 s, which a test
  // never wants to wait for.
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline && pids.some((p) => signal(p, 0))) await sleep(100);
  for (const p of pids) signal(p, 'SIGKILL');
  while (pids.some((p) => signal(p, 0))) await sleep(50);
  running.delete(child);
}

/** The test process's environment without what would change the gateway's behaviour: openclaw checks VITEST,
 * VITEST_*, JEST_WORKER_ID and NODE_ENV=test in hundreds of places (silent logs, a different state dir, stub
 * catalogs); any OPENCLAW_* variable would override the config file; and 2026.2.x reports npm_package_version
 * (clawcord's own, under `npm test`/`npx vitest`) as its server version. */
function gatewayBaseEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(env).filter(
      ([k]) =>
        !/^(VITEST|JEST_|OPENCLAW_|CLAWCORD_NETGUARD_|npm_)/i.test(k) && !['NODE_ENV', 'TEST', 'NODE_OPTIONS'].includes(k),
    ),
  );
}

export async function startOpenClawGateway(opts: StartOpenClawOptions): Promise<RunningGateway> {
  const { version, llmBaseUrl } = opts;
  const token = opts.token ?? randomBytes(24).toString('hex');
  const [nodeBin, { entry }] = await Promise.all([ensureNode24(), ensureOpenClaw(version)]);
  const runDir = await mkdtemp(path.join(os.tmpdir(), `clawcord-openclaw-${version}-`));
  const stateDir = path.join(runDir, 'state');
  const logsDir = path.join(runDir, 'logs');
  const configPath = path.join(stateDir, 'openclaw.json');
  const logFile = path.join(logsDir, 'openclaw.log');
  const stdoutFile = path.join(logsDir, 'stdout.log');
  const netguardLog = path.join(logsDir, 'netguard.jsonl');
  await Promise.all([stateDir, logsDir, path.join(runDir, 'home')].map((d) => mkdir(d, { recursive: true })));
  const port = await freePort();
  const url = `ws://127.0.0.1:${port}`;
  const askingAgents = Array.isArray(opts.execApprovals) ? opts.execApprovals : [];
  let config = buildConfig(version, { port, token, runDir, llmBaseUrl, askingAgents, imageModels: opts.imageModels ?? [] }) as Json;
  if (opts.execApprovals === true) config = deepMerge(config, { tools: { exec: execApprovalConfig(version) } });
  config = deepMerge(config, opts.configPatch ?? {});
  await writeFile(configPath, JSON.stringify(config, null, 2));

  const env: NodeJS.ProcessEnv = {
    ...gatewayBaseEnv(node24Env(nodeBin)),
    HOME: path.join(runDir, 'home'),
    OPENCLAW_STATE_DIR: stateDir,
    OPENCLAW_CONFIG_PATH: configPath,
    OPENCLAW_DISABLE_BONJOUR: '1',
    OPENCLAW_NO_AUTO_UPDATE: '1',
    DO_NOT_TRACK: '1',
    OPENCLAW_OFFLINE: '1',
    OPENCLAW_SKIP_CHANNELS: '1',
    OPENCLAW_NO_RESPAWN: '1',
    OPENCLAW_EXEC_SHELL_SNAPSHOT: '0',
    // We own the lifecycle. Without this, a failed 2026.9.x start launches "automatic triage": a repair agent (the
    // embedded one, or a codex/claude CLI found on PATH) that runs for minutes before the process exits.
    OPENCLAW_SUPERVISOR_MODE: 'external',
    NODE_OPTIONS: `--require ${JSON.stringify(NETGUARD)}`,
    CLAWCORD_NETGUARD_LOG: netguardLog,
  };

  let child: ChildProcess | undefined;

  // stdout.log is shared by restarts: look only at what this launch wrote
  const startFailed = (from: number) => {
    try {
      return readFileSync(stdoutFile).subarray(from).toString('utf8').includes('Gateway failed to start');
    } catch {
      return false;
    }
  };

  async function launch(): Promise<void> {
    const started = Date.now();
    const logOffset = existsSync(stdoutFile) ? statSync(stdoutFile).size : 0;
    const out = await open(stdoutFile, 'a');
    // No --auth flag: 2026.2.17's `--auth token` drops the configured token (it overrides gateway.auth with
    // {mode, token: undefined}); the config already sets the mode.
    const proc = spawn(nodeBin, [entry, 'gateway', 'run', '--port', String(port), '--bind', 'loopback'], {
      env,
      cwd: runDir,
      detached: true, // own process group, so stop() also reaches the gateway's helper processes
      stdio: ['ignore', out.fd, out.fd],
    });
    await out.close();
    child = proc;
    running.add(proc);
    let exited: string | undefined;
    proc.once('exit', (code, signal) => (exited = `exited (code ${code}, signal ${signal})`));

    const deadline = started + READY_TIMEOUT_MS;
    let last = 'timed out';
    while (Date.now() < deadline) {
      if (startFailed(logOffset)) last = 'Gateway failed to start';
      if (exited || last === 'Gateway failed to start') break;
      const r = await probeHello(url, token, 10_000);
      if (r.ok) {
        progress(`openclaw@${version} ready on ${url} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
        return;
      }
      last = r.reason;
      if (!r.retry) break;
      await sleep(500);
    }
    await stopProcessTree(proc); // the run dir stays for inspection
    throw new Error(
      `openclaw@${version} did not become ready on ${url} (${exited ?? last}); run dir ${runDir}\n` +
        `--- stdout.log ---\n${tail(stdoutFile)}\n--- openclaw.log ---\n${tail(logFile, 15)}`,
    );
  }

  async function stop(): Promise<void> {
    if (child) await stopProcessTree(child);
    child = undefined;
  }

  progress(`starting openclaw@${version} on ${url} (run dir ${runDir})`);
  await launch();

  return {
    url,
    httpUrl: `http://127.0.0.1:${port}`,
    port,
    token,
    version,
    expectedProtocol: version === '2026.2.17' ? 3 : 4,
    agents: [...AGENTS],
    models: [...MODELS],
    stateDir,
    logFile,
    workspaceDir: (agent) => path.join(runDir, `workspace-${agent}`),
    async writeWorkspaceFile(agent, name, text) {
      const dir = path.join(runDir, `workspace-${agent}`);
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, name), text);
    },
    async restart() {
      await stop();
      await launch();
    },
    async stop() {
      await stop();
      if (!process.env.CLAWCORD_INTEROP_KEEP) await rm(runDir, { recursive: true, force: true });
    },
    netguardRecords() {
      if (!existsSync(netguardLog)) return [];
      return readFileSync(netguardLog, 'utf8')
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as NetguardRecord);
    },
  };
}
