import type { GatewayConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import { VERSION } from '../version.js';
import type { GatewayClientOptions } from './client.js';

/** Client options from the `gateway` section of the config. */
export function gatewayClientOptions(config: GatewayConfig, logger: Logger): GatewayClientOptions {
  return {
    url: config.url,
    token: config.token,
    protocol: config.protocol,
    logger,
    device: { path: config.deviceKeyPath },
    clientVersion: VERSION,
    requestTimeoutMs: config.requestTimeoutMs,
    connectTimeoutMs: config.connectTimeoutMs,
    detectTimeoutMs: config.detectTimeoutMs,
    reconnect: config.reconnect,
    lostRunGraceMs: config.lostRunGraceMs,
    runIdleTimeoutMs: config.runIdleTimeoutMs,
    recoveryIntervalMs: config.recoveryIntervalMs,
  };
}
