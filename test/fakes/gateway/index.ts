// Fake gateways for tests: the card dialect and a protocol-checking OpenClaw v3/v4.
export * from './card-gateway.js';
export * from './openclaw-gateway.js';
export * from './state.js';
export { createTestDevice, signTestDevice, devicePayloadV2, devicePayloadV3, type TestDeviceIdentity } from './device-verify.js';
export type { ChatSendRecord, ErrorShape } from './openclaw-methods.js';
export type { ProtocolVersion } from './protocol-tables.js';
export { headlessDeniedText, type Decision as ApprovalDecisionName, type ExecApprovalMode } from './openclaw-approvals.js';
export { stillRunningText } from './run-player.js';
export {
  attachmentPolicy,
  MAX_PAYLOAD_BYTES,
  V3_MAX_ATTACHMENT_BYTES,
  V4_MAX_ATTACHMENT_BYTES,
  V4_MAX_IMAGE_BYTES,
  type MediaFact,
  type ModelAttachment,
} from './openclaw-attachments.js';
export { AGENT_SELECTION_REQUIRED, MEDIA_TICKET_TTL_MS } from './openclaw-media.js';
export { splitMedia, type MediaSplit } from './media-directives.js';
