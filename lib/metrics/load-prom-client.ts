import type * as PromClient from 'prom-client';
import { ConfigurationError } from '../errors';

/**
 * prom-client is an optional peer dependency: required here, only when metrics are enabled,
 * so the library loads and works without it. Missing, it is a configuration mistake reported
 * at construction with the command that fixes it.
 */
export function loadPromClient(): typeof PromClient {
  try {
    // A runtime require on purpose: a static import would make prom-client mandatory.
    return require('prom-client') as typeof PromClient;
  } catch (err) {
    const missing = (err as { code?: unknown }).code === 'MODULE_NOT_FOUND' && String((err as Error).message).includes("'prom-client'");
    if (!missing) throw err;
    throw new ConfigurationError('metrics', 'needs prom-client, an optional peer dependency: npm install prom-client@^15');
  }
}
