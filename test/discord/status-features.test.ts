import { describe, expect, it } from 'vitest';
import { featureLines } from '../../commands/status.js';
import { CARD_ATTACHMENTS, openClawAttachmentLimits } from '../../src/gateway/attachment-limits.js';

const FILES = { attachments: CARD_ATTACHMENTS, producedFiles: false };
const CARD_FILES_LINE = 'files: text only, inlined';

describe('/status features', () => {
  it('says what the connection allows beyond chat', () => {
    expect(featureLines({ toolProgress: true, approvals: true, listApprovals: true, steer: true, missingScopes: [], stopsBackgroundCommands: true, ...FILES })).toEqual(['tool progress on · approvals on · steering on', CARD_FILES_LINE]);
    expect(featureLines({ toolProgress: true, approvals: true, listApprovals: false, steer: false, missingScopes: [], stopsBackgroundCommands: false, ...FILES })).toEqual([
      'tool progress on · approvals on (not re-read after a reconnect) · steering off (follow-ups wait for the answer)',
      CARD_FILES_LINE,
      'Stop ends a command the agent runs now, not one it moved to the background.',
    ]);
    expect(featureLines(undefined)).toEqual([]);
  });

  it('names the scopes the gateway withheld and how to get them', () => {
    expect(featureLines({ toolProgress: true, approvals: false, listApprovals: false, steer: false, missingScopes: ['operator.approvals'], stopsBackgroundCommands: true, ...FILES })).toEqual([
      'tool progress on · approvals off · steering off (follow-ups wait for the answer)',
      CARD_FILES_LINE,
      "⚠️ the gateway did not grant `operator.approvals`: re-pair clawcord's device to grant operator.approvals.",
    ]);
  });

  it('names what files the gateway takes and gives back, per version', () => {
    const base = { toolProgress: true, approvals: true, listApprovals: false, steer: false, missingScopes: [], stopsBackgroundCommands: true };
    const v3 = { ...base, attachments: openClawAttachmentLimits(3, { maxPayload: 26_214_400 }), producedFiles: false };
    const v4 = {
      ...base,
      attachments: openClawAttachmentLimits(4, { maxPayload: 26_214_400, attachments: { maxBytes: 19_464_192, maxImageBytes: 6_291_456 } }),
      producedFiles: true,
    };
    expect(featureLines(v3)[1]).toBe('files: images ≤ 5 MB in, produced files named only');
    expect(featureLines(v4)[1]).toBe('files: images ≤ 6 MiB and files ≤ 18.6 MiB in, produced files attached');
    expect(featureLines({ ...v4, producedFiles: false })[1]).toBe('files: images ≤ 6 MiB and files ≤ 18.6 MiB in, produced files named only');
  });
});
