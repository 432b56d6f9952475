import type { Response } from 'supertest';
import { ISSUER } from './fixtures';

/** Asserts an RFC 6749 §5.2 error response exactly: status, whole body, and headers. */
export function expectOAuthError(res: Response, status: number, error: string, description: string): void {
  // RFC 6749 §5.2: error_description is limited to %x20-21 / %x23-5B / %x5D-7E.
  expect(description).toMatch(/^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/);
  expect({ status: res.status, body: res.body }).toEqual({
    status,
    body: { error, error_description: description },
  });
  expect(res.headers['content-type']).toBe('application/json');
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.headers.pragma).toBe('no-cache');
  if (status === 401) {
    expect(res.headers['www-authenticate']).toBe(`Basic realm="${ISSUER}"`);
  } else {
    expect(res.headers['www-authenticate']).toBeUndefined();
  }
}

/** Asserts an RFC 6749 §5.1 success response: status, exact keys, and headers. */
export function expectTokenResponse(
  res: Response,
  expected: { expires_in: number; scope?: string; refresh_token?: boolean },
): { access_token: string; refresh_token?: string } {
  const body: Record<string, unknown> = {
    access_token: expect.any(String),
    token_type: 'Bearer',
    expires_in: expected.expires_in,
  };
  if (expected.scope !== undefined) body.scope = expected.scope;
  if (expected.refresh_token) body.refresh_token = expect.stringMatching(/^[A-Za-z0-9_-]{43}$/);
  expect({ status: res.status, body: res.body }).toEqual({ status: 200, body });
  expect(res.headers['content-type']).toBe('application/json');
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.headers.pragma).toBe('no-cache');
  return res.body as { access_token: string; refresh_token?: string };
}
