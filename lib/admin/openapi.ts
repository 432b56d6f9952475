import { DEFAULT_LIMIT, MAX_LIMIT } from './paging';

type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const array = (items: Schema, extra: Schema = {}): Schema => ({ type: 'array', items, ...extra });
const lifetime: Schema = { type: 'integer', minimum: 1, maximum: 31_536_000, description: 'Seconds.' };
const scopes: Schema = array(ref('ScopeToken'));

/** The client fields an admin may set (every `ClientRecord` field but `secretHash`). */
const CLIENT_FIELDS: Record<string, Schema> = {
  id: { type: 'string', minLength: 1, maxLength: 255, description: 'The client_id. Generated (128 random bits) when left out of a create.' },
  name: { type: 'string', description: 'A display name, shown on the consent page.' },
  tokenEndpointAuthMethod: {
    enum: ['client_secret_basic', 'client_secret_post', 'none'],
    description: '"none" makes a public client (no secret). Cannot change between public and confidential.',
  },
  grants: array(ref('GrantType'), { minItems: 1 }),
  redirectUris: array({ type: 'string', format: 'uri' }, { description: 'Absolute URIs without a fragment, matched exactly.' }),
  scopes: { ...scopes, description: 'Every scope the client may be granted.' },
  defaultScopes: { ...scopes, description: 'Granted when a request has no scope; each must be in scopes.' },
  accessTokenLifetime: lifetime,
  refreshTokenLifetime: lifetime,
  accessTokenFormat: { enum: ['jwt', 'opaque'] },
  canIntrospect: { type: 'boolean', description: 'May introspect every token of the server (a resource server).' },
  requirePkce: { type: 'boolean' },
  firstParty: { type: 'boolean', description: 'Skips the consent page.' },
  disabled: { type: 'boolean', description: 'A disabled client gets no tokens, and its tokens stop working where revocation is checked.' },
  group: { type: 'string', minLength: 1, description: 'The id of an existing group.' },
  rateLimit: ref('RateLimitRule'),
};

const GROUP_FIELDS: Record<string, Schema> = {
  id: { type: 'string', minLength: 1, maxLength: 255 },
  name: { type: 'string' },
  disabled: { type: 'boolean', description: 'Disables every client of the group.' },
  rateLimit: ref('RateLimitRule'),
};

const object = (properties: Record<string, Schema>, required: string[] = [], description?: string): Schema => ({
  type: 'object',
  ...(description ? { description } : {}),
  properties,
  ...(required.length ? { required } : {}),
  additionalProperties: false,
});

const SCHEMAS: Record<string, Schema> = {
  GrantType: { enum: ['authorization_code', 'implicit', 'password', 'client_credentials', 'refresh_token'] },
  ScopeToken: { type: 'string', pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$', description: 'RFC 6749 section 3.3.' },
  RateLimitRule: object(
    { limit: { type: 'integer', minimum: 1 }, windowSeconds: { type: 'integer', minimum: 1, maximum: 86_400 } },
    ['limit', 'windowSeconds'],
  ),
  Client: object(CLIENT_FIELDS, ['id', 'grants'], 'A registered client, as stored, without its secret hash.'),
  ClientCreate: object(CLIENT_FIELDS, ['grants']),
  ClientPatch: object(
    Object.fromEntries(Object.entries(CLIENT_FIELDS).map(([name, schema]) => [name, { anyOf: [schema, { type: 'null' }] }])),
    [],
    'RFC 7396 merge patch: each member replaces that field, null removes it. The result is checked as a whole.',
  ),
  ClientWithSecret: object(
    { client: ref('Client'), client_secret: { type: 'string', description: 'Shown once, never again: store it now. Absent for public clients.' } },
    ['client'],
  ),
  ClientList: object({ clients: array(ref('Client')), next_cursor: { type: 'string', description: 'Pass as after for the next page.' } }, ['clients']),
  Group: object(GROUP_FIELDS, ['id']),
  GroupPut: object(GROUP_FIELDS, [], 'The whole group: a field left out is removed. An id, if given, must be the one of the path.'),
  GroupList: object({ groups: array(ref('Group')), next_cursor: { type: 'string' } }, ['groups']),
  Error: object(
    {
      error: { enum: ['invalid_request', 'invalid_client_metadata', 'invalid_redirect_uri', 'not_found', 'conflict', 'server_error', 'temporarily_unavailable'] },
      error_description: { type: 'string' },
    },
    ['error'],
  ),
  BearerError: object(
    { error: { enum: ['invalid_request', 'invalid_token', 'insufficient_scope'] }, error_description: { type: 'string' } },
    ['error_description'],
    'RFC 6750 section 3: with a WWW-Authenticate: Bearer challenge.',
  ),
};

const json = (schema: Schema) => ({ 'application/json': { schema } });
const error = (description: string) => ({ description, content: json(ref('Error')) });
const RESPONSES = {
  BadRequest: error('The body or a parameter is invalid; error_description names the field.'),
  Unauthorized: { description: 'No valid admin access token (RFC 6750).', content: json(ref('BearerError')) },
  Forbidden: { description: 'The access token lacks the admin scope (insufficient_scope).', content: json(ref('BearerError')) },
  NotFound: error('No client or group with this id.'),
  Conflict: error('The id is taken (or was used by a deleted client), or the group still has clients.'),
  UnsupportedMediaType: error('The body is not application/json.'),
  ServerError: error('The store failed (server_error), or is unavailable (temporarily_unavailable, with Retry-After).'),
};
const use = (name: keyof typeof RESPONSES) => ({ $ref: `#/components/responses/${name}` });
const ok = (description: string, schema: Schema, headers?: Schema) => ({ description, ...(headers ? { headers } : {}), content: json(schema) });
const common = { '401': use('Unauthorized'), '403': use('Forbidden'), '500': use('ServerError'), '503': use('ServerError') };
const withId = { parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }] };
const body = (schema: Schema, types = ['application/json']) => ({
  requestBody: { required: true, content: Object.fromEntries(types.map((t) => [t, { schema }])) },
});
const op = (operationId: string, summary: string, responses: Record<string, unknown>, extra: Schema = {}) => ({
  operationId,
  summary,
  ...extra,
  responses: { ...responses, ...common },
});
const listParameters = (filter?: Schema) => ({
  parameters: [
    { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT } },
    { name: 'after', in: 'query', schema: { type: 'string' }, description: 'The next_cursor of the previous page.' },
    ...(filter ? [filter] : []),
  ],
});
const switchOp = (kind: 'client' | 'group', on: boolean) =>
  op(`${on ? 'enable' : 'disable'}${kind === 'client' ? 'Client' : 'Group'}`, `${on ? 'Enable' : 'Disable'} a ${kind}`, {
    '200': ok(`The ${kind}, ${on ? 'enabled' : 'disabled'}.`, ref(kind === 'client' ? 'Client' : 'Group')),
    '404': use('NotFound'),
  });

