import type { Request, Response } from 'express';
import type { AdminAction } from '../events';
import type { ClientAdminStore } from '../stores/types';

/** What the admin endpoints share: the store, and the audit trail of changes. */
export interface AdminContext {
  clients: ClientAdminStore;
  /** Emits `admin.changed`, naming the admin (from the access token) and what changed. */
  audit(req: Request, action: AdminAction, targetId: string): void;
}

/** One endpoint's work; it answers through `res`, or throws an error for the admin error handler. */
export type AdminHandler = (req: Request, res: Response) => Promise<void>;

/** Paths (Express syntax, relative to the mount point) and the handler of each method. */
export type RouteTable = Record<string, Partial<Record<'get' | 'post' | 'put' | 'patch' | 'delete', AdminHandler>>>;
