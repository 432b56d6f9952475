import express from 'express';
import request from 'supertest';
import { rawPost } from '../helpers/raw-request';
import { type AdminApp, adminClient, expectAdminError, expectDocumented, expectJson, makeAdminApp } from './admin-helpers';

const VALID = { grants: ['client_credentials'], scopes: ['read'] };
const KNOWN_CLIENT_FIELDS =
  'id, name, tokenEndpointAuthMethod, grants, redirectUris, scopes, defaultScopes, accessTokenLifetime, refreshTokenLifetime, accessTokenFormat, canIntrospect, requirePkce, firstParty, disabled, group, rateLimit';
const GRANTS = 'authorization_code, implicit, password, client_credentials, refresh_token';

let t: AdminApp;
beforeEach(async () => {
  t = await makeAdminApp();
});

/** A raw request to the admin API: any body bytes, any Content-Type. */
const raw = (method: 'post' | 'patch' | 'put', path: string, body: string | Buffer, type?: string) => {
  const req = request(t.app)[method](`/admin${path}`).set('Authorization', `Bearer ${t.token}`);
  if (type) req.set('Content-Type', type);
  return req.send(body);
};

describe('POST /clients: the body must be one JSON object', () => {
  it.each([
    ['no body', undefined, undefined, 400, 'The request needs a JSON object body'],
    ['text/plain', 'text/plain', '{"grants":["client_credentials"]}', 415, 'Content-Type must be application/json'],
    ['a form', 'application/x-www-form-urlencoded', 'grants=client_credentials', 415, 'Content-Type must be application/json'],
    ['merge-patch (PATCH only)', 'application/merge-patch+json', '{"grants":["client_credentials"]}', 415, 'Content-Type must be application/json'],
    ['another charset', 'application/json; charset=latin1', '{"grants":["client_credentials"]}', 415, 'The request body must be UTF-8'],
    ['invalid JSON', 'application/json', '{"grants":', 400, 'The request body is not valid JSON'],
    ['a JSON array', 'application/json', '[{"grants":["client_credentials"]}]', 400, 'The request body must be a JSON object'],
    ['JSON null', 'application/json', 'null', 400, 'The request body must be a JSON object'],
    ['a member given twice', 'application/json', '{"name":"a","grants":["client_credentials"],"name":"b"}', 400, "The member 'name' is given more than once"],
  ])('%s: %s', async (_name, type, body, status, description) => {
    const res = body === undefined ? await t.api.post('/clients') : await raw('post', '/clients', body, type);
    expectAdminError(res, status as number, 'invalid_request', description as string);
    await expectDocumented(t.app, t.mount, 'post', '/clients', res);
    expect(t.changes).toEqual([]);
  });

  it('a body that is not UTF-8: 400', async () => {
    const res = await rawPost(t.app, '/admin/clients', { Authorization: `Bearer ${t.token}`, 'Content-Type': 'application/json' }, Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]));
    expect({ status: res.status, body: res.body, cache: res.headers['cache-control'] }).toEqual({
      status: 400,
      body: { error: 'invalid_request', error_description: 'The request body is not valid UTF-8' },
      cache: 'no-store',
    });
  });

  it('a body over 64 KiB: 400', async () => {
    const res = await raw('post', '/clients', JSON.stringify({ ...VALID, name: 'x'.repeat(70_000) }), 'application/json');
    expectAdminError(res, 400, 'invalid_request', 'The request body is too large');
  });

  it("works behind the host's own express.json() parser", async () => {
    const app = express().use(express.json());
    app.use(t.app);
    const res = await adminClient(app, '/admin', t.token).post('/clients', { ...VALID, id: 'parsed-by-host' });
    expectJson(res, 201, { client: { id: 'parsed-by-host', tokenEndpointAuthMethod: 'client_secret_basic', ...VALID }, client_secret: expect.any(String) });
  });
});

