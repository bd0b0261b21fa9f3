// Ed25519 device proof as OpenClaw checks it (openclaw-protocol.md §2.2), plus helpers for tests to make one.
import { createHash, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';

export interface DeviceProof {
  id: string;
  publicKey: string;
  signature: string;
  signedAt: number;
  nonce?: string;
}

export interface DeviceCheckInput {
  device: DeviceProof;
  clientId: string;
  clientMode: string;
  platform: string;
  deviceFamily?: string;
  role: string;
  scopes: readonly string[];
  /** `auth.token`, or '' when none was sent. */
  token: string;
  challengeNonce: string;
  skewMs: number;
  acceptV3Payload: boolean;
  nonceRequired: boolean;
  now?: number;
}

export type DeviceCheckResult =
  | { ok: true; deviceId: string }
  | { ok: false; message: string; detailCode: string };

export interface DevicePayloadFields {
  deviceId: string;
  clientId: string;
  clientMode: string;
  role: string;
  scopes: readonly string[];
  signedAt: number;
  token: string;
  nonce: string;
}

export function devicePayloadV2(f: DevicePayloadFields): string {
  return ['v2', f.deviceId, f.clientId, f.clientMode, f.role, f.scopes.join(','), f.signedAt, f.token, f.nonce].join('|');
}

export function devicePayloadV3(f: DevicePayloadFields & { platform: string; deviceFamily?: string }): string {
  const tail = [f.platform, f.deviceFamily ?? ''].map((s) => s.trim().toLowerCase());
  return [devicePayloadV2(f).replace(/^v2\|/, 'v3|'), ...tail].join('|');
}

/** Raw 32-byte key from base64url (or a PEM), or undefined. */
function rawPublicKey(publicKey: string): Buffer | undefined {
  try {
    if (publicKey.includes('-----BEGIN')) {
      const x = createPublicKey(publicKey).export({ format: 'jwk' }).x;
      return x === undefined ? undefined : Buffer.from(x, 'base64url');
    }
    if (!/^[A-Za-z0-9_-]+={0,2}$/.test(publicKey)) return undefined;
    const raw = Buffer.from(publicKey, 'base64url');
    return raw.length === 32 ? raw : undefined;
  } catch {
    return undefined;
  }
}

export function deviceIdOf(rawKey: Buffer): string {
  return createHash('sha256').update(rawKey).digest('hex');
}

export function verifyDevice(input: DeviceCheckInput): DeviceCheckResult {
  const { device } = input;
  const fail = (message: string, detailCode: string): DeviceCheckResult => ({ ok: false, message, detailCode });
  const raw = rawPublicKey(device.publicKey);
  if (!raw) return fail('device public key invalid', 'DEVICE_AUTH_PUBLIC_KEY_INVALID');
  if (deviceIdOf(raw) !== device.id) return fail('device identity mismatch', 'DEVICE_AUTH_DEVICE_ID_MISMATCH');
  if (Math.abs((input.now ?? Date.now()) - device.signedAt) > input.skewMs)
    return fail('device signature expired', 'DEVICE_AUTH_SIGNATURE_EXPIRED');
  if (device.nonce === undefined && input.nonceRequired) return fail('device nonce required', 'DEVICE_AUTH_NONCE_REQUIRED');
  if (device.nonce !== undefined && device.nonce !== input.challengeNonce)
    return fail('device nonce mismatch', 'DEVICE_AUTH_NONCE_MISMATCH');

  let key: KeyObject;
  let signature: Buffer;
  try {
    key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
    signature = Buffer.from(device.signature, 'base64url');
  } catch {
    return fail('device public key invalid', 'DEVICE_AUTH_PUBLIC_KEY_INVALID');
  }
  const fields: DevicePayloadFields = {
    deviceId: device.id,
    clientId: input.clientId,
    clientMode: input.clientMode,
    role: input.role,
    scopes: input.scopes,
    signedAt: device.signedAt,
    token: input.token,
    nonce: device.nonce ?? '',
  };
  const payloads = [devicePayloadV2(fields)];
  if (input.acceptV3Payload) payloads.push(devicePayloadV3({ ...fields, platform: input.platform, deviceFamily: input.deviceFamily }));
  const valid = payloads.some((p) => {
    try {
      return verify(null, Buffer.from(p, 'utf8'), key, signature);
    } catch {
      return false;
    }
  });
  return valid ? { ok: true, deviceId: device.id } : fail('device signature invalid', 'DEVICE_AUTH_SIGNATURE_INVALID');
}

// ---- test helpers -------------------------------------------------------------------------------------------------

export interface TestDeviceIdentity {
  deviceId: string;
  /** Raw key, base64url. */
  publicKey: string;
  privateKey: KeyObject;
}

export function createTestDevice(): TestDeviceIdentity {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const x = publicKey.export({ format: 'jwk' }).x!;
  return { deviceId: deviceIdOf(Buffer.from(x, 'base64url')), publicKey: x, privateKey };
}

/** Builds a signed `connect.params.device` block (v2 payload unless `payload: 'v3'`). */
export function signTestDevice(
  identity: TestDeviceIdentity,
  f: Omit<DevicePayloadFields, 'deviceId'> & { payload?: 'v2' | 'v3'; platform?: string; deviceFamily?: string },
): Required<DeviceProof> {
  const fields = { ...f, deviceId: identity.deviceId };
  const text =
    f.payload === 'v3' ? devicePayloadV3({ ...fields, platform: f.platform ?? '' }) : devicePayloadV2(fields);
  return {
    id: identity.deviceId,
    publicKey: identity.publicKey,
    signature: sign(null, Buffer.from(text, 'utf8'), identity.privateKey).toString('base64url'),
    signedAt: f.signedAt,
    nonce: f.nonce,
  };
}
