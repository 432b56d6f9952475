/**
 * `express-oauth2-provider/testing`: the store conformance kit for adapter authors.
 *
 * @packageDocumentation
 */
export { runStoreConformance } from './store-conformance';
export type { StoreConformanceOptions } from './store-conformance';
