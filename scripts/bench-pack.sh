#!/usr/bin/env bash
# Benchmark: pack every package of a generated 200-package npm workspace.
#   relay pack (release build)  vs  `npm pack` run in each package  [vs `pnpm -r pack`]
# Usage: scripts/bench-pack.sh [PACKAGES] [RUNS]     (defaults: 200 packages, 3 runs)
# relay and pnpm: best of RUNS; the npm loop (one `npm pack` process per package, ~1-3 s each)
# runs NPM_RUNS times (default 1).
# Needs node + npm on PATH; pnpm is taken from tests/tools/pnpm (installed on demand with npm ci).
# The workspace is generated in a temp dir and removed afterwards; nothing is committed.
set -euo pipefail

N=${1:-200}
RUNS=${2:-3}
REPO=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/relay-bench-pack.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

if [ -n "${RELAY_BIN:-}" ]; then
  RELAY=$RELAY_BIN # e.g. a debug build, to try the script quickly; report release numbers only
else
  echo "building relay (release)..." >&2
  cargo build --release --quiet --manifest-path "$REPO/Cargo.toml"
  RELAY="$REPO/target/release/relay"
fi

# pnpm, pinned by tests/tools/pnpm/package-lock.json.
PNPM=""
if [ -f "$REPO/tests/tools/pnpm/package-lock.json" ]; then
  PNPM_DIR="$REPO/target/test-tools/pnpm"
  if [ ! -x "$PNPM_DIR/node_modules/.bin/pnpm" ]; then
    mkdir -p "$PNPM_DIR"
    cp "$REPO/tests/tools/pnpm/package.json" "$REPO/tests/tools/pnpm/package-lock.json" "$PNPM_DIR/"
    (cd "$PNPM_DIR" && npm ci --no-audit --no-fund --loglevel=error) >&2 || true
  fi
  [ -x "$PNPM_DIR/node_modules/.bin/pnpm" ] && PNPM="$PNPM_DIR/node_modules/.bin/pnpm"
fi

gen() { # $1 = root dir, $2 = "npm" | "pnpm"
  local root=$1 kind=$2
  mkdir -p "$root/packages"
  if [ "$kind" = npm ]; then
    printf '{"name":"bench-root","private":true,"workspaces":["packages/*"]}\n' > "$root/package.json"
  else
    printf '{"name":"bench-root","private":true}\n' > "$root/package.json"
    printf 'packages:\n  - packages/*\n' > "$root/pnpm-workspace.yaml"
  fi
  printf 'node_modules\n*.log\n' > "$root/.gitignore"
  for i in $(seq 1 "$N"); do
    local d="$root/packages/pkg-$i"
    mkdir -p "$d/src/util" "$d/test" "$d/docs"
    local dep=""
    if [ "$i" -gt 1 ]; then dep=",\"dependencies\":{\"@bench/pkg-$((i-1))\":\"^1.0.0\"}"; fi
    printf '{\n  "name": "@bench/pkg-%s",\n  "version": "1.0.%s",\n  "main": "src/index.js",\n  "files": ["src", "docs/*.md"],\n  "license": "MIT"%s\n}\n' "$i" "$i" "$dep" > "$d/package.json"
    printf '# pkg-%s\n\nA generated package.\n' "$i" > "$d/README.md"
    printf 'MIT License\n' > "$d/LICENSE"
    for f in a b c d e f g h; do
      printf 'module.exports.%s = function %s(x) { return x * %s; };\n' "$f" "$f" "$i" > "$d/src/$f.js"
      printf 'exports.u%s = () => "%s";\n' "$f" "$f" > "$d/src/util/$f.js"
    done
    printf 'module.exports = require("./a");\n' > "$d/src/index.js"
    printf 'test\n' > "$d/test/a.test.js"
    printf 'docs\n' > "$d/docs/guide.md"
    printf 'log\n' > "$d/debug.log"
  done
}

now() { date +%s.%N; }
best() { sort -g | head -1; }

gen "$WORK/npm-ws" npm
gen "$WORK/pnpm-ws" pnpm

t_relay=(); t_npm=(); t_pnpm=()
for r in $(seq 1 "$RUNS"); do
  rm -rf "$WORK/out-relay"; s=$(now)
  "$RELAY" --cwd "$WORK/npm-ws" pack --ignore-scripts --out-dir "$WORK/out-relay" --quiet
  t_relay+=("$(echo "$(now) - $s" | bc)")

  if [ "$r" -le "${NPM_RUNS:-1}" ]; then
    rm -rf "$WORK/out-npm"; mkdir -p "$WORK/out-npm"; s=$(now)
    for d in "$WORK"/npm-ws/packages/*/; do
      (cd "$d" && npm pack --ignore-scripts --loglevel=error --pack-destination "$WORK/out-npm" >/dev/null)
    done
    t_npm+=("$(echo "$(now) - $s" | bc)")
  fi

  if [ -n "$PNPM" ]; then
    rm -rf "$WORK/out-pnpm"; mkdir -p "$WORK/out-pnpm"; s=$(now)
    (cd "$WORK/pnpm-ws" && "$PNPM" -r --config.update-notifier=false pack --pack-destination "$WORK/out-pnpm" >/dev/null 2>&1)
    t_pnpm+=("$(echo "$(now) - $s" | bc)")
  fi
done

count() { find "$1" -name '*.tgz' | wc -l; }
R=$(printf '%s\n' "${t_relay[@]}" | best)
M=$(printf '%s\n' "${t_npm[@]}" | best)
echo "packages: $N   runs: relay/pnpm best of $RUNS, npm loop ${NPM_RUNS:-1}   machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf 'relay pack (%s build):   %8.3f s   (%s tarballs)\n' "$(basename "$(dirname "$RELAY")")" "$R" "$(count "$WORK/out-relay")"
printf 'npm pack in each package:    %8.3f s   (%s tarballs)   ratio npm/relay: %.1fx\n' "$M" "$(count "$WORK/out-npm")" "$(echo "$M / $R" | bc -l)"
if [ -n "$PNPM" ]; then
  P=$(printf '%s\n' "${t_pnpm[@]}" | best)
  printf 'pnpm -r pack:                %8.3f s   (%s tarballs)   ratio pnpm/relay: %.1fx\n' "$P" "$(count "$WORK/out-pnpm")" "$(echo "$P / $R" | bc -l)"
fi
# Sanity: relay's tar bytes equal npm's for every package.
same=0
for f in "$WORK"/out-npm/*.tgz; do
  b=$(basename "$f")
  if cmp -s <(gunzip -c "$f") <(gunzip -c "$WORK/out-relay/$b"); then same=$((same+1)); fi
done
echo "identical uncompressed tar bytes (relay vs npm): $same / $(count "$WORK/out-npm")"
