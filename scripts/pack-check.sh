#!/usr/bin/env bash
# Proves the published package works for a consumer, from the tarball `npm pack` makes:
#   (d) the tarball holds dist/index.js, dist/index.d.ts, README.md, LICENSE, CHANGELOG.md
#       and no sources (lib/, test/, *.ts other than .d.ts);
#   (a) require() from CommonJS gives createOAuthServer as a function;
#   (b) an ES module with named imports issues a client_credentials token over real HTTP;
#   (c) a strict TypeScript consumer type-checks against the shipped .d.ts
#       (module nodenext, .ts and .mts; and module commonjs + moduleResolution bundler).
# The scratch app lives in a fresh temp dir outside the repo and installs the tarball with
# express@5, typescript@7, @types/node@20 and @types/express@5 from the registry.
# Every check runs even if an earlier one failed; the last line is `pack-check: OK` or
# `pack-check: FAILED (...)` (exit 1).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FIXTURES="$ROOT/scripts/pack-check"
PKG_NAME="$(node -p "require('$ROOT/package.json').name")"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/pack-check.XXXXXX")"
cleanup() { rm -rf "$WORK"; }
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
for f in dist/index.js dist/index.d.ts README.md LICENSE CHANGELOG.md package.json; do
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
  "$TARBALL" express@5 typescript@7 @types/node@20 @types/express@5)
step "installed: $(cd "$APP" && node -p "['$PKG_NAME','express','typescript','@types/node','@types/express'].map(n => n + '@' + require(n + '/package.json').version).join(' ')")"

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
  step "(b) ESM import and client_credentials token ok"
else
  fail "(b) ESM consumer failed (named imports or the token request)"
fi

# --- (c) TypeScript consumer --------------------------------------------------------------------
cp "$FIXTURES/consumer.ts" "$APP/consumer.ts"
cp "$FIXTURES/consumer.ts" "$APP/consumer-esm.mts"
cat >"$APP/tsconfig.nodenext.json" <<'JSON'
{
  "compilerOptions": {
    "target": "ES2022", "module": "nodenext", "moduleResolution": "nodenext", "lib": ["ES2022"],
    "types": ["node"], "strict": true, "noUncheckedIndexedAccess": true, "exactOptionalPropertyTypes": true,
    "skipLibCheck": false, "noEmit": true
  },
  "files": ["consumer.ts", "consumer-esm.mts"]
}
JSON
cat >"$APP/tsconfig.bundler.json" <<'JSON'
{
  "compilerOptions": {
    "target": "ES2022", "module": "commonjs", "moduleResolution": "bundler", "lib": ["ES2022"],
    "types": ["node"], "strict": true, "esModuleInterop": true, "skipLibCheck": false, "noEmit": true
  },
  "files": ["consumer.ts"]
}
JSON
for cfg in nodenext bundler; do
  if (cd "$APP" && ./node_modules/.bin/tsc -p "tsconfig.$cfg.json" --noEmit); then
    step "(c) tsc --noEmit ($cfg) ok"
  else
    fail "(c) TypeScript consumer does not type-check ($cfg)"
  fi
done

# ---------------------------------------------------------------------------------------------
if ((${#FAILURES[@]})); then
  echo "pack-check: FAILED ($(printf '%s\n' "${FAILURES[@]}" | sort -u | tr '\n' ' ' | sed 's/ $//'))"
  exit 1
fi
echo "pack-check: OK"
