import { ConfigError, loadConfig } from '../config/load.js';
import { GatewayClient } from '../gateway/client.js';
import { gatewayClientOptions } from '../gateway/options.js';
import { createLogger, registerSecret, scrubSecrets } from '../log.js';
import { VERSION } from '../version.js';
import { runChecklist, type CheckResult } from './checklist.js';

const USAGE = `usage: npm run doctor -- [--json] [--no-chat] [--config <file>]

Runs the gateway reference card's testing checklist against GATEWAY_URL.
  --json      print one JSON document instead of the checklist
  --no-chat   skip chat.send and chat.abort (the steps that spend model tokens)`;

const MARK = { pass: '✓', fail: '✗', skip: '–' } as const;

function line(result: CheckResult): string {
  const ms = result.status === 'skip' ? '' : `${Math.round(result.ms)} ms`;
  return `${MARK[result.status]} ${result.name.padEnd(15)} ${ms.padStart(8)}  ${result.detail}`;
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const known = new Set(['--json', '--no-chat', '--config']);
  const unknown = argv.filter((arg, i) => arg.startsWith('-') && !known.has(arg.split('=')[0]!) && argv[i - 1] !== '--config');
  if (unknown.length > 0) {
    console.error(`doctor: unknown option ${unknown.join(', ')}\n${USAGE}`);
    return 2;
  }
  const json = argv.includes('--json');
  const chat = !argv.includes('--no-chat');

  let config;
  try {
    config = loadConfig({ argv });
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const problem of error.problems) console.error(`config: ${problem}`);
      return 2;
    }
    throw error;
  }
  registerSecret(config.gateway.token);
  // The checklist is the output; logs only say what went wrong, unless LOG_LEVEL asks for more.
  const logger = createLogger({ level: process.env.LOG_LEVEL ? config.log.level : 'error' });
  const client = new GatewayClient(gatewayClientOptions(config.gateway, logger));
  const gateway = scrubSecrets(config.gateway.url);
  if (!json) console.log(`clawcord doctor ${VERSION}: ${gateway} (protocol setting: ${config.gateway.protocol})`);

  const results = await runChecklist(client, {
    chat,
    connectTimeoutMs: config.gateway.connectTimeoutMs,
    runTimeoutMs: 120_000,
    onResult: json ? undefined : (result) => console.log(scrubSecrets(line(result))),
  });
  await client.close();

  const passed = results.filter((r) => r.status === 'pass').length;
  const failed = results.filter((r) => r.status === 'fail').length;
  const skipped = results.filter((r) => r.status === 'skip').length;
  if (json) {
    const info = client.info;
    const report = { gateway, dialect: info?.dialect, protocol: info?.protocol, serverVersion: info?.serverVersion, passed, failed, skipped, items: results.map((r) => ({ ...r, ms: Math.round(r.ms) })) };
    console.log(scrubSecrets(JSON.stringify(report, null, 2)));
  } else {
    console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  }
  return failed === 0 && passed > 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`doctor: ${scrubSecrets(error instanceof Error ? error.message : String(error))}`);
    process.exit(1);
  },
);
