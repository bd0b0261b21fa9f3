import {
  ApprovalGoneError,
  AuthError,
  DecisionUnavailableError,
  GatewayError,
  MethodNotFoundError,
  NotPairedError,
  ParamsError,
  ProtocolMismatchError,
  ScopeError,
  SessionNotFoundError,
  UnavailableError,
} from '../errors.js';
import { asNumber, asObject, asString } from '../normalize.js';

/** A handshake the gateway refused for a reason retrying cannot fix (bad device proof, invalid params). */
export class HandshakeRejectedError extends GatewayError {
  override readonly fatal = true;
}

/** Maps an OpenClaw `ErrorShape` to a typed error. Branches on codes first, messages second. */
export function openClawError(error: unknown, deviceId?: string): GatewayError {
  const shape = asObject(error);
  const code = asString(shape.code) ?? 'GATEWAY_ERROR';
  const message = asString(shape.message) ?? 'gateway error';
  const details = asObject(shape.details);
  const detailCode = asString(details.code) ?? '';
  const reason = asString(details.reason) ?? '';
  if (code === 'NOT_PAIRED' || detailCode === 'PAIRING_REQUIRED') {
    return new NotPairedError(deviceId ?? 'unknown', asString(details.requestId), shape, reason || undefined);
  }
  // Gone: 2026.2 "unknown approval id"; 2026.9 "unknown or expired approval id", "approval expired or not found",
  // "approval not found" (approval.resolve), and "approval already resolved" (with another decision).
  if (
    reason === 'APPROVAL_NOT_FOUND' ||
    reason === 'APPROVAL_ALREADY_RESOLVED' ||
    /^(unknown (or expired )?approval id|approval (expired or )?not found|approval already resolved)/i.test(message)
  ) {
    return new ApprovalGoneError(message, shape);
  }
  if (reason === 'APPROVAL_ALLOW_ALWAYS_UNAVAILABLE') return new DecisionUnavailableError(message, shape);
  if (code === 'UNAVAILABLE' || detailCode === 'AUTH_RATE_LIMITED') {
    return new UnavailableError(message, asNumber(shape.retryAfterMs), shape);
  }
  if (detailCode.startsWith('AUTH_') || /^unauthori[sz]ed\b/i.test(message)) return new AuthError(message, shape);
  if (detailCode === 'PROTOCOL_MISMATCH' || /protocol mismatch/i.test(message)) return new ProtocolMismatchError(message, shape);
  if (code === 'FORBIDDEN' || detailCode === 'MISSING_SCOPE' || /^missing scope/i.test(message)) return new ScopeError(message, shape);
  if (/^unknown method/i.test(message)) return new MethodNotFoundError(message, shape);
  if (/^invalid .* params/i.test(message)) return new ParamsError(message, shape);
  if (/^unknown session/i.test(message)) return new SessionNotFoundError(message, shape);
  return new GatewayError(message, code, shape);
}
