import { describe, expect, it } from 'vitest';
import { featureLines } from '../../commands/status.js';
import { CARD_ATTACHMENTS } from '../../src/gateway/attachment-limits.js';

const FILES = { attachments: CARD_ATTACHMENTS, producedFiles: false };

describe('/status features', () => {
  it('says what the connection allows beyond chat', () => {
    expect(featureLines({ toolProgress: true, approvals: true, listApprovals: true, steer: true, missingScopes: [], stopsBackgroundCommands: true, ...FILES })).toEqual(['tool progress on · approvals on · steering on']);
    expect(featureLines({ toolProgress: true, approvals: true, listApprovals: false, steer: false, missingScopes: [], stopsBackgroundCommands: false, ...FILES })).toEqual([
      'tool progress on · approvals on (not re-read after a reconnect) · steering off (follow-ups wait for the answer)',
      'Stop ends a command the agent runs now, not one it moved to the background.',
    ]);
    expect(featureLines(undefined)).toEqual([]);
  });

  it('names the scopes the gateway withheld and how to get them', () => {
    expect(featureLines({ toolProgress: true, approvals: false, listApprovals: false, steer: false, missingScopes: ['operator.approvals'], stopsBackgroundCommands: true, ...FILES })).toEqual([
      'tool progress on · approvals off · steering off (follow-ups wait for the answer)',
      "⚠️ the gateway did not grant `operator.approvals`: re-pair clawcord's device to grant operator.approvals.",
    ]);
  });
});
