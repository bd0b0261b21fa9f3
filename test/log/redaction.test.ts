import { describe, expect, it } from 'vitest';
import { registerSecret } from '../../src/log.js';
import { captureLines } from './capture.js';

describe('logger redaction', () => {
  const gatewayToken = 'gw-SECRET-0123456789abcdef';
  const discordToken = 'MTIz.discord-SECRET.token-xyz';
  const devicePem = '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIDEVICESECRETKEY\n-----END PRIVATE KEY-----';
  registerSecret(gatewayToken);
  registerSecret(discordToken);
  registerSecret(devicePem);

  it('never writes a registered secret, a token field or a ?token= URL', () => {
    const { lines, logger } = captureLines();
    logger.info({ config: { gateway: { url: `ws://h:1/?token=${gatewayToken}`, token: gatewayToken } } }, 'config loaded');
    logger.info({ url: 'ws://h:1/?v=1&token=not-registered-but-in-url' }, 'connecting');
    logger.warn({ auth: { token: 'some-other-token-value' }, privateKey: devicePem }, 'handshake');
    logger.error({ err: new Error(`login failed for ${discordToken}`) }, `refused ${gatewayToken}`);
    logger.debug({ frame: JSON.stringify({ auth: { token: gatewayToken } }) }, 'raw frame');
    const output = lines.join('');
    expect(lines).toHaveLength(5);
    for (const secret of [gatewayToken, discordToken, 'not-registered-but-in-url', 'some-other-token-value', 'DEVICESECRETKEY']) {
      expect(output).not.toContain(secret);
    }
    expect(output).toContain('[redacted]');
    expect(output).toContain('config loaded');
  });
});
