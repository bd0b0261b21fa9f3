/** A refusal or failure the person who asked should read: the Discord side shows `message` ephemerally. */
export class UserFacingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class GatewayUnavailableError extends UserFacingError {
  constructor(reason?: string) {
    super(`The gateway is unreachable right now; clawcord keeps retrying.${reason ? ` (${reason})` : ''} Try again in a moment.`);
  }
}

export class BusyError extends UserFacingError {
  constructor(maxQueue: number) {
    super(`This session is busy: one answer is streaming and ${maxQueue} more ${maxQueue === 1 ? 'is' : 'are'} waiting. Try again when one finishes.`);
  }
}

export class UnknownChoiceError extends UserFacingError {}
