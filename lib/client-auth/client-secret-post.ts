import type { Request } from 'express';
import { Strategy } from 'passport-strategy';
import type { VerifyClient } from './verify-client';

/** `client_secret_post` (RFC 6749 §2.3.1): `client_id` and `client_secret` in the request body. */
export class ClientSecretPostStrategy extends Strategy {
  name = 'client_secret_post';

  constructor(private readonly verify: VerifyClient) {
    super();
  }

  override authenticate(req: Request): void {
    const { client_id: id, client_secret: secret } = req.body as Record<string, string | undefined>;
    if (!id || !secret) {
      this.fail(400);
      return;
    }
    this.verify('client_secret_post', id, secret).then(
      (client) => this.success(client),
      (err: unknown) => this.error(err as Error),
    );
  }
}
