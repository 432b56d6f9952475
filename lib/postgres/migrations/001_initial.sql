-- express-oauth2-provider schema, version 1. {{prefix}} is replaced by the table prefix.
-- Secrets, codes and tokens are stored only as hashes (client secrets as "sha256:...").

CREATE TABLE {{prefix}}clients (
  id                          text PRIMARY KEY,
  name                        text,
  secret_hash                 text,
  token_endpoint_auth_method  text CHECK (token_endpoint_auth_method IN ('client_secret_basic', 'client_secret_post', 'none')),
  grants                      text[] NOT NULL,
  redirect_uris               text[],
  scopes                      text[],
  default_scopes              text[],
  access_token_lifetime       integer,
  refresh_token_lifetime      integer,
  access_token_format         text CHECK (access_token_format IN ('jwt', 'opaque')),
  can_introspect              boolean,
  require_pkce                boolean,
  first_party                 boolean,
  disabled                    boolean
);

CREATE TABLE {{prefix}}users (
  id                   text PRIMARY KEY,
  username             text NOT NULL,
  -- '' is the default realm, so that (realm, username) can be unique.
  realm                text NOT NULL DEFAULT '',
  password_hash        text,
  disabled             boolean,
  password_changed_at  timestamptz,
  UNIQUE (realm, username)
);

-- A row exists only for a revoked grant family; every lookup hides its members.
CREATE TABLE {{prefix}}revoked_families (
  id          text PRIMARY KEY,
  revoked_at  timestamptz NOT NULL
);

CREATE TABLE {{prefix}}access_tokens (
  id          text PRIMARY KEY,
  family_id   text NOT NULL,
  client_id   text NOT NULL,
  user_id     text,
  realm       text,
  scope       text[] NOT NULL,
  created_at  timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL
);
CREATE INDEX {{prefix}}access_tokens_family ON {{prefix}}access_tokens (family_id);
CREATE INDEX {{prefix}}access_tokens_expires ON {{prefix}}access_tokens (expires_at);

CREATE TABLE {{prefix}}refresh_tokens (
  hash         text PRIMARY KEY,
  family_id    text NOT NULL,
  client_id    text NOT NULL,
  user_id      text,
  realm        text,
  scope        text[] NOT NULL,
  created_at   timestamptz NOT NULL,
  expires_at   timestamptz NOT NULL,
  consumed_at  timestamptz
);
CREATE INDEX {{prefix}}refresh_tokens_family ON {{prefix}}refresh_tokens (family_id);
CREATE INDEX {{prefix}}refresh_tokens_expires ON {{prefix}}refresh_tokens (expires_at);

CREATE TABLE {{prefix}}authorization_codes (
  hash                   text PRIMARY KEY,
  family_id              text NOT NULL,
  client_id              text NOT NULL,
  user_id                text,
  realm                  text,
  scope                  text[] NOT NULL,
  redirect_uri           text NOT NULL,
  code_challenge         text,
  code_challenge_method  text,
  created_at             timestamptz NOT NULL,
  expires_at             timestamptz NOT NULL,
  consumed_at            timestamptz
);
CREATE INDEX {{prefix}}authorization_codes_family ON {{prefix}}authorization_codes (family_id);
CREATE INDEX {{prefix}}authorization_codes_expires ON {{prefix}}authorization_codes (expires_at);

CREATE TABLE {{prefix}}interactions (
  hash                   text PRIMARY KEY,
  browser_hash           text NOT NULL,
  csrf_token             text NOT NULL,
  client_id              text NOT NULL,
  redirect_uri           text NOT NULL,
  response_type          text NOT NULL,
  scope                  text[] NOT NULL,
  state                  text,
  code_challenge         text,
  code_challenge_method  text,
  user_id                text,
  realm                  text,
  created_at             timestamptz NOT NULL,
  expires_at             timestamptz NOT NULL,
  consumed_at            timestamptz
);
CREATE INDEX {{prefix}}interactions_expires ON {{prefix}}interactions (expires_at);

CREATE TABLE {{prefix}}consents (
  user_id     text NOT NULL,
  client_id   text NOT NULL,
  scope       text[] NOT NULL,
  updated_at  timestamptz NOT NULL,
  PRIMARY KEY (user_id, client_id)
);
