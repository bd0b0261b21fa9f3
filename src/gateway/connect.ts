import type { Logger } from '../log.js';
import { loadOrCreateDeviceIdentity, type DeviceIdentity } from './device.js';
import { nextFrame, type Dialect, type Frame } from './dialect.js';
import { CardDialect } from './dialects/card.js';
import { OpenClawDialect } from './dialects/openclaw.js';
import { AuthError, GatewayError, NotPairedError } from './errors.js';
import { FrameSocket, UpgradeRefusedError } from './socket.js';
import type { DialectName, GatewayInfo, ProtocolSetting } from './types.js';

export const DIALECTS: Record<DialectName, Dialect> = { card: new CardDialect(), openclaw: new OpenClawDialect() };

export interface ConnectorOptions {
  url: string;
  token: string | undefined;
  protocol: ProtocolSetting;
  clientVersion: string;
  connectTimeoutMs: number;
  detectTimeoutMs: number;
  maxFrameBytes: number;
  logger: Logger;
  /** A device identity, or the file that keeps one (created on first use). Only OpenClaw needs it. */
  device: DeviceIdentity | { path: string } | undefined;
}

/** A socket that finished its handshake, and what the handshake said. */
export interface Handshaken {
  socket: FrameSocket;
  dialect: Dialect;
  info: GatewayInfo;
}

/**
 * Opens one socket and shakes hands on it, finding the dialect first when the setting is `auto`. Once a dialect
 * answered, later connections go straight to it.
 */
export class Connector {
  private detected: DialectName | undefined;
  /** An OpenClaw challenge came from this URL once: it is OpenClaw, even if a later challenge is slow. */
  private challengeSeen = false;
  private device: DeviceIdentity | undefined;
  /** The missing scopes last warned about, so a reconnect does not repeat it. */
  private warnedMissing = '';
  /** The refusal of the scope upgrade on the last connect, if there was one. */
  private refusedUpgrade: GatewayError | undefined;

  constructor(private readonly options: ConnectorOptions) {}

  /** The dialect in use: the configured one, or the one `auto` found; undefined before `auto` found one. */
  get dialect(): Dialect | undefined {
    const name = this.detected ?? (this.options.protocol === 'auto' ? undefined : this.options.protocol);
    return name ? DIALECTS[name] : undefined;
  }

  async connect(): Promise<Handshaken> {
    const { url, token } = this.options;
    const setting = this.detected ?? (this.challengeSeen ? 'openclaw' : this.options.protocol);
    let dialect: Dialect;
    let socket: FrameSocket;
    let firstFrame: Frame | undefined;

    if (setting === 'auto') {
      // OpenClaw speaks first (connect.challenge); a card gateway waits for our hello and wants the token
      // in the URL. So listen on a token-less socket first: the token only goes into a URL for the card.
      // A card that refuses the token-less socket, or answers it with an error, is known at once; only a silent
      // server makes the probe wait out `detectTimeoutMs`. That wait is long (5 s by default) because deciding too
      // early sends the token in a URL, where proxies log it, to an OpenClaw whose challenge was merely slow (a busy
      // or starting gateway, a slow wss link); a silent card pays it once, as the dialect is remembered.
      const probe = await this.open(url).catch((error: unknown) => {
        if (error instanceof UpgradeRefusedError && error.status === 401) return undefined;
        throw error;
      });
      const first = probe ? await nextFrame(probe, this.options.detectTimeoutMs, 'a first frame').catch(() => undefined) : undefined;
      if (probe && first?.type === 'event' && first.event === 'connect.challenge') {
        this.challengeSeen = true;
        dialect = DIALECTS.openclaw;
        socket = probe;
        firstFrame = first;
      } else {
        probe?.close(1000, 'detected the card dialect');
        dialect = DIALECTS.card;
        socket = await this.openCard(dialect, url, token);
      }
    } else {
      dialect = DIALECTS[setting];
      socket = setting === 'card' ? await this.openCard(dialect, url, token) : await this.open(dialect.connectUrl(url, token));
    }

    let handshaken: Handshaken;
    let refused: GatewayError | undefined;
    try {
      handshaken = await this.shakeHands(dialect, socket, firstFrame, false);
    } catch (error) {
      // The gateway closed this socket: the old scopes get a new one. An upgrade approved later shows at a reconnect.
      if (!dialect.retryWithFewerScopes?.(error)) throw error;
      refused = error as GatewayError;
      handshaken = await this.shakeHands(dialect, await this.open(dialect.connectUrl(url, token)), undefined, true);
    }
    this.refusedUpgrade = refused;
    this.detected = dialect.name;
    this.reportMissingScopes(handshaken.info);
    return handshaken;
  }

  private async shakeHands(dialect: Dialect, socket: FrameSocket, firstFrame: Frame | undefined, reducedScopes: boolean): Promise<Handshaken> {
    try {
      const info = await dialect.handshake({
        socket,
        token: this.options.token,
        firstFrame,
        timeoutMs: this.options.connectTimeoutMs,
        clientVersion: this.options.clientVersion,
        device: () => this.loadDevice(),
        logger: this.options.logger,
        reducedScopes,
      });
      return { socket, dialect, info };
    } catch (error) {
      socket.terminate();
      throw error;
    }
  }

  /** Says once (until it changes) which scopes the gateway did not grant and what that turns off. */
  private reportMissingScopes(info: GatewayInfo): void {
    const missing = info.features.missingScopes;
    const key = missing.join(',');
    if (key === this.warnedMissing) return;
    this.warnedMissing = key;
    if (missing.length === 0) return;
    const off = (['approvals', 'listApprovals', 'steer'] as const).filter((feature) => !info.features[feature]);
    const requestId = this.refusedUpgrade instanceof NotPairedError ? this.refusedUpgrade.requestId : undefined;
    const hint = this.refusedUpgrade
      ? `the gateway wants this device re-approved for them: on the gateway host run openclaw devices approve ${requestId ?? '<request id from `openclaw devices list`>'}`
      : 'the gateway granted fewer scopes than asked for';
    this.options.logger.warn({ missing, granted: info.scopes, featuresOff: off }, `gateway: connected without ${missing.join(', ')}; ${hint}`);
  }

  private loadDevice(): DeviceIdentity {
    if (!this.device) {
      const source = this.options.device;
      if (!source) throw new GatewayError('an OpenClaw gateway needs a device identity (device option)');
      this.device = 'path' in source ? loadOrCreateDeviceIdentity(source.path) : source;
    }
    return this.device;
  }

  private open(url: string): Promise<FrameSocket> {
    const { logger, connectTimeoutMs, maxFrameBytes } = this.options;
    return FrameSocket.open(url, { logger, openTimeoutMs: connectTimeoutMs, maxFrameBytes });
  }

  private async openCard(dialect: Dialect, url: string, token: string | undefined): Promise<FrameSocket> {
    try {
      return await this.open(dialect.connectUrl(url, token));
    } catch (error) {
      if (error instanceof UpgradeRefusedError && error.status === 401) {
        throw new AuthError('401 Unauthorized: the gateway refused the token (check GATEWAY_TOKEN)');
      }
      throw error;
    }
  }
}
