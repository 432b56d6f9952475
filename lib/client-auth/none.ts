import type { Request } from 'express';
import { Strategy } from 'passport-strategy';
import type { VerifyClient } from './verify-client';

/** `none` (RFC 6749 §2.1, public clients): only `client_id` in the body, no secret. */
export class PublicClientStrategy extends Strategy {
  name = 'none';

  constructor(private readonly verify: VerifyClient) {
    super();
  }

  override authenticate(req: Request): void {
    const id = (req.body as Record<string, string | undefined>).client_id;
    if (!id) {
      this.fail(400);
      return;
    }
    this.verify('none', id).then(
      (client) => this.success(client),
      (err: unknown) => this.error(err as Error),
    );
  }
}
