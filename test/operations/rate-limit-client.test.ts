import type { Express } from 'express';
import request, { type Response } from 'supertest';
import type { ClientGroupRecord, MemoryClientSeed, Stores } from '../../lib';
import { expectOAuthError, expectTokenResponse } from '../helpers/assertions';
import { codeRequest, WEB } from '../helpers/authorize-fixtures';
import { basic, CONFIDENTIAL, POST_CLIENT } from '../helpers/fixtures';
import { ALL_OFF, expectRateLimited, expectRateLimitedPage, fakeClock, rateLimitedApp, seedRateLimitStores, sequentially } from '../helpers/rate-limit';

const PER_CLIENT = { ...ALL_OFF, client: { limit: 3, windowSeconds: 60 } };
const OWN = { id: 'own-budget', secret: 'own-budget-secret-0123456789abcdef' };
const ACME_1 = { id: 'acme-1', secret: 'acme-1-secret-0123456789abcdef' };
const ACME_2 = { id: 'acme-2', secret: 'acme-2-secret-0123456789abcdef' };
const FREE = { id: 'free-group', secret: 'free-group-secret-0123456789abcdef' };
const machine = (c: { id: string; secret: string }, extra: Partial<MemoryClientSeed> = {}): MemoryClientSeed => ({
  ...c,
  grants: ['client_credentials'],
  scopes: ['read'],
  defaultScopes: ['read'],
  ...extra,
});

const cc = (app: Express, client: { id: string; secret: string }) =>
  request(app).post('/oauth2/token').set('Authorization', basic(client.id, client.secret)).type('form').send({ grant_type: 'client_credentials' });
const expectIssued = (res: Response) => expectTokenResponse(res, { expires_in: 3600, scope: 'read' });
const clientRefusal = (limit: number, window: number, s: number) =>
  `Too many requests from this client (at most ${limit} per ${window} seconds); retry in ${s} seconds`;
const groupRefusal = (limit: number, window: number, s: number) =>
  `Too many requests from this client's group (at most ${limit} per ${window} seconds); retry in ${s} seconds`;

/** The memory stores plus `findGroup` over a fixed set of groups (what a store with groups offers). */
function withGroups(stores: Stores, groups: ClientGroupRecord[]): Stores {
  const byId = new Map(groups.map((g) => [g.id, g]));
  return {
    ...stores,
    clients: {
      findById: (id) => stores.clients.findById(id),
      findGroup: async (id) => byId.get(id),
    },
  };
}

let clock: ReturnType<typeof fakeClock>;
beforeEach(() => {
  clock = fakeClock();
});
afterEach(() => clock.restore());

describe('per-client limit (the server default)', () => {
  it('issues tokens 1..3 and answers the 4th with 429 and Retry-After 60; another client keeps its own budget', async () => {
    const { app, refusals } = rateLimitedApp(PER_CLIENT);
    for (const res of await sequentially(3, () => cc(app, CONFIDENTIAL))) expectIssued(res);
    expectRateLimited(await cc(app, CONFIDENTIAL), 60, clientRefusal(3, 60, 60));
    const other = await request(app).post('/oauth2/token').type('form').send({ grant_type: 'client_credentials', client_id: POST_CLIENT.id, client_secret: POST_CLIENT.secret });
    expectIssued(other);
    expect(refusals).toEqual([{ at: expect.any(Date), ip: '127.0.0.1', clientId: CONFIDENTIAL.id, endpoint: 'token', limit: 'client' }]);
  });

  it('is one budget over token, revoke and introspect', async () => {
    const { app } = rateLimitedApp(PER_CLIENT);
    const post = (path: string, body: Record<string, string>) =>
      request(app).post(path).set('Authorization', basic(CONFIDENTIAL.id, CONFIDENTIAL.secret)).type('form').send(body);
    expectIssued(await post('/oauth2/token', { grant_type: 'client_credentials' }));
    expect((await post('/oauth2/revoke', { token: 'not-a-token' })).status).toBe(200);
    expect((await post('/oauth2/introspect', { token: 'not-a-token' })).body).toEqual({ active: false });
    expectRateLimited(await post('/oauth2/revoke', { token: 'not-a-token' }), 60, clientRefusal(3, 60, 60));
    expectRateLimited(await post('/oauth2/introspect', { token: 'not-a-token' }), 60, clientRefusal(3, 60, 60));
  });

  it('counts GET /authorize by its validated client_id, on the same budget as the token endpoint', async () => {
    const { app, refusals } = rateLimitedApp(PER_CLIENT);
    const authorize = () => request(app).get('/oauth2/authorize').query(codeRequest() as Record<string, string>);
    for (const res of await sequentially(2, authorize)) expect(res.status).toBe(200);
    const tokenRequest = await request(app).post('/oauth2/token').set('Authorization', basic(WEB.id, WEB.secret)).type('form').send({ grant_type: 'authorization_code', code: 'x', redirect_uri: 'https://client.example/cb' });
    expectOAuthError(tokenRequest, 400, 'invalid_grant', 'Invalid authorization code');
    expectRateLimitedPage(await authorize(), 60, clientRefusal(3, 60, 60));
    // An unknown client_id is not a client: the page says so, and no budget is touched.
    const unknown = await request(app).get('/oauth2/authorize').query({ ...(codeRequest() as Record<string, string>), client_id: 'nobody' });
    expect(unknown.status).toBe(400);
    expect(refusals).toEqual([{ at: expect.any(Date), ip: '127.0.0.1', clientId: WEB.id, endpoint: 'authorize', limit: 'client' }]);
  });

  it('does not count requests whose client authentication failed (the IP limit does)', async () => {
    const { app } = rateLimitedApp(PER_CLIENT);
    for (const res of await sequentially(5, () => cc(app, { id: CONFIDENTIAL.id, secret: 'wrong' }))) {
      expectOAuthError(res, 401, 'invalid_client', 'Client authentication failed');
    }
    for (const res of await sequentially(3, () => cc(app, CONFIDENTIAL))) expectIssued(res);
  });

  it('renews when the window ends, and Retry-After counts down to it', async () => {
    const { app } = rateLimitedApp(PER_CLIENT);
    await sequentially(3, () => cc(app, CONFIDENTIAL));
    clock.advance(59);
    expectRateLimited(await cc(app, CONFIDENTIAL), 1, clientRefusal(3, 60, 1));
    clock.advance(1);
    for (const res of await sequentially(3, () => cc(app, CONFIDENTIAL))) expectIssued(res);
  });
});

