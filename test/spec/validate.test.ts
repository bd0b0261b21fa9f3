// The spec validator on its own: it passes what Discord accepts and answers, and names what Discord would refuse or
// never send, with the route, the JSON pointer and a message.
import { describe, expect, it } from 'vitest';
import { DISCORD_LIMITS } from './limits.js';
import { checkExchange, checkRequest, checkResponse, formatViolation, maskedPath, type SpecViolation } from './validate.js';
import { discordSpec, findOperation, specPath } from './openapi.js';

const CHANNEL = '1300000000000000003';
const APP = '1300000000000000001';
const INTERACTION = '1300000000000000009';
const TOKEN = `aW50ZXJhY3Rpb246${'x'.repeat(64)}`;

const user = { id: APP, username: 'bot', discriminator: '0', global_name: null, avatar: null, public_flags: 0, flags: 0, primary_guild: null, bot: true };

function message(overrides: Record<string, unknown> = {}) {
  return {
    type: 0,
    content: 'hello',
    mentions: [],
    mention_roles: [],
    attachments: [],
    embeds: [],
    timestamp: '2026-12-01T10:00:00.000000+00:00',
    edited_timestamp: null,
    flags: 0,
    components: [],
    id: '1300000000000000100',
    channel_id: CHANNEL,
    author: user,
    pinned: false,
    mention_everyone: false,
    tts: false,
    ...overrides,
  };
}

const json = 'application/json';
const post = (path: string, body: unknown, query: Record<string, string> = {}) => ({ method: 'POST', path, query, contentType: json, body });
const described = (violations: SpecViolation[]) => violations.map(formatViolation);

describe('the Discord spec', () => {
  it('is found beside the repository and indexes the operations the bot uses', () => {
    expect(specPath()).toMatch(/shared[/\\]discord-api-spec[/\\]openapi\.json$/);
    const spec = discordSpec();
    expect(spec).toBe(discordSpec());
    expect(findOperation(spec, 'PATCH', `/webhooks/${APP}/${TOKEN}/messages/@original`)?.operation.operationId).toBe('update_original_webhook_message');
    expect(findOperation(spec, 'PATCH', `/webhooks/${APP}/${TOKEN}/messages/1300000000000000100`)?.operation.operationId).toBe('update_webhook_message');
    expect(findOperation(spec, 'GET', '/users/@me')?.operation.operationId).toBe('get_my_user');
  });
});

