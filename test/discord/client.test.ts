import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { createDiscordClient, MEMBER_CACHE_SIZE, USER_CACHE_SIZE } from '../../src/discord/bot.js';

const config = configSchema.parse({ gateway: { url: 'ws://127.0.0.1:1' } });
const id = (n: number) => String(100000000000000000n + BigInt(n));

/** What discord.js does with every user, member and guild a payload carries (the method is internal). */
interface Adding<T = unknown> {
  _add(data: unknown): T;
}

describe('the discord.js client', () => {
  it('keeps a bounded number of users and members, however many people it meets', async () => {
    const client = createDiscordClient(config);
    try {
      const guild = (client.guilds as unknown as Adding<{ members: unknown }>)._add({ id: id(0), name: 'guild', unavailable: false, channels: [], roles: [], members: [] });
      for (let n = 1; n <= 3 * USER_CACHE_SIZE; n++) {
        const user = { id: id(n), username: `user${n}`, discriminator: '0', global_name: null, avatar: null };
        (client.users as unknown as Adding)._add(user);
        (guild.members as unknown as Adding)._add({ user, roles: [], joined_at: new Date().toISOString(), deaf: false, mute: false, flags: 0 });
      }
      expect(client.users.cache.size).toBeLessThanOrEqual(USER_CACHE_SIZE);
      expect((guild.members as { cache: Map<string, unknown> }).cache.size).toBeLessThanOrEqual(MEMBER_CACHE_SIZE);
      // The newest stay: those are the people active now.
      expect(client.users.cache.has(id(3 * USER_CACHE_SIZE))).toBe(true);
    } finally {
      await client.destroy();
    }
  });
});
