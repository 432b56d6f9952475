import type { Request, Response } from 'express';
import type { ClientAdminStore, ClientRecord } from '../stores/types';
import { AdminApiError, sendJson } from './admin-response';
import type { AdminContext, RouteTable } from './admin-context';
import { clientView, newClientRecord, patchedClientRecord, rotatedSecret } from './client-input';
import { readPageQuery, toPage } from './paging';
import { readJsonObject } from './read-json';

/**
 * The client endpoints: `POST /clients` (the secret is in that response only), `GET /clients`
 * (paged, by id), `GET`/`PATCH`/`DELETE /clients/:id`, `POST /clients/:id/disable`,
 * `/enable` and `/secret` (rotation). Responses never hold the secret hash.
 */
export function clientRoutes(ctx: AdminContext): RouteTable {
  const { clients } = ctx;
  const find = (req: Request) => findClient(clients, req.params.id as string);

  /** Writes a changed record (404 if the client went away meanwhile), and tells the audit. */
  const update = async (req: Request, record: ClientRecord, action: 'client.updated' | 'client.disabled' | 'client.enabled' | 'client.secret_rotated') => {
    if (!(await clients.updateClient(record))) throw notFound();
    ctx.audit(req, action, record.id);
  };
  const setDisabled = (disabled: boolean) => async (req: Request, res: Response) => {
    const record = { ...(await find(req)), disabled };
    await update(req, record, disabled ? 'client.disabled' : 'client.enabled');
    sendJson(res, 200, clientView(record));
  };

  return {
    '/clients': {
      async get(req, res) {
        const query = readPageQuery(req, ['group']);
        const page = toPage(await clients.listClients({ ...query, limit: query.limit + 1 }), query.limit);
        sendJson(res, 200, { clients: page.items.map(clientView), ...(page.nextCursor ? { next_cursor: page.nextCursor } : {}) });
      },
      async post(req, res) {
        const { record, secret } = newClientRecord(await readJsonObject(req));
        await checkGroup(clients, record.group);
        if (!(await clients.createClient(record))) {
          throw new AdminApiError(409, 'conflict', 'id: a client with this id exists or existed (the ids of deleted clients are not reused)');
        }
        ctx.audit(req, 'client.created', record.id);
        res.setHeader('Location', `${req.baseUrl}/clients/${encodeURIComponent(record.id)}`);
        sendJson(res, 201, { client: clientView(record), ...(secret === undefined ? {} : { client_secret: secret }) });
      },
    },
    '/clients/:id': {
      async get(req, res) {
        sendJson(res, 200, clientView(await find(req)));
      },
      async patch(req, res) {
        const patch = await readJsonObject(req, ['application/merge-patch+json', 'application/json']);
        const existing = await find(req);
        const record = patchedClientRecord(existing, patch);
        if (record.group !== existing.group) await checkGroup(clients, record.group);
        await update(req, record, 'client.updated');
        sendJson(res, 200, clientView(record));
      },
      async delete(req, res) {
        const id = req.params.id as string;
        if (!(await clients.deleteClient(id))) throw notFound();
        ctx.audit(req, 'client.deleted', id);
        sendJson(res, 204, undefined);
      },
    },
    '/clients/:id/disable': { post: setDisabled(true) },
    '/clients/:id/enable': { post: setDisabled(false) },
    '/clients/:id/secret': {
      async post(req, res) {
        const { record, secret } = rotatedSecret(await find(req));
        await update(req, record, 'client.secret_rotated');
        sendJson(res, 200, { client: clientView(record), client_secret: secret });
      },
    },
  };
}

async function findClient(clients: ClientAdminStore, id: string): Promise<ClientRecord> {
  const client = await clients.findById(id);
  if (!client) throw notFound();
  return client;
}

function notFound(): AdminApiError {
  return new AdminApiError(404, 'not_found', 'There is no client with this id');
}

/** A client may only name a group that exists: a missing group would lock it out (fail closed). */
async function checkGroup(clients: ClientAdminStore, group: string | undefined): Promise<void> {
  if (group !== undefined && !(await clients.findGroup(group))) {
    throw new AdminApiError(400, 'invalid_client_metadata', 'group: there is no group with this id (create it with PUT /groups/{id})');
  }
}