describe('requests', () => {
  it('passes good requests: a message, a deferral with with_response, an edit, a thread, a query', () => {
    expect(checkRequest(post(`/channels/${CHANNEL}/messages`, { content: 'hi', allowed_mentions: { parse: [] } })).violations).toEqual([]);
    expect(checkRequest(post(`/interactions/${INTERACTION}/${TOKEN}/callback`, { type: 5, data: { flags: 64 } }, { with_response: 'true' })).violations).toEqual([]);
    expect(checkRequest({ method: 'PATCH', path: `/webhooks/${APP}/${TOKEN}/messages/@original`, query: {}, contentType: json, body: { content: 'x'.repeat(2000) } }).violations).toEqual([]);
    expect(checkRequest(post(`/channels/${CHANNEL}/messages/1300000000000000100/threads`, { name: 'a thread', auto_archive_duration: 1440 })).violations).toEqual([]);
    expect(checkRequest({ method: 'GET', path: `/channels/${CHANNEL}/messages`, query: { limit: '50', before: '1300000000000000100' }, body: undefined }).violations).toEqual([]);
    expect(checkRequest(post(`/interactions/${INTERACTION}/${TOKEN}/callback`, { type: 8, data: { choices: [{ name: 'gpt', value: 'gpt' }] } })).violations).toEqual([]);
  });

  it('names a bad body by its JSON pointer, choosing the branch of a union that the type tag means', () => {
    const wrongButton = {
      type: 4,
      data: { content: 'pick', components: [{ type: 1, components: [{ type: 2, style: 'primary', custom_id: 'stop' }] }] },
    };
    const lines = described(checkRequest(post(`/interactions/${INTERACTION}/${TOKEN}/callback`, wrongButton)).violations);
    expect(lines.length).toBeGreaterThan(0);
    // Only the button's style is named: no noise from the other callback types or component types.
    for (const line of lines) {
      expect(line).toMatch(/^POST \/interactions\/\{interaction_id\}\/\{interaction_token\}\/callback body\/data\/components\/0\/components\/0\/style: /);
    }
    expect(checkRequest(post(`/channels/${CHANNEL}/messages`, { content: 12, embeds: [{ title: 'ok' }] })).violations).toEqual([
      { route: 'POST /channels/{channel_id}/messages', part: 'body', pointer: '/content', message: 'must be string,null' },
    ]);
    const unknownType = checkRequest(post(`/interactions/${INTERACTION}/${TOKEN}/callback`, { type: 3 })).violations;
    expect(unknownType).toEqual([expect.objectContaining({ part: 'body', pointer: '/type', message: expect.stringContaining('none of the types allowed here') })]);
  });

  it('names a bad query parameter and one the operation does not have', () => {
    const violations = checkRequest(post(`/interactions/${INTERACTION}/${TOKEN}/callback`, { type: 5 }, { with_response: 'maybe', wait: 'true' })).violations;
    expect(violations).toHaveLength(2);
    expect(violations).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ part: 'query', pointer: '/with_response', message: 'must be boolean' }),
        expect.objectContaining({ part: 'query', pointer: '/wait', message: 'query parameter not defined for this operation' }),
      ]),
    );
    expect(checkRequest({ method: 'GET', path: `/channels/${CHANNEL}/messages`, query: { limit: 'lots' }, body: undefined }).violations).toEqual([
      expect.objectContaining({ part: 'query', pointer: '/limit', message: 'must be integer' }),
    ]);
  });

  it('names a bad path parameter', () => {
    expect(checkRequest(post('/channels/general/messages', { content: 'hi' })).violations).toEqual([
      { route: 'POST /channels/{channel_id}/messages', part: 'path', pointer: '/channel_id', message: 'must match pattern "^(0|[1-9][0-9]*)$"' },
    ]);
  });

  it('names an unknown route without showing the token in it', () => {
    const violations = checkRequest({ method: 'POST', path: `/webhooks/${APP}/${TOKEN}/messages/@original`, query: {}, contentType: json, body: { content: 'x' } }).violations;
    expect(violations).toEqual([{ route: 'POST /webhooks/{id}/{token}/messages/@original', part: 'route', pointer: '', message: "no operation of Discord's API has this method and path" }]);
    expect(formatViolation(violations[0]!)).not.toContain(TOKEN);
    expect(maskedPath(`/interactions/${INTERACTION}/${TOKEN}/callback`)).toBe('/interactions/{id}/{token}/callback');
  });

  it('applies the documented limits the schema leaves out: content, embeds, rows, buttons, custom_id, choices, thread names', () => {
    const tooLong = checkRequest(post(`/channels/${CHANNEL}/messages`, { content: 'é'.repeat(DISCORD_LIMITS.content + 1) })).violations;
    expect(tooLong).toEqual([{ route: 'POST /channels/{channel_id}/messages', part: 'body', pointer: '/content', message: 'length: 2001, Discord allows at most 2000' }]);
    // Code points, not UTF-16 units: 2,000 emoji are fine.
    expect(checkRequest(post(`/channels/${CHANNEL}/messages`, { content: '😀'.repeat(2000) })).violations).toEqual([]);

    const button = (n: number) => ({ type: 2, style: 1, label: `b${n}`, custom_id: `b${n}` });
    const rows = Array.from({ length: 6 }, (_, r) => ({ type: 1, components: [button(r)] }));
    const pointers = (body: unknown) => checkRequest(post(`/channels/${CHANNEL}/messages`, body)).violations.map((v) => v.pointer);
    expect(pointers({ components: rows })).toEqual(['/components']);
    expect(pointers({ components: [{ type: 1, components: [button(1), button(1)] }] })).toEqual(['/components/0/components/1/custom_id']);
    expect(pointers({ content: 'x', embeds: Array.from({ length: 11 }, () => ({ title: 't' })) })).toEqual(['/embeds']);
    expect(pointers({ embeds: [{ description: 'd'.repeat(4096) }, { description: 'd'.repeat(2000) }] })).toEqual(['/embeds']);
    expect(pointers({ components: [{ type: 1, components: [{ type: 2, style: 1, custom_id: 'c'.repeat(101) }] }] })).toEqual(['/components/0/components/0/custom_id']);

    const choices = Array.from({ length: 26 }, (_, i) => ({ name: `m${i}`, value: `m${i}` }));
    const callback = (data: unknown) => checkRequest(post(`/interactions/${INTERACTION}/${TOKEN}/callback`, { type: 8, data })).violations.map((v) => v.pointer);
    expect(callback({ choices })).toEqual(['/data/choices']);
    expect(callback({ choices: [{ name: 'n'.repeat(101), value: 'v'.repeat(101) }] })).toEqual(['/data/choices/0/name', '/data/choices/0/value']);

    expect(checkRequest(post(`/channels/${CHANNEL}/threads`, { name: 't'.repeat(101), type: 11 })).violations.map((v) => v.pointer)).toEqual(['/name']);
  });

  it('checks the payload_json and the file fields of a multipart body', () => {
    const multipart = (body: unknown, files: string[]) => ({
      method: 'POST',
      path: `/webhooks/${APP}/${TOKEN}`,
      query: { wait: 'true' },
      contentType: 'multipart/form-data; boundary=x',
      body,
      files,
    });
    expect(checkRequest(multipart({ content: 'see file', attachments: [{ id: '0', filename: 'a.txt' }] }, ['files[0]'])).violations).toEqual([]);
    expect(checkRequest(multipart({ content: 'x'.repeat(2001) }, ['files[0]'])).violations.map((v) => [v.part, v.pointer])).toEqual([['body', '/content']]);
  });

  it('checks the payload_json of a multipart callback, and the file parts as reference.mdx (Uploading Files) has them', () => {
    const request = (method: string, path: string, body: unknown, uploads: Array<{ field: string; size?: number }>, fields: Record<string, string> = {}) => ({
      method,
      path,
      query: {},
      contentType: 'multipart/form-data; boundary=x',
      body,
      files: uploads.map((u) => u.field),
      uploads: uploads.map((u) => ({ field: u.field, filename: 'a.txt', size: u.size ?? 1 })),
      fields,
    });
    const found = (r: ReturnType<typeof request>) => checkRequest(r).violations.map((v) => `${v.pointer}: ${v.message}`);
    const callback = `/interactions/${INTERACTION}/${TOKEN}/callback`;
    const reply = (data: unknown) => ({ type: 4, data });
    expect(found(request('POST', callback, reply({ content: 'a file', attachments: [{ id: '0', description: 'it' }] }), [{ field: 'files[0]' }]))).toEqual([]);
    expect(found(request('POST', callback, reply({ content: 'x'.repeat(2001) }), [{ field: 'files[0]' }]))).toEqual(['/data/content: must NOT have more than 2000 characters']);
    expect(found(request('POST', callback, reply({ content: 'a', attachments: [{ id: '1' }] }), [{ field: 'files[0]' }]))).toEqual([
      "/data/attachments/0/id: no files[1] part in this request; a new attachment's id is the n of its files[n]",
    ]);
    const channel = `/channels/${CHANNEL}/messages`;
    expect(found(request('POST', channel, { content: 'a', attachments: [{ description: 'no id' }] }, [{ field: 'files[0]' }]))).toEqual(["/attachments/0/id: must have required property 'id'"]);
    expect(found(request('POST', channel, { content: 'a' }, [{ field: 'file' }, { field: 'files[1]' }, { field: 'files[1]' }], { 'files[2]': 'no filename' }))).toEqual([
      '/files[2]: a file part needs a filename in its Content-Disposition; without one Discord takes it for a text field',
      '/file: file part named "file": files go in parts named files[n]',
      '/files[1]: files[1] is sent twice; each file part needs a name of its own',
    ]);
    const edit = `/webhooks/${APP}/${TOKEN}/messages/@original`;
    expect(found(request('PATCH', edit, { attachments: [{ id: '1300000000000000200' }, { id: '0' }] }, [{ field: 'files[0]' }]))).toEqual([]);
    expect(found(request('PATCH', edit, { attachments: [{ id: '1300000000000000200' }] }, [{ field: 'files[0]' }]))).toEqual([
      '/files[0]: files[0] is not listed in attachments, so Discord does not add it to the message',
    ]);
    const big = { field: 'files[0]', size: DISCORD_LIMITS.attachmentBytes + 1 };
    expect(found(request('POST', channel, { content: 'a' }, [big]))).toEqual([`/files[0]: bytes in the file (Discord answers 413, 40005): ${big.size}, Discord allows at most ${DISCORD_LIMITS.attachmentBytes}`]);
    expect(found({ ...request('POST', channel, { content: 'a' }, [big]), uploadLimitBytes: 50 * 1024 * 1024 } as ReturnType<typeof request>)).toEqual([]);
  });

  it('checks the fields of ATTACHMENT options (application-commands.mdx)', () => {
    const command = (option: Record<string, unknown>) =>
      checkRequest(post(`/applications/${APP}/commands`, { name: 'ask', description: 'Ask', options: [{ name: 'file', description: 'A file', ...option }] })).violations.map((v) => v.pointer);
    expect(command({ type: 11, file_types: ['image', '.pdf'] })).toEqual([]);
    expect(command({ type: 11, autocomplete: true })).toEqual(['/options/0/autocomplete']);
    expect(command({ type: 3, file_types: ['image'] })).toEqual(['/options/0/file_types']);
    expect(command({ type: 11, file_types: ['pdf'] })).toEqual(['/options/0/file_types/0']);
  });
});

