-- express-oauth2-provider schema, version 3: rate-limit hit counters shared by every instance
-- (createPostgresRateLimitStore). {{prefix}} is replaced by the table prefix.
-- One row per key (limiter name + IP address, client id, group id or username hash) and
-- window; rows whose window has ended are reused by the next hit, or deleted by purgeExpired().
-- UNLOGGED: counters are not worth a WAL write per request; a crash or a failover to a standby
-- empties the table, which only gives every caller a fresh window.

CREATE UNLOGGED TABLE {{prefix}}rate_limits (
  key       text PRIMARY KEY,
  hits      integer NOT NULL CHECK (hits >= 0),
  reset_at  timestamptz NOT NULL
);
CREATE INDEX {{prefix}}rate_limits_reset ON {{prefix}}rate_limits (reset_at);