describe("a client's own budget (ClientRecord.rateLimit, the seeds' usage control)", () => {
  it('replaces the server default, with its own limit and window', async () => {
    const stores = seedRateLimitStores([machine(OWN, { rateLimit: { limit: 5, windowSeconds: 10 } })]);
    const { app } = rateLimitedApp(PER_CLIENT, {}, stores);
    for (const res of await sequentially(5, () => cc(app, OWN))) expectIssued(res);
    expectRateLimited(await cc(app, OWN), 10, clientRefusal(5, 10, 10));
    // The default budget (3 per 60 s) of the other clients is unchanged.
    await sequentially(3, () => cc(app, CONFIDENTIAL));
    expectRateLimited(await cc(app, CONFIDENTIAL), 60, clientRefusal(3, 60, 60));
    // After 10 s the own window renewed; the default one did not.
    clock.advance(10);
    expectIssued(await cc(app, OWN));
    expectRateLimited(await cc(app, CONFIDENTIAL), 50, clientRefusal(3, 60, 50));
  });

  it('applies even when the server default is off (client: false)', async () => {
    const stores = seedRateLimitStores([machine(OWN, { rateLimit: { limit: 1, windowSeconds: 30 } })]);
    const { app } = rateLimitedApp(ALL_OFF, {}, stores);
    for (const res of await sequentially(8, () => cc(app, CONFIDENTIAL))) expectIssued(res);
    expectIssued(await cc(app, OWN));
    expectRateLimited(await cc(app, OWN), 30, clientRefusal(1, 30, 30));
  });
});

describe("a client group's budget (ClientGroupRecord.rateLimit via ClientStore.findGroup)", () => {
  const groupStores = () =>
    withGroups(
      seedRateLimitStores([machine(ACME_1, { group: 'acme' }), machine(ACME_2, { group: 'acme' }), machine(FREE, { group: 'free' })]),
      [{ id: 'acme', rateLimit: { limit: 4, windowSeconds: 60 } }, { id: 'free' }],
    );

  it('is shared by the clients of the group: 4 requests between two clients, then both are refused', async () => {
    const { app, refusals } = rateLimitedApp({ ...ALL_OFF, client: { limit: 100, windowSeconds: 60 } }, {}, groupStores());
    expectIssued(await cc(app, ACME_1));
    expectIssued(await cc(app, ACME_2));
    expectIssued(await cc(app, ACME_1));
    expectIssued(await cc(app, ACME_2));
    expectRateLimited(await cc(app, ACME_1), 60, groupRefusal(4, 60, 60));
    expectRateLimited(await cc(app, ACME_2), 60, groupRefusal(4, 60, 60));
    // Neither a client outside the group nor one in a group without a budget is touched.
    expectIssued(await cc(app, CONFIDENTIAL));
    for (const res of await sequentially(6, () => cc(app, FREE))) expectIssued(res);
    expect(refusals).toEqual([
      { at: expect.any(Date), ip: '127.0.0.1', clientId: ACME_1.id, endpoint: 'token', limit: 'group', groupId: 'acme' },
      { at: expect.any(Date), ip: '127.0.0.1', clientId: ACME_2.id, endpoint: 'token', limit: 'group', groupId: 'acme' },
    ]);
  });

  it('reads the group once per request: the budget reuses what client authentication found', async () => {
    const stores = groupStores();
    const { app } = rateLimitedApp({ ...ALL_OFF, client: { limit: 100, windowSeconds: 60 } }, {}, stores);
    const findGroup = jest.spyOn(stores.clients, 'findGroup' as never);
    expectIssued(await cc(app, ACME_1));
    expect(findGroup).toHaveBeenCalledTimes(1);
    findGroup.mockRestore();
  });

  it("comes on top of each client's own budget: the client's is checked first", async () => {
    const { app } = rateLimitedApp({ ...ALL_OFF, client: { limit: 2, windowSeconds: 60 } }, {}, groupStores());
    await sequentially(2, () => cc(app, ACME_1));
    expectRateLimited(await cc(app, ACME_1), 60, clientRefusal(2, 60, 60));
    // The refused request was not counted for the group: acme-2 still has 2 of the group's 4.
    await sequentially(2, () => cc(app, ACME_2));
    expectRateLimited(await cc(app, ACME_2), 60, clientRefusal(2, 60, 60));
  });
});
