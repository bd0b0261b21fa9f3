import { AttachmentUnsupportedError } from './errors.js';
import type { ChatAttachment, GatewayInfo } from './types.js';

/** A chat.send attachment as both OpenClaw versions read it; 2026.9's known keys, no others. */
export interface OpenClawAttachmentItem {
  type: 'image' | 'file';
  mimeType: string;
  fileName: string;
  /** The bytes, base64. */
  content: string;
}

/**
 * The chat.send `attachments` for OpenClaw: images (both versions) and other files (2026.9). A file this gateway does
 * not take is the caller's mistake (the relay checks `features.attachments` first): it throws, naming the file,
 * and nothing is sent, as 2026.2 would drop it without a word.
 */
export function openClawAttachments(attachments: readonly ChatAttachment[] | undefined, info: GatewayInfo): OpenClawAttachmentItem[] | undefined {
  if (!attachments || attachments.length === 0) return undefined;
  assertTaken(attachments, info);
  return attachments.map((file) => ({ type: file.kind, mimeType: file.mimeType, fileName: file.fileName, content: file.data.toString('base64') }));
}

/** Throws for the first file the gateway takes no file of its kind for (2026.2: files other than images; the card: any). */
export function assertTaken(attachments: readonly ChatAttachment[] | undefined, info: GatewayInfo): void {
  const limits = info.features.attachments;
  for (const file of attachments ?? []) {
    const taken = file.kind === 'image' ? limits.images : limits.files;
    if (taken) continue;
    const what = file.kind === 'image' ? 'images' : 'files other than images';
    throw new AttachmentUnsupportedError(`${file.fileName}: ${gatewayName(info)} takes no ${what} with a prompt; it was not sent`);
  }
}

/**
 * The gateway as a person would name it: `OpenClaw 2026.9`, `the card gateway`; `OpenClaw (protocol 3)` when the
 * gateway gives no release (2026.2 built from source says `dev`).
 */
export function gatewayName(info: GatewayInfo): string {
  if (info.dialect === 'card') return 'the card gateway';
  const release = /^\d{4}\.\d+/.exec(info.serverVersion ?? '')?.[0];
  return release ? `OpenClaw ${release}` : `OpenClaw (protocol ${info.protocol})`;
}