describe('POST /clients: each field is checked, and the error names it (RFC 7591 section 3.2.2 codes)', () => {
  it.each<[string, object, string, string]>([
    ['secretHash', { secretHash: 'sha256:x' }, 'invalid_client_metadata', 'secretHash: The server generates the secret and returns it once; it cannot be set'],
    ['an unknown field', { colour: 'red' }, 'invalid_client_metadata', `colour: unknown field (known: ${KNOWN_CLIENT_FIELDS})`],
    ['an unknown field with an odd name', { 'a b\n': 1 }, 'invalid_client_metadata', `(unnamed): unknown field (known: ${KNOWN_CLIENT_FIELDS})`],
    ['an empty id', { id: '' }, 'invalid_client_metadata', 'id: must be 1 to 255 characters, without control characters'],
    ['an id with a control character', { id: 'a\nb' }, 'invalid_client_metadata', 'id: must be 1 to 255 characters, without control characters'],
    ['an id of 256 characters', { id: 'x'.repeat(256) }, 'invalid_client_metadata', 'id: must be 1 to 255 characters, without control characters'],
    ['an id that is a number', { id: 7 }, 'invalid_client_metadata', 'id: must be 1 to 255 characters, without control characters'],
    ['a name that is not a string', { name: 5 }, 'invalid_client_metadata', 'name: must be a string'],
    ['no grants', { grants: undefined }, 'invalid_client_metadata', `grants: must list at least one of ${GRANTS}`],
    ['an empty grants list', { grants: [] }, 'invalid_client_metadata', `grants: must list at least one of ${GRANTS}`],
    ['an unknown grant', { grants: ['client_credentials', 'magic'] }, 'invalid_client_metadata', `grants[1]: must be one of ${GRANTS}`],
    ['an unknown auth method', { tokenEndpointAuthMethod: 'private_key_jwt' }, 'invalid_client_metadata', 'tokenEndpointAuthMethod: must be one of client_secret_basic, client_secret_post, none'],
    ['client_credentials for a public client', { tokenEndpointAuthMethod: 'none' }, 'invalid_client_metadata', 'grants: client_credentials is for confidential clients only (RFC 6749 section 4.4)'],
    ['a relative redirect URI', { redirectUris: ['/cb'] }, 'invalid_redirect_uri', 'redirectUris[0]: must be an absolute URI without a fragment (RFC 6749 section 3.1.2)'],
    ['a redirect URI with a fragment', { redirectUris: ['https://a.example/cb', 'https://a.example/cb#x'] }, 'invalid_redirect_uri', 'redirectUris[1]: must be an absolute URI without a fragment (RFC 6749 section 3.1.2)'],
    ['redirect URIs that are not a list', { redirectUris: 'https://a.example/cb' }, 'invalid_redirect_uri', 'redirectUris: must be an array of absolute URIs'],
    ['authorization_code without redirect URIs', { grants: ['authorization_code'] }, 'invalid_redirect_uri', 'redirectUris: must list at least one URI for authorization_code or implicit'],
    ['a scope that is not a scope token', { scopes: ['read', 'two words'] }, 'invalid_client_metadata', 'scopes[1]: is not a valid scope token (RFC 6749 section 3.3)'],
    ['a default scope outside scopes', { defaultScopes: ['write'] }, 'invalid_client_metadata', "defaultScopes[0]: 'write' is not in scopes"],
    ['a lifetime of 0', { accessTokenLifetime: 0 }, 'invalid_client_metadata', 'accessTokenLifetime: must be a whole number of seconds from 1 to 31536000'],
    ['a fractional lifetime', { refreshTokenLifetime: 1.5 }, 'invalid_client_metadata', 'refreshTokenLifetime: must be a whole number of seconds from 1 to 31536000'],
    ['an unknown token format', { accessTokenFormat: 'paseto' }, 'invalid_client_metadata', "accessTokenFormat: must be 'jwt' or 'opaque'"],
    ['a flag that is not a boolean', { disabled: 'yes' }, 'invalid_client_metadata', 'disabled: must be a boolean'],
    ['an empty group', { group: '' }, 'invalid_client_metadata', 'group: must be a non-empty string (a group id)'],
    ['a group that does not exist', { group: 'nobody' }, 'invalid_client_metadata', 'group: there is no group with this id (create it with PUT /groups/{id})'],
    ['a rate limit of 0', { rateLimit: { limit: 0, windowSeconds: 60 } }, 'invalid_client_metadata', 'rateLimit.limit: must be a whole number of requests, at least 1'],
    ['a rate limit without a window', { rateLimit: { limit: 5 } }, 'invalid_client_metadata', 'rateLimit.windowSeconds: must be a whole number of seconds from 1 to 86400'],
  ])('%s', async (_name, patch, error, description) => {
    const res = await t.api.post('/clients', { ...VALID, ...patch });
    expectAdminError(res, 400, error, description);
    await expectDocumented(t.app, t.mount, 'post', '/clients', res);
    expect(t.changes).toEqual([]);
  });

  it('an id that is taken: 409', async () => {
    expectAdminError(await t.api.post('/clients', { ...VALID, id: 'reader' }), 409, 'conflict', 'id: a client with this id exists or existed (the ids of deleted clients are not reused)');
  });
});

