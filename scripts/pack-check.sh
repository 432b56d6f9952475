#!/usr/bin/env bash
# Proves the published package works for a consumer, from the tarball `npm pack` makes:
#   (d) the tarball holds dist/index.js, dist/index.d.ts, the ./postgres and ./testing entry
#       points, the bin, the SQL migrations (dist/postgres/migrations/001_initial.sql, 003_...),
#       README.md, LICENSE, CHANGELOG.md and no sources (lib/, test/, *.ts other than .d.ts);
#   (a) require() from CommonJS gives createOAuthServer as a function;
#   (b) an ES module with named imports issues a client_credentials token over real HTTP, and a
#       password grant whose bcrypt check runs in the package's worker thread;
#   (c) a strict TypeScript consumer type-checks against the shipped .d.ts, including types
#       from both subpaths and a real pg.Pool (module nodenext, .ts and .mts; and module
#       commonjs + moduleResolution bundler);
#   (e) require('<pkg>/postgres') gives createPostgresStores and migrate, require('<pkg>/testing')
#       gives runStoreConformance, and an ES module imports them by name and finds the shipped
#       migration at run time;
#   (f) the bin express-oauth2-provider-migrate is installed and, without DATABASE_URL, prints
#       its usage error and exits 2;
#   (g) only when DATABASE_URL is set (CI sets it): the installed bin migrates a fresh database
#       (CREATE DATABASE pack_check_<random>, dropped afterwards): "applied migrations: 1, 2, 3",
#       then "schema is up to date".
# The scratch app lives in a fresh temp dir outside the repo and installs the tarball with
# express@5, pg@8, typescript@7, @types/node@20, @types/express@5 and @types/pg@8 from the
# registry.
# Every check runs even if an earlier one failed; the last line is `pack-check: OK` or
# `pack-check: FAILED (...)` (exit 1).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FIXTURES="$ROOT/scripts/pack-check"
PKG_NAME="$(node -p "require('$ROOT/package.json').name")"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/pack-check.XXXXXX")"
SCRATCH_DB=""
cleanup() {
  # The scratch database of (g), if one was created, goes too (before the app holding pg).
  if [[ -n "$SCRATCH_DB" ]]; then
    (cd "$APP" && node pg-admin.cjs drop "$SCRATCH_DB") || echo "pack-check: could not drop database $SCRATCH_DB" >&2
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
PACK_DIR="$WORK/pack"
APP="$WORK/app"
mkdir -p "$PACK_DIR" "$APP"

FAILURES=()
fail() {
  echo "pack-check: FAIL: $*" >&2
  FAILURES+=("${1%% *}")
}
step() { echo "pack-check: $*"; }

# ---------------------------------------------------------------------------------------------
step "building"
(cd "$ROOT" && npm run -s build)

step "packing"
TARBALL_NAME="$(cd "$ROOT" && npm pack --silent --pack-destination "$PACK_DIR" | tail -n 1)"
TARBALL="$PACK_DIR/$TARBALL_NAME"
[[ -f "$TARBALL" ]] || { echo "pack-check: npm pack produced no tarball ($TARBALL_NAME)" >&2; exit 1; }
step "tarball $TARBALL_NAME ($(du -k "$TARBALL" | cut -f1) kB)"

# --- (d) tarball contents ---------------------------------------------------------------------
tar -tzf "$TARBALL" | sed 's|^package/||' | sort >"$WORK/contents.txt"
for f in dist/index.js dist/index.d.ts README.md LICENSE CHANGELOG.md package.json \
  dist/postgres/index.js dist/postgres/index.d.ts dist/postgres/cli.js dist/postgres/migrations/001_initial.sql dist/postgres/migrations/002_client_groups.sql \
  dist/postgres/migrations/003_rate_limits.sql \
  dist/testing/index.js dist/testing/index.d.ts; do
  grep -qxF "$f" "$WORK/contents.txt" || fail "(d) tarball lacks $f"
done
{
  grep -E '^(lib|test|examples|scripts|bench|docs|coverage|\.ci)/' "$WORK/contents.txt" || true
  grep -E '\.(ts|tsx|mts|cts)$' "$WORK/contents.txt" | grep -vE '\.d\.(ts|mts|cts)$' || true
  grep -E '(^|/)(tsconfig[^/]*\.json|jest\.config\.js|biome\.json|\.env[^/]*|[^/]*\.tgz)$' "$WORK/contents.txt" || true
} | sort -u >"$WORK/unwanted.txt"
if [[ -s "$WORK/unwanted.txt" ]]; then
  fail "(d) tarball ships files that are not for consumers: $(head -n 20 "$WORK/unwanted.txt" | tr '\n' ' ')"
fi
step "(d) tarball: $(wc -l <"$WORK/contents.txt") files checked"

# --- scratch app --------------------------------------------------------------------------------
step "installing the tarball in a scratch app ($APP)"
cat >"$APP/package.json" <<'JSON'
{ "name": "pack-check-app", "version": "0.0.0", "private": true, "type": "commonjs" }
JSON
(cd "$APP" && npm install --no-audit --no-fund --loglevel=error \
  "$TARBALL" express@5 pg@8 typescript@7 @types/node@20 @types/express@5 @types/pg@8)
step "installed: $(cd "$APP" && node -p "['$PKG_NAME','express','pg','typescript','@types/node','@types/express','@types/pg'].map(n => n + '@' + require(n + '/package.json').version).join(' ')")"

# --- (a) CommonJS require ---------------------------------------------------------------------
if (cd "$APP" && node -e "
  const m = require('$PKG_NAME');
  if (typeof m.createOAuthServer !== 'function') { console.error('createOAuthServer is ' + typeof m.createOAuthServer); process.exit(1); }
  console.log('cjs: createOAuthServer is a function; exports: ' + Object.keys(m).length);
"); then
  step "(a) require() ok"
else
  fail "(a) require('$PKG_NAME') does not give createOAuthServer as a function"
fi

# --- (b) ES module: named imports + a real token request ----------------------------------------
cp "$FIXTURES/smoke.mjs" "$APP/smoke.mjs"
if (cd "$APP" && timeout 60 node smoke.mjs); then
  step "(b) ESM import, client_credentials token and password grant (worker thread) ok"
else
  fail "(b) ESM consumer failed (named imports or the token request)"
fi

# --- (c) TypeScript consumer --------------------------------------------------------------------
cp "$FIXTURES/consumer.ts" "$APP/consumer.ts"
cp "$FIXTURES/consumer.ts" "$APP/consumer-esm.mts"
cp "$FIXTURES/consumer-subpaths.ts" "$APP/consumer-subpaths.ts"
cp "$FIXTURES/consumer-subpaths.ts" "$APP/consumer-subpaths-esm.mts"
cat >"$APP/tsconfig.nodenext.json" <<'JSON'
{
  "compilerOptions": {
    "target": "ES2022", "module": "nodenext", "moduleResolution": "nodenext", "lib": ["ES2022"],
    "types": ["node"], "strict": true, "noUncheckedIndexedAccess": true, "exactOptionalPropertyTypes": true,
    "skipLibCheck": false, "noEmit": true
  },
  "files": ["consumer.ts", "consumer-esm.mts", "consumer-subpaths.ts", "consumer-subpaths-esm.mts"]
}
JSON
cat >"$APP/tsconfig.bundler.json" <<'JSON'
{
  "compilerOptions": {
    "target": "ES2022", "module": "commonjs", "moduleResolution": "bundler", "lib": ["ES2022"],
    "types": ["node"], "strict": true, "esModuleInterop": true, "skipLibCheck": false, "noEmit": true
  },
  "files": ["consumer.ts", "consumer-subpaths.ts"]
}
JSON
for cfg in nodenext bundler; do
  if (cd "$APP" && ./node_modules/.bin/tsc -p "tsconfig.$cfg.json" --noEmit); then
    step "(c) tsc --noEmit ($cfg) ok"
  else
    fail "(c) TypeScript consumer does not type-check ($cfg)"
  fi
done

# --- (e) subpath exports: ./postgres and ./testing ---------------------------------------------
if (cd "$APP" && node -e "
  const pg = require('$PKG_NAME/postgres');
  const testing = require('$PKG_NAME/testing');
  const bad = [];
  for (const [name, value] of [['postgres.createPostgresStores', pg.createPostgresStores], ['postgres.migrate', pg.migrate], ['testing.runStoreConformance', testing.runStoreConformance]]) {
    if (typeof value !== 'function') bad.push(name + ' is ' + typeof value);
  }
  if (bad.length) { console.error(bad.join('; ')); process.exit(1); }
  console.log('cjs: /postgres exports ' + Object.keys(pg).sort().join(', ') + '; /testing exports ' + Object.keys(testing).sort().join(', '));
"); then
  step "(e) require() of ./postgres and ./testing ok"
else
  fail "(e) require('$PKG_NAME/postgres') or require('$PKG_NAME/testing') lacks an export"
fi
cp "$FIXTURES/smoke-subpaths.mjs" "$APP/smoke-subpaths.mjs"
if (cd "$APP" && timeout 60 node smoke-subpaths.mjs); then
  step "(e) ESM import of ./postgres and ./testing ok, migration found at run time"
else
  fail "(e) ESM consumer of the subpaths failed"
fi

# --- (f) the migrate bin ------------------------------------------------------------------------
BIN="$APP/node_modules/.bin/express-oauth2-provider-migrate"
USAGE='express-oauth2-provider-migrate: set DATABASE_URL (postgresql://user@host:port/db)'
if [[ ! -x "$BIN" ]]; then
  fail "(f) the bin express-oauth2-provider-migrate is not installed (no executable $BIN)"
else
  rc=0
  out="$(cd "$APP" && env -u DATABASE_URL timeout 30 "$BIN" 2>&1)" || rc=$?
  if [[ $rc == 2 && "$out" == "$USAGE" ]]; then
    step "(f) bin installed; without DATABASE_URL: exit 2, \"$out\""
  else
    fail "(f) bin without DATABASE_URL: expected exit 2 and \"$USAGE\", got exit $rc and \"$out\""
  fi
fi

# --- (g) the migrate bin against a fresh database (only with DATABASE_URL) ---------------------
if [[ -z "${DATABASE_URL:-}" ]]; then
  step "(g) skipped: DATABASE_URL is not set (CI sets it)"
else
  cp "$FIXTURES/pg-admin.cjs" "$APP/pg-admin.cjs"
  name="pack_check_$(node -p "require('node:crypto').randomBytes(6).toString('hex')")"
  if url="$(cd "$APP" && node pg-admin.cjs create "$name")"; then
    SCRATCH_DB="$name"
    rc=0
    out="$(cd "$APP" && DATABASE_URL="$url" timeout 60 "$BIN" 2>&1)" || rc=$?
    rc2=0
    out2="$(cd "$APP" && DATABASE_URL="$url" timeout 60 "$BIN" 2>&1)" || rc2=$?
    if [[ $rc == 0 && "$out" == "applied migrations: 1, 2, 3" && $rc2 == 0 && "$out2" == "schema is up to date" ]]; then
      step "(g) bin on fresh database $name: \"$out\", then \"$out2\""
    else
      fail "(g) bin on a fresh database: expected \"applied migrations: 1, 2, 3\" then \"schema is up to date\" (exit 0), got exit $rc \"$out\", then exit $rc2 \"$out2\""
    fi
    if (cd "$APP" && node pg-admin.cjs drop "$name"); then
      SCRATCH_DB=""
    else
      fail "(g) could not drop the scratch database $name"
    fi
  else
    fail "(g) could not create a scratch database on DATABASE_URL's server"
  fi
fi

# ---------------------------------------------------------------------------------------------
if ((${#FAILURES[@]})); then
  echo "pack-check: FAILED ($(printf '%s\n' "${FAILURES[@]}" | sort -u | tr '\n' ' ' | sed 's/ $//'))"
  exit 1
fi
echo "pack-check: OK"
