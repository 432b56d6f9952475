import { ConfigurationError } from '../errors';
import { isObject, rejectUnknownKeys } from '../internal/validate';

/** The methods every store must have (the optional write methods are checked where used). */
const STORE_METHODS = {
  clients: ['findById'],
  users: ['findByUsername', 'findById'],
  tokens: [
    'saveAccessToken',
    'findAccessToken',
    'saveRefreshToken',
    'findRefreshToken',
    'consumeRefreshToken',
    'saveAuthorizationCode',
    'findAuthorizationCode',
    'consumeAuthorizationCode',
    'revokeFamily',
    'saveInteraction',
    'findInteraction',
    'consumeInteraction',
    'saveConsent',
    'findConsent',
    'deleteConsent',
  ],
} as const;

/** Throws `ConfigurationError` naming the first missing store or method. */
export function validateStores(stores: unknown): void {
  if (!isObject(stores)) throw new ConfigurationError('stores', 'is required: { clients, users, tokens }');
  rejectUnknownKeys(stores, Object.keys(STORE_METHODS), 'stores.');
  for (const [name, methods] of Object.entries(STORE_METHODS)) {
    const store = stores[name];
    if (!isObject(store) && typeof store !== 'function') {
      throw new ConfigurationError(`stores.${name}`, 'is required');
    }
    for (const method of methods) {
      if (typeof (store as Record<string, unknown>)[method] !== 'function') {
        throw new ConfigurationError(`stores.${name}.${method}`, 'must be a function');
      }
    }
  }
}
