import type { Request, Response } from 'express';
import type { ClientGroupRecord } from '../stores/types';
import { AdminApiError, sendJson } from './admin-response';
import type { AdminContext, RouteTable } from './admin-context';
import { checkNewId } from './client-input';
import { groupRecord, groupView } from './group-input';
import { readPageQuery, toPage } from './paging';
import { readJsonObject } from './read-json';

/**
 * The group endpoints: `GET /groups` (paged), `GET`/`PUT`/`DELETE /groups/:id`, and
 * `POST /groups/:id/disable` and `/enable`. Disabling a group disables every client in it.
 */
export function groupRoutes(ctx: AdminContext): RouteTable {
  const { clients } = ctx;
  const find = async (req: Request): Promise<ClientGroupRecord> => {
    const group = await clients.findGroup(req.params.id as string);
    if (!group) throw notFound();
    return group;
  };
  const setDisabled = (disabled: boolean) => async (req: Request, res: Response) => {
    const group = { ...(await find(req)), disabled };
    await clients.saveGroup(group);
    ctx.audit(req, disabled ? 'group.disabled' : 'group.enabled', group.id);
    sendJson(res, 200, groupView(group));
  };

  return {
    '/groups': {
      async get(req, res) {
        const query = readPageQuery(req);
        const page = toPage(await clients.listGroups({ ...query, limit: query.limit + 1 }), query.limit);
        sendJson(res, 200, { groups: page.items.map(groupView), ...(page.nextCursor ? { next_cursor: page.nextCursor } : {}) });
      },
    },
    '/groups/:id': {
      async get(req, res) {
        sendJson(res, 200, groupView(await find(req)));
      },
      async put(req, res) {
        const id = req.params.id as string;
        const body = await readJsonObject(req);
        const existing = await clients.findGroup(id);
        if (!existing) checkNewId(id, 'invalid_request');
        const group = groupRecord(id, body);
        await clients.saveGroup(group);
        ctx.audit(req, existing ? 'group.updated' : 'group.created', id);
        if (!existing) res.setHeader('Location', `${req.baseUrl}/groups/${encodeURIComponent(id)}`);
        sendJson(res, existing ? 200 : 201, groupView(group));
      },
      async delete(req, res) {
        const group = await find(req);
        // Its clients would be locked out (a missing group fails closed): refuse instead.
        if ((await clients.listClients({ group: group.id, limit: 1 })).length > 0) {
          throw new AdminApiError(409, 'conflict', 'The group still has clients: move them to another group or delete them first');
        }
        if (!(await clients.deleteGroup(group.id))) throw notFound();
        ctx.audit(req, 'group.deleted', group.id);
        sendJson(res, 204, undefined);
      },
    },
    '/groups/:id/disable': { post: setDisabled(true) },
    '/groups/:id/enable': { post: setDisabled(false) },
  };
}

function notFound(): AdminApiError {
  return new AdminApiError(404, 'not_found', 'There is no group with this id');
}
