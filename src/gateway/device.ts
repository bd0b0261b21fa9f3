import { createHash, createPrivateKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** The Ed25519 identity OpenClaw gateways use to pair and authorise a client device. */
export interface DeviceIdentity {
  /** sha256 hex of the raw 32-byte public key. */
  id: string;
  /** Raw 32-byte public key, base64url. */
  publicKey: string;
  privateKey: KeyObject;
}

interface StoredIdentity {
  version: 1;
  privateKeyPem: string;
}

function fromPrivateKey(privateKey: KeyObject): DeviceIdentity {
  const jwk = privateKey.export({ format: 'jwk' });
  if (jwk.crv !== 'Ed25519' || !jwk.x) throw new Error('device identity: not an Ed25519 key');
  const raw = Buffer.from(jwk.x, 'base64url');
  return { id: createHash('sha256').update(raw).digest('hex'), publicKey: jwk.x, privateKey };
}

export function generateDeviceIdentity(): DeviceIdentity {
  return fromPrivateKey(generateKeyPairSync('ed25519').privateKey);
}

/** Loads the identity from `path`, creating it (mode 0600) the first time. */
export function loadOrCreateDeviceIdentity(path: string): DeviceIdentity {
  if (existsSync(path)) {
    let stored: StoredIdentity;
    try {
      stored = JSON.parse(readFileSync(path, 'utf8')) as StoredIdentity;
      return fromPrivateKey(createPrivateKey(stored.privateKeyPem));
    } catch {
      // The message must not echo the file: it holds a private key.
      throw new Error(`device identity file ${path} is unreadable or corrupt; move it away to create a new identity`);
    }
  }
  const identity = generateDeviceIdentity();
  const stored: StoredIdentity = {
    version: 1,
    privateKeyPem: identity.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  };
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, path);
  chmodSync(path, 0o600);
  return identity;
}

export interface DeviceProofInput {
  clientId: string;
  clientMode: string;
  role: string;
  scopes: readonly string[];
  token: string | undefined;
  nonce: string;
  signedAt: number;
}

/**
 * The `device` block of an OpenClaw `connect`. Signature payload v2, which protocol v3 and v4 both accept:
 * `v2|deviceId|clientId|clientMode|role|scopes|signedAtMs|token|nonce`.
 */
export function deviceProof(identity: DeviceIdentity, input: DeviceProofInput) {
  const payload = [
    'v2',
    identity.id,
    input.clientId,
    input.clientMode,
    input.role,
    input.scopes.join(','),
    String(input.signedAt),
    input.token ?? '',
    input.nonce,
  ].join('|');
  const signature = sign(null, Buffer.from(payload, 'utf8'), identity.privateKey).toString('base64url');
  return { id: identity.id, publicKey: identity.publicKey, signature, signedAt: input.signedAt, nonce: input.nonce };
}