const PATHS = {
  '/clients': {
    get: op('listClients', 'List clients, by id', { '200': ok('A page of clients.', ref('ClientList')), '400': use('BadRequest') }, listParameters({ name: 'group', in: 'query', schema: { type: 'string' } })),
    post: op(
      'createClient',
      'Register a client; its secret is in this response only',
      {
        '201': ok('The client and its secret.', ref('ClientWithSecret'), { Location: { schema: { type: 'string' }, description: 'The new client.' } }),
        '400': use('BadRequest'),
        '409': use('Conflict'),
        '415': use('UnsupportedMediaType'),
      },
      body(ref('ClientCreate')),
    ),
  },
  '/clients/{id}': {
    ...withId,
    get: op('getClient', 'Read a client', { '200': ok('The client.', ref('Client')), '404': use('NotFound') }),
    patch: op(
      'updateClient',
      'Change a client (merge patch)',
      { '200': ok('The changed client.', ref('Client')), '400': use('BadRequest'), '404': use('NotFound'), '415': use('UnsupportedMediaType') },
      body(ref('ClientPatch'), ['application/merge-patch+json', 'application/json']),
    ),
    delete: op('deleteClient', 'Delete a client; its tokens stop working where revocation is checked, and its id is never reused', {
      '204': { description: 'Deleted.' },
      '404': use('NotFound'),
    }),
  },
  '/clients/{id}/disable': { ...withId, post: switchOp('client', false) },
  '/clients/{id}/enable': { ...withId, post: switchOp('client', true) },
  '/clients/{id}/secret': {
    ...withId,
    post: op('rotateClientSecret', 'Replace the secret; the old one stops working at once', {
      '200': ok('The client and its new secret, shown once.', ref('ClientWithSecret')),
      '400': use('BadRequest'),
      '404': use('NotFound'),
    }),
  },
  '/groups': { get: op('listGroups', 'List groups, by id', { '200': ok('A page of groups.', ref('GroupList')), '400': use('BadRequest') }, listParameters()) },
  '/groups/{id}': {
    ...withId,
    get: op('getGroup', 'Read a group', { '200': ok('The group.', ref('Group')), '404': use('NotFound') }),
    put: op(
      'putGroup',
      'Create or replace a group',
      {
        '200': ok('The group, replaced.', ref('Group')),
        '201': ok('The group, created.', ref('Group'), { Location: { schema: { type: 'string' } } }),
        '400': use('BadRequest'),
        '415': use('UnsupportedMediaType'),
      },
      body(ref('GroupPut')),
    ),
    delete: op('deleteGroup', 'Delete a group that has no clients', { '204': { description: 'Deleted.' }, '404': use('NotFound'), '409': use('Conflict') }),
  },
  '/groups/{id}/disable': { ...withId, post: switchOp('group', false) },
  '/groups/{id}/enable': { ...withId, post: switchOp('group', true) },
  '/openapi.json': {
    get: { operationId: 'getOpenApi', summary: 'This document', security: [], responses: { '200': { description: 'OpenAPI 3.1', content: json({ type: 'object' }) } } },
  },
};

/**
 * The OpenAPI 3.1 document of the client management API, served at `GET /openapi.json`.
 * `servers` is where the router is mounted, so tools call the right URLs.
 */
export function adminOpenApiDocument(options: { scope: string; tokenUrl: string; serverUrl: string }): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'express-oauth2-provider client management API',
      version: '1',
      description: `Register and manage OAuth clients and client groups. Every operation but this document needs an access token with the scope "${options.scope}".`,
    },
    servers: [{ url: options.serverUrl }],
    security: [{ oauth2: [options.scope] }],
    paths: PATHS,
    components: {
      schemas: SCHEMAS,
      responses: RESPONSES,
      securitySchemes: {
        oauth2: {
          type: 'oauth2',
          flows: { clientCredentials: { tokenUrl: options.tokenUrl, scopes: { [options.scope]: 'Manage clients and client groups' } } },
        },
      },
    },
  };
}
