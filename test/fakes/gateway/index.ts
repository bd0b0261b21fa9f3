// Fake gateways for tests: the card dialect and a protocol-checking OpenClaw v3/v4.
export * from './card-gateway.js';
export * from './openclaw-gateway.js';
export * from './state.js';
export { createTestDevice, signTestDevice, devicePayloadV2, devicePayloadV3, type TestDeviceIdentity } from './device-verify.js';
export type { ChatSendRecord, ErrorShape } from './openclaw-methods.js';
export type { ProtocolVersion } from './protocol-tables.js';
export { headlessDeniedText, type Decision as ApprovalDecisionName, type ExecApprovalMode } from './openclaw-approvals.js';
export { stillRunningText } from './run-player.js';
