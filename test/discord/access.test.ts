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

describe('mayApprove', () => {
  const APPROVER_ROLE = '100000000000000005';
  const APPROVER = '100000000000000006';
  const ASKER = '100000000000000007';

  it('lets admins decide, and by default only them, naming who may', () => {
    const open = policy({});
    expect(open.mayApprove(actor({ canManageGuild: true }), { id: ASKER })).toEqual({ ok: true });
    expect(open.mayApprove(actor({ userId: ASKER }), { id: ASKER, name: 'Alice' })).toEqual({
      ok: false,
      reason: 'Only clawcord admins (the Manage Server permission) can decide what the agent may run.',
    });
  });

  it('adds the approvers of the config: roles, users and the asker', () => {
    const approvers = policy({ admins: { roles: [ADMIN_ROLE], manageGuild: false }, approvers: { roles: [APPROVER_ROLE], users: [APPROVER], asker: true } });
    expect(approvers.mayApprove(actor({ roleIds: [ADMIN_ROLE] }), { id: ASKER })).toEqual({ ok: true });
    expect(approvers.mayApprove(actor({ roleIds: [APPROVER_ROLE] }), { id: ASKER })).toEqual({ ok: true });
    expect(approvers.mayApprove(actor({ userId: APPROVER }), { id: ASKER })).toEqual({ ok: true });
    expect(approvers.mayApprove(actor({ userId: ASKER }), { id: ASKER })).toEqual({ ok: true });
    // Manage Server no longer makes an admin here.
    expect(approvers.mayApprove(actor({ canManageGuild: true }), { id: ASKER, name: 'Alice' })).toEqual({
      ok: false,
      reason: `Only clawcord admins (<@&${ADMIN_ROLE}>), members with <@&${APPROVER_ROLE}>, <@${APPROVER}> or the person who asked (Alice) can decide what the agent may run.`,
    });
    // An asker clawcord does not know is nobody's.
    expect(approvers.mayApprove(actor({ userId: ASKER }), { id: undefined }).ok).toBe(false);
  });

  it('keeps the location rules', () => {
    expect(policy({ guilds: [G] }).mayApprove(actor({ guildId: '100000000000000077', canManageGuild: true }), { id: ASKER }).ok).toBe(false);
  });

  it('reads a config without the approvers section as admins only', () => {
    const config = accessSchema.parse({});
    const { approvers: _dropped, ...old } = config as typeof config & { approvers?: unknown };
    const legacy = new AccessPolicy(old as typeof config);
    expect(legacy.mayApprove(actor({ userId: ASKER }), { id: ASKER }).ok).toBe(false);
    expect(legacy.mayApprove(actor({ canManageGuild: true }), { id: ASKER }).ok).toBe(true);
  });
});
