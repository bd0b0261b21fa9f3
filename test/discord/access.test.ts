import { describe, expect, it } from 'vitest';
import { accessSchema } from '../../src/config/schema.js';
import { AccessPolicy, type Actor } from '../../src/discord/access.js';

const G = '100000000000000001';
const C = '100000000000000002';
const ROLE = '100000000000000003';
const ADMIN_ROLE = '100000000000000004';
const actor = (overrides: Partial<Actor> = {}): Actor => ({ userId: '100000000000000009', guildId: G, channelId: C, roleIds: [], canManageGuild: false, ...overrides });
const policy = (config: object) => new AccessPolicy(accessSchema.parse(config));

describe('AccessPolicy', () => {
  it('lets everyone use member commands and Manage Server holders use admin ones by default', () => {
    const open = policy({});
    expect(open.check(actor(), 'ask', 'member')).toEqual({ ok: true });
    expect(open.check(actor(), 'model', 'admin')).toEqual({ ok: false, reason: 'This command is for clawcord admins: you need the Manage Server permission.' });
    expect(open.check(actor({ canManageGuild: true }), 'model', 'admin')).toEqual({ ok: true });
  });

  it('names what is missing: server, channel, role, DMs', () => {
    const strict = policy({ guilds: [G], channels: [C], roles: [ROLE], admins: { roles: [ADMIN_ROLE] } });
    expect(strict.check(actor({ guildId: '100000000000000077' }), 'ask', 'member')).toMatchObject({ reason: 'clawcord is not enabled in this server (access.guilds).' });
    expect(strict.check(actor({ channelId: '100000000000000078' }), 'ask', 'member')).toMatchObject({ reason: 'clawcord is not enabled in this channel (access.channels).' });
    expect(strict.check(actor(), 'ask', 'member')).toMatchObject({ reason: `You need one of these roles: <@&${ROLE}> to use clawcord.` });
    expect(strict.check(actor({ roleIds: [ROLE] }), 'ask', 'member')).toEqual({ ok: true });
    expect(strict.check(actor({ roleIds: [ROLE] }), 'reset', 'admin')).toMatchObject({ reason: expect.stringContaining(`<@&${ADMIN_ROLE}>`) });
    expect(strict.check(actor({ roleIds: [ADMIN_ROLE] }), 'reset', 'admin')).toEqual({ ok: true });
    expect(strict.check(actor({ guildId: null }), 'ask', 'member')).toMatchObject({ reason: expect.stringContaining('DMs') });
    expect(policy({ allowDMs: true }).check(actor({ guildId: null }), 'ask', 'member')).toEqual({ ok: true });
  });

  it('lets the config change who may run a command', () => {
    const relaxed = policy({ commands: { reset: 'member', ask: 'admin' } });
    expect(relaxed.check(actor(), 'reset', 'admin')).toEqual({ ok: true });
    expect(relaxed.check(actor(), 'ask', 'member').ok).toBe(false);
  });
});
