import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { accessSchema } from '../../src/config/schema.js';
import { commandDefinitions, loadCommands } from '../../src/discord/loader.js';

const optionNames = (options: readonly { name: string }[] | undefined) => (options ?? []).map((o) => o.name);

describe('loadCommands', () => {
  it('loads the eight commands of commands/ with their options', async () => {
    const commands = await loadCommands();
    expect([...commands.keys()].sort()).toEqual(['abort', 'agent', 'ask', 'history', 'model', 'reset', 'sessions', 'status']);
    const options = (name: string) => optionNames(commands.get(name)?.definition.options);
    expect(options('ask')).toEqual(['prompt', 'thread', 'thinking', 'steer', 'file', 'file2', 'file3']);
    expect(options('model')).toEqual(['model']);
    expect(options('agent')).toEqual(['agent']);
    expect(options('history')).toEqual(['limit']);
    expect(options('sessions')).toEqual(['limit']);
    for (const name of ['reset', 'abort', 'status']) expect(options(name)).toEqual([]);
    for (const [name, command] of commands) expect(command.definition.name).toBe(name);
  });

  it('commandDefinitions offers the commands in servers only, admin ones to Manage Server by default', async () => {
    const commands = await loadCommands();
    const definitions = commandDefinitions(commands);
    expect(definitions).toHaveLength(8);
    expect(definitions.map(({ integration_types, contexts, default_member_permissions, ...rest }) => rest)).toEqual([...commands.values()].map((c) => c.definition));
    expect(definitions.every((d) => JSON.stringify(d.integration_types) === '[0]' && JSON.stringify(d.contexts) === '[0]')).toBe(true);
    const gated = Object.fromEntries(definitions.map((d) => [d.name, d.default_member_permissions ?? null]));
    expect(gated).toEqual({ abort: null, agent: 32, ask: null, history: null, model: 32, reset: 32, sessions: null, status: null });
  });

  it('commandDefinitions follows the access config: DMs, overrides, and admins by role', async () => {
    const commands = await loadCommands();
    const access = accessSchema.parse({ allowDMs: true, commands: { ask: 'admin', reset: 'member' } });
    const definitions = commandDefinitions(commands, access);
    expect(definitions.every((d) => JSON.stringify(d.contexts) === '[0,1]')).toBe(true);
    const gated = definitions.filter((d) => d.default_member_permissions !== undefined).map((d) => d.name);
    expect(gated).toEqual(['agent', 'ask', 'model']);
    // Admins by role need not have Manage Server; hiding the commands from everyone else would hide them too.
    const byRole = commandDefinitions(commands, accessSchema.parse({ admins: { roles: ['500000000000000001'] } }));
    expect(byRole.filter((d) => d.default_member_permissions !== undefined)).toEqual([]);
  });

  describe('in a folder of its own', () => {
    let dir: string | undefined;
    afterEach(async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
      dir = undefined;
    });

    const command = (name: string) =>
      `export default { definition: { name: '${name}', description: 'd' }, access: 'member', async execute() {} };\n`;

    it('skips non-commands, declaration files, source maps and tests', async () => {
      dir = await mkdtemp(join(tmpdir(), 'clawcord-loader-'));
      await writeFile(join(dir, 'one.js'), command('one'));
      await writeFile(join(dir, 'helper.js'), 'export const x = 1;\nexport default { not: "a command" };\n');
      await writeFile(join(dir, 'one.d.ts'), 'this is not javascript');
      await writeFile(join(dir, 'one.js.map'), '{}');
      await writeFile(join(dir, 'one.test.js'), 'throw new Error("must not be imported");');
      await writeFile(join(dir, 'notes.txt'), 'hello');
      const commands = await loadCommands(pathToFileURL(dir));
      expect([...commands.keys()]).toEqual(['one']);
    });

    it('throws on two commands with the same name, naming both files', async () => {
      dir = await mkdtemp(join(tmpdir(), 'clawcord-loader-'));
      await writeFile(join(dir, 'a.js'), command('same'));
      await writeFile(join(dir, 'b.js'), command('same'));
      await expect(loadCommands(pathToFileURL(`${dir}/`))).rejects.toThrow(/duplicate slash command name "same" in .*a\.js and .*b\.js/);
    });
  });
});
