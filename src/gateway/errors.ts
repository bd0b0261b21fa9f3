/** Every failure the gateway client reports is a GatewayError; `fatal` ones are not retried. */
export class GatewayError extends Error {
  readonly fatal: boolean = false;
  constructor(
    message: string,
    readonly code: string = 'GATEWAY_ERROR',
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The token was refused (card: "401 Unauthorized" or an HTTP 401 upgrade; OpenClaw: `unauthorized: …`). */
export class AuthError extends GatewayError {
  override readonly fatal = true;
  constructor(message: string, details?: unknown) {
    super(message, 'UNAUTHORIZED', details);
  }
}

export class ProtocolMismatchError extends GatewayError {
  override readonly fatal = true;
  constructor(message: string, details?: unknown) {
    super(message, 'PROTOCOL_MISMATCH', details);
  }
}

/** A remote OpenClaw gateway has not approved this device yet. */
export class NotPairedError extends GatewayError {
  override readonly fatal = true;
  constructor(
    readonly deviceId: string,
    readonly requestId: string | undefined,
    details?: unknown,
    /** Why, when the gateway says (2026.9 `not-paired`, `scope-upgrade`, `role-upgrade`, `metadata-upgrade`). */
    readonly reason?: string,
  ) {
    super(
      `the gateway has not approved this device yet (device ${deviceId}). ` +
        `On the gateway host run: openclaw devices approve ${requestId ?? '<request id from `openclaw devices list`>'}` +
        ' — then start clawcord again.',
      'NOT_PAIRED',
      details,
    );
  }
}

export class MethodNotFoundError extends GatewayError {
  constructor(message: string, details?: unknown) {
    super(message, 'METHOD_NOT_FOUND', details);
  }
}

export class ParamsError extends GatewayError {
  constructor(message: string, details?: unknown) {
    super(message, 'INVALID_PARAMS', details);
  }
}

export class SessionNotFoundError extends GatewayError {
  constructor(message: string, details?: unknown) {
    super(message, 'SESSION_NOT_FOUND', details);
  }
}

/** The connection lacks a scope the method needs (OpenClaw). */
export class ScopeError extends GatewayError {
  constructor(message: string, details?: unknown) {
    super(message, 'MISSING_SCOPE', details);
  }
}

/** The gateway is starting, restarting or busy; try again after `retryAfterMs`. */
export class UnavailableError extends GatewayError {
  constructor(
    message: string,
    readonly retryAfterMs: number | undefined,
    details?: unknown,
  ) {
    super(message, 'UNAVAILABLE', details);
  }
}

export class RequestTimeoutError extends GatewayError {
  constructor(method: string, timeoutMs: number) {
    super(`${method}: no answer from the gateway within ${timeoutMs} ms`, 'TIMEOUT');
  }
}

/** The connection dropped (or was never up) while the request was pending. */
export class DisconnectedError extends GatewayError {
  constructor(message = 'not connected to the gateway') {
    super(message, 'DISCONNECTED');
  }
}

export class FrameTooLargeError extends GatewayError {
  constructor(bytes: number, limit: number) {
    super(`the gateway sent a frame of ${bytes} bytes (limit ${limit}); it was dropped`, 'FRAME_TOO_LARGE');
  }
}

/** The approval is no longer pending: decided already, expired, or never known to this gateway. */
export class ApprovalGoneError extends GatewayError {
  constructor(message: string, details?: unknown) {
    super(message, 'APPROVAL_NOT_FOUND', details);
  }
}

/** The gateway refuses this decision for this request (2026.9: `allow-always` is unavailable for the command). */
export class DecisionUnavailableError extends GatewayError {
  constructor(message: string, details?: unknown) {
    super(message, 'DECISION_UNAVAILABLE', details);
  }
}

/** The gateway cannot put a message into a running turn (no `sessions.steer`: 2026.2, the card). */
export class SteerUnsupportedError extends GatewayError {
  constructor(message = 'this gateway cannot steer a running turn') {
    super(message, 'STEER_UNSUPPORTED');
  }
}

/** A file is larger than the caller takes (a produced file past the upload limit, a frame past the gateway's max payload). */
export class FileTooLargeError extends GatewayError {
  constructor(
    message: string,
    readonly sizeBytes: number | undefined,
    readonly limitBytes: number,
  ) {
    super(message, 'FILE_TOO_LARGE');
  }
}

/** A file the gateway cannot take with a prompt (a file on 2026.2, anything on the card): a caller's mistake. */
export class AttachmentUnsupportedError extends GatewayError {
  constructor(message: string) {
    super(message, 'ATTACHMENT_UNSUPPORTED');
  }
}

/** A request too large for one frame of the gateway (`policy.maxPayload`): the gateway would close the socket (1009). */
export class PayloadTooLargeError extends GatewayError {
  constructor(
    message: string,
    readonly bytes: number,
    readonly limitBytes: number,
  ) {
    super(message, 'PAYLOAD_TOO_LARGE');
  }
}
