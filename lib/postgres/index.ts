/**
 * `express-oauth2-provider/postgres`: the PostgreSQL stores and their migrations.
 * Needs the `pg` package (an optional peer dependency).
 *
 * @packageDocumentation
 */
export { createPostgresStores } from './postgres-stores';
export type { PostgresStores, PostgresStoresOptions, Queryable } from './postgres-stores';
export type { PostgresClientStore } from './postgres-clients';
export { listMigrations, migrate } from './migrate';
export type { MigrationPool } from './migrate';
export { createPostgresRateLimitStore } from './rate-limit-store';
export type { PostgresRateLimitStore, PostgresRateLimitStoreOptions } from './rate-limit-store';