describe('responses', () => {
  const callbackOperation = findOperation(discordSpec(), 'POST', `/interactions/${INTERACTION}/${TOKEN}/callback`)!.operation;
  const editOperation = findOperation(discordSpec(), 'PATCH', `/webhooks/${APP}/${TOKEN}/messages/@original`)!.operation;

  it('passes answers as the spec documents them', () => {
    expect(checkResponse(editOperation, { status: 200, contentType: json, body: message() })).toEqual([]);
    expect(checkResponse(callbackOperation, { status: 204, body: undefined })).toEqual([]);
    const reply = { interaction: { id: INTERACTION, type: 2, response_message_id: '1300000000000000100' }, resource: { type: 4, message: message() } };
    expect(checkResponse(callbackOperation, { status: 200, contentType: json, body: reply })).toEqual([]);
    expect(checkResponse(callbackOperation, { status: 404, contentType: json, body: { code: 10062, message: 'Unknown interaction' } })).toEqual([]);
    expect(checkResponse(callbackOperation, { status: 429, contentType: json, body: { code: 0, message: 'You are being rate limited.', retry_after: 1, global: false } })).toEqual([]);
  });

  it('names a bad answer: a missing field, a deferral with a resource the spec has no branch for, an undocumented status', () => {
    const { author: _author, ...withoutAuthor } = message();
    expect(checkResponse(editOperation, { status: 200, contentType: json, body: withoutAuthor })).toEqual([
      { route: 'PATCH /webhooks/{webhook_id}/{webhook_token}/messages/@original', part: 'response', pointer: '/author', message: "must have required property 'author'" },
    ]);
    const deferred = { interaction: { id: INTERACTION, type: 2 }, resource: { type: 5, message: message() } };
    expect(checkResponse(callbackOperation, { status: 200, contentType: json, body: deferred })).toEqual([
      expect.objectContaining({ part: 'response', pointer: '/resource/type', message: expect.stringContaining('none of the types allowed here (4, 12, 7)') }),
    ]);
    expect(checkResponse(editOperation, { status: 204, body: undefined })).toEqual([
      expect.objectContaining({ part: 'response', message: 'status 204 is not an answer of this operation (it answers 200, 429, 4XX)' }),
    ]);
    expect(checkResponse(editOperation, { status: 200, contentType: 'text/plain', body: 'ok' })).toEqual([expect.objectContaining({ message: expect.stringContaining('content type "text/plain"') })]);
  });

  it('checks request and answer of one exchange together', () => {
    const violations = checkExchange({
      request: { method: 'PATCH', path: `/webhooks/${APP}/${TOKEN}/messages/@original`, query: {}, contentType: json, body: { content: 'x'.repeat(2001) } },
      response: { status: 200, contentType: json, body: message({ content: 'x'.repeat(2001), flags: 'none' }) },
    });
    expect(violations.map((v) => `${v.part}${v.pointer}`)).toEqual(['body/content', 'response/flags']);
  });
});
