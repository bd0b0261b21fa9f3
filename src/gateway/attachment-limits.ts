import { asNumber, asObject, type Json } from './normalize.js';
import { formatBytes } from './sizes.js';
import type { AttachmentLimits, GatewayFeatures } from './types.js';

/**
 * OpenClaw 2026.2 reads only images from chat.send attachments, each at most 5,000,000 decoded bytes
 * (`parseMessageWithAttachments(…, {maxBytes: 5e6})`, src/gateway/chat-attachments.ts); it drops other files silently.
 */
export const V3_MAX_IMAGE_BYTES = 5_000_000;

/** The card lists no attachments param: its gateway refuses any param it does not list. */
export const CARD_ATTACHMENTS: AttachmentLimits = { images: undefined, files: undefined, maxPayloadBytes: undefined };

/**
 * 2026.9 says its limits in hello-ok `policy.attachments` ({maxBytes, maxImageBytes}); 2026.2 has none there, so its
 * known limit stands. Both say `policy.maxPayload`, the largest frame they read.
 */
export function openClawAttachmentLimits(protocol: number, policy: Json): AttachmentLimits {
  const maxPayloadBytes = asNumber(policy.maxPayload);
  if (protocol < 4) return { images: { maxBytes: V3_MAX_IMAGE_BYTES }, files: undefined, maxPayloadBytes };
  const limits = asObject(policy.attachments);
  const maxBytes = asNumber(limits.maxBytes);
  const maxImageBytes = asNumber(limits.maxImageBytes) ?? maxBytes;
  return {
    images: maxImageBytes !== undefined ? { maxBytes: maxImageBytes } : undefined,
    files: maxBytes !== undefined ? { maxBytes } : undefined,
    maxPayloadBytes,
  };
}

/**
 * What files this gateway takes with a prompt and gives back, in one line for people (the doctor, /status):
 * `files: images ≤ 5 MB in, produced files named only` (2026.2), `files: images ≤ 6 MiB and files ≤ 18.6 MiB in,
 * produced files attached` (2026.9), `files: text only, inlined` (the card: text files go inlined in the prompt).
 */
export function describeFiles(features: Pick<GatewayFeatures, 'attachments' | 'producedFiles'>): string {
  const { images, files } = features.attachments;
  const taken = [images && `images ≤ ${formatBytes(images.maxBytes)}`, files && `files ≤ ${formatBytes(files.maxBytes)}`].filter(Boolean);
  if (taken.length === 0 && !features.producedFiles) return 'files: text only, inlined';
  const incoming = taken.length > 0 ? `${taken.join(' and ')} in` : 'text only in, inlined';
  return `files: ${incoming}, produced files ${features.producedFiles ? 'attached' : 'named only'}`;
}