describe('PATCH /clients/:id: the result is checked as a whole', () => {
  it.each<[string, object, string, string]>([
    ['a new id', { id: 'other' }, 'invalid_client_metadata', 'id: cannot be changed'],
    ['a null id', { id: null }, 'invalid_client_metadata', 'id: cannot be changed'],
    ['secretHash', { secretHash: 'sha256:x' }, 'invalid_client_metadata', 'secretHash: Rotate the secret with POST /clients/{id}/secret'],
    ['public from confidential', { tokenEndpointAuthMethod: 'none' }, 'invalid_client_metadata', "tokenEndpointAuthMethod: cannot change between a public client ('none') and a confidential one; register a new client"],
    ['grants removed', { grants: null }, 'invalid_client_metadata', `grants: must list at least one of ${GRANTS}`],
    ['scopes narrowed below the default scopes', { scopes: ['write'] }, 'invalid_client_metadata', "defaultScopes[0]: 'read' is not in scopes"],
    ['a redirecting grant without redirect URIs', { grants: ['implicit'] }, 'invalid_redirect_uri', 'redirectUris: must list at least one URI for authorization_code or implicit'],
    ['a group that does not exist', { group: 'nobody' }, 'invalid_client_metadata', 'group: there is no group with this id (create it with PUT /groups/{id})'],
    ['an unknown field', { colour: 'red' }, 'invalid_client_metadata', `colour: unknown field (known: ${KNOWN_CLIENT_FIELDS})`],
  ])('%s: 400, and the client is unchanged', async (_name, patch, error, description) => {
    await t.api.post('/clients', { ...VALID, id: 'target', defaultScopes: ['read'] });
    const before = await t.stores.clients.findById('target');
    const res = await t.api.patch('/clients/target', patch);
    expectAdminError(res, 400, error, description);
    await expectDocumented(t.app, t.mount, 'patch', '/clients/{id}', res);
    expect(await t.stores.clients.findById('target')).toEqual(before);
  });

  it('a public client cannot become confidential', async () => {
    await t.api.post('/clients', { id: 'spa', tokenEndpointAuthMethod: 'none', grants: ['password'] });
    expectAdminError(
      await t.api.patch('/clients/spa', { tokenEndpointAuthMethod: 'client_secret_basic' }),
      400,
      'invalid_client_metadata',
      "tokenEndpointAuthMethod: cannot change between a public client ('none') and a confidential one; register a new client",
    );
  });

  it('another Content-Type: 415 naming both accepted', async () => {
    const res = await raw('patch', '/clients/reader', 'name=x', 'application/x-www-form-urlencoded');
    expectAdminError(res, 415, 'invalid_request', 'Content-Type must be application/merge-patch+json or application/json');
    await expectDocumented(t.app, t.mount, 'patch', '/clients/{id}', res);
  });
});

describe('GET /clients and /groups: paging parameters', () => {
  it.each([
    ['/clients?limit=0', 'limit: must be a whole number from 1 to 100'],
    ['/clients?limit=101', 'limit: must be a whole number from 1 to 100'],
    ['/clients?limit=ten', 'limit: must be a whole number from 1 to 100'],
    ['/clients?limit=1.5', 'limit: must be a whole number from 1 to 100'],
    ['/clients?limit=', 'limit: must be a whole number from 1 to 100'],
    ['/clients?after=***', "after: must be the 'next_cursor' of a previous page"],
    ['/clients?after=', "after: must be the 'next_cursor' of a previous page"],
    ['/clients?sort=id', "Unknown query parameter 'sort' (known: limit, after, group)"],
    ['/clients?limit=1&limit=2', "Query parameter 'limit' is given more than once"],
    ['/groups?group=acme', "Unknown query parameter 'group' (known: limit, after)"],
  ])('%s: 400', async (path, description) => {
    const res = await t.api.get(path);
    expectAdminError(res, 400, 'invalid_request', description);
    await expectDocumented(t.app, t.mount, 'get', path.split('?')[0] as string, res);
  });
});

describe('PUT /groups/:id: the whole group is checked', () => {
  it.each<[string, string, object, string]>([
    ['an unknown field', 'acme', { colour: 'red' }, 'colour: unknown field (known: id, name, disabled, rateLimit)'],
    ['another id in the body', 'acme', { id: 'other' }, 'id: must be the id of the path, or left out'],
    ['a name that is not a string', 'acme', { name: 5 }, 'name: must be a string'],
    ['a flag that is not a boolean', 'acme', { disabled: 'no' }, 'disabled: must be a boolean'],
    ['a bad rate limit', 'acme', { rateLimit: { limit: 1, windowSeconds: 86_401 } }, 'rateLimit.windowSeconds: must be a whole number of seconds from 1 to 86400'],
    ['a new id with a control character', 'bad%0Aid', { name: 'x' }, 'id: must be 1 to 255 characters, without control characters'],
  ])('%s: 400', async (_name, id, body, description) => {
    const res = await t.api.put(`/groups/${id}`, body);
    expectAdminError(res, 400, 'invalid_request', description);
    await expectDocumented(t.app, t.mount, 'put', '/groups/{id}', res);
    expect(await t.stores.clients.findGroup?.('acme')).toEqual({ id: 'acme', name: 'ACME Corp' });
  });

  it('another Content-Type: 415', async () => {
    const res = await raw('put', '/groups/acme', 'name=x', 'application/x-www-form-urlencoded');
    expectAdminError(res, 415, 'invalid_request', 'Content-Type must be application/json');
    await expectDocumented(t.app, t.mount, 'put', '/groups/{id}', res);
  });
});

describe('ids in the path', () => {
  it('a malformed percent-escape: 400, not a stack trace', async () => {
    expectAdminError(await t.api.get('/clients/%E0%A4%A'), 400, 'invalid_request', 'The request path is not valid percent-encoded UTF-8');
  });
});
