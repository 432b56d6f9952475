-- express-oauth2-provider schema, version 2: client groups, each client's group and own
-- request budget, and the ids of deleted clients. {{prefix}} is replaced by the table prefix.

CREATE TABLE {{prefix}}client_groups (
  id                         text PRIMARY KEY,
  name                       text,
  disabled                   boolean,
  -- The group's shared budget (RateLimitRule): both set or both NULL.
  rate_limit                 integer,
  rate_limit_window_seconds  integer,
  CONSTRAINT {{prefix}}client_groups_rate_limit CHECK ((rate_limit IS NULL) = (rate_limit_window_seconds IS NULL))
);

-- No foreign key on group_id: a client whose group is missing is refused (fail closed), and
-- hosts may load clients before their groups.
ALTER TABLE {{prefix}}clients
  ADD COLUMN group_id text,
  ADD COLUMN rate_limit integer,
  ADD COLUMN rate_limit_window_seconds integer,
  ADD CONSTRAINT {{prefix}}clients_rate_limit CHECK ((rate_limit IS NULL) = (rate_limit_window_seconds IS NULL));

-- The admin API pages clients by id in byte order, and lists a group's clients.
CREATE INDEX {{prefix}}clients_id_c ON {{prefix}}clients (id COLLATE "C");
CREATE INDEX {{prefix}}clients_group ON {{prefix}}clients (group_id, id COLLATE "C");

-- A deleted client's id is never registered again by createClient(): its tokens and consents
-- would otherwise come back to life with a new client of the same id.
CREATE TABLE {{prefix}}deleted_clients (
  id          text PRIMARY KEY,
  deleted_at  timestamptz NOT NULL
);
