#!/usr/bin/env bash
# Discovery benchmark: a generated npm workspace of 2,000 packages with inter-dependencies and
# 4,000 change files under .changeset/, then
#   - `relay list --json`                  (wall time: median of RUNS runs; peak RSS)
#   - discovery + reading and validating every change file + list JSON, in one process
#     (examples/discovery_and_changesets.rs; no git)
#   - `relay status --output /dev/null`    (same, when the binary has a `status` command)
#   - the peer: @manypkg/get-packages 3 + @changesets/get-dependents-graph 3 in Node (what
#     changesets runs before anything else), when node and the pinned test tool are available.
# Measures only; asserts nothing. Usage: scripts/bench-discovery.sh [PACKAGES] [CHANGESETS] [RUNS]
# (RELAY_BIN=path/to/relay skips the release build and measures that binary.)
set -euo pipefail

PACKAGES=${1:-2000}
CHANGESETS=${2:-4000}
RUNS=${3:-11}
REPO=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/relay-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
WS="$WORK/ws"

if [ -n "${RELAY_BIN:-}" ]; then
  RELAY=$RELAY_BIN # measure a given binary instead (e.g. a debug build while iterating)
else
  echo "building relay (release)..." >&2
  cargo build --release --quiet --manifest-path "$REPO/Cargo.toml"
  RELAY="$REPO/target/release/relay"
fi

echo "generating $PACKAGES packages and $CHANGESETS change files in $WS..." >&2
mkdir -p "$WS/packages" "$WS/.changeset"
cat >"$WS/package.json" <<'EOF'
{
  "name": "bench-root",
  "private": true,
  "workspaces": ["packages/*"]
}
EOF
echo '{"name":"bench-root","lockfileVersion":3,"requires":true,"packages":{}}' >"$WS/package-lock.json"
cat >"$WS/.changeset/config.json" <<'EOF'
{
  "$schema": "https://unpkg.com/@changesets/config@3.0.0/schema.json",
  "changelog": "@changesets/cli/changelog",
  "commit": false,
  "fixed": [],
  "linked": [],
  "access": "restricted",
  "baseBranch": "main",
  "updateInternalDependencies": "patch",
  "ignore": []
}
EOF
# One awk process writes every file (a shell loop of 6,000 redirections is the slow part).
awk -v n="$PACKAGES" -v c="$CHANGESETS" -v ws="$WS" 'BEGIN {
  srand(42);
  for (i = 0; i < n; i++) {
    name = sprintf("@bench/pkg-%04d", i);
    dir = sprintf("%s/packages/pkg-%04d", ws, i);
    system("mkdir -p " dir);
    f = dir "/package.json";
    printf "{\n  \"name\": \"%s\",\n  \"version\": \"1.%d.0\",\n  \"main\": \"index.js\",\n", name, i % 7 > f;
    printf "  \"license\": \"MIT\"" > f;
    # Up to 4 dependencies on earlier packages (a DAG), mixing protocols and tables.
    deps = ""; dev = "";
    if (i > 0) {
      k = int(rand() * 5);
      for (j = 0; j < k; j++) {
        t = int(rand() * i);
        spec = (j % 2 == 0) ? "workspace:^" : sprintf("^1.%d.0", t % 7);
        entry = sprintf("\"@bench/pkg-%04d\": \"%s\"", t, spec);
        if (index(deps, sprintf("pkg-%04d\"", t)) || index(dev, sprintf("pkg-%04d\"", t))) continue;
        if (j == 3) { dev = dev (dev == "" ? "" : ", ") entry } else { deps = deps (deps == "" ? "" : ", ") entry }
      }
    }
    if (deps != "") printf ",\n  \"dependencies\": { %s }", deps > f;
    if (dev != "") printf ",\n  \"devDependencies\": { %s }", dev > f;
    printf ",\n  \"peerDependencies\": { \"react\": \"^18.0.0\" }\n}\n" > f;
    close(f);
  }
  split("patch minor major", bumps, " ");
  split("brave calm dark eager fair gentle happy icy jolly kind", adj, " ");
  for (i = 0; i < c; i++) {
    f = sprintf("%s/.changeset/%s-change-%05d.md", ws, adj[i % 10 + 1], i);
    a = int(rand() * n); b = (a + 1 + int(rand() * (n - 1))) % n;
    printf "---\n\"@bench/pkg-%04d\": %s\n\"@bench/pkg-%04d\": patch\n---\n\nChange number %d: fix the frobnicator.\n", a, bumps[i % 3 + 1], b, i > f;
    close(f);
  }
}'

# `relay status` reads git (base branch, which commit added each change file).
git -C "$WS" init -q -b main
git -C "$WS" add -A
git -C "$WS" -c user.name=bench -c user.email=bench@example.invalid commit -qm "bench workspace"

median_ms() { sort -n | awk '{a[NR]=$1} END {printf "%.1f", (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# One run: wall time in ms of the bare command (microsecond clock), then a second run under GNU
# time for CPU ms (user+sys, 10 ms resolution) and peak RSS in KB (kept apart so the extra
# process doesn't inflate the wall time). Prints "wall cpu rss".
run_once() {
  local s e
  # $EPOCHREALTIME (bash 5) needs no `date` process, whose start-up would be timed too.
  s=${EPOCHREALTIME/[.,]/}
  "$@" >/dev/null 2>&1
  e=${EPOCHREALTIME/[.,]/}
  /usr/bin/time -f "%U %S %M" -o "$WORK/time" "$@" >/dev/null 2>&1
  awk -v w="$((e - s))" '{printf "%.1f %.0f %d\n", w / 1000, ($1 + $2) * 1000, $3}' "$WORK/time"
}

bench() {
  local label=$1; shift
  "$@" >/dev/null 2>&1 || { echo "$label: command failed: $*" >&2; "$@" >/dev/null; return 1; }
  : >"$WORK/runs"
  for _ in $(seq "$RUNS"); do run_once "$@" >>"$WORK/runs"; done
  local wall cpu rss
  wall=$(awk '{print $1}' "$WORK/runs" | median_ms)
  cpu=$(awk '{print $2}' "$WORK/runs" | median_ms)
  rss=$(awk 'BEGIN {m = 0} $3 > m {m = $3} END {printf "%.1f", m / 1024}' "$WORK/runs")
  printf '%-40s wall median %8s ms   CPU median %7s ms   peak RSS %6s MB\n' "$label" "$wall" "$cpu" "$rss"
  echo "$wall" >"$WORK/last-ms"
}

echo
echo "workspace: $PACKAGES packages, $CHANGESETS change files; $RUNS runs each; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
bench "relay list --json" "$RELAY" --cwd "$WS" list --json
RELAY_LIST_MS=$(cat "$WORK/last-ms")

# Discovery + reading and validating every change file + list JSON, in one process (no git):
# the library path `relay status` and `relay version` start with.
EXAMPLE="$(dirname "$RELAY")/examples/discovery_and_changesets"
if [ -z "${RELAY_BIN:-}" ] || [ ! -x "$EXAMPLE" ]; then
  cargo build --release --quiet --example discovery_and_changesets --manifest-path "$REPO/Cargo.toml"
  EXAMPLE="$REPO/target/release/examples/discovery_and_changesets"
fi
bench "discovery + change files + list JSON" "$EXAMPLE" "$WS"

if "$RELAY" status --help >/dev/null 2>&1; then
  bench "relay status --output /dev/null" "$RELAY" --cwd "$WS" status --output /dev/null || true
else
  echo "relay status: not in this binary (skipped)"
fi

PEER="$REPO/target/test-tools/changesets-graph"
if command -v node >/dev/null 2>&1; then
  if [ ! -d "$PEER/node_modules/@manypkg/get-packages" ]; then
    mkdir -p "$PEER"
    cp "$REPO/tests/tools/changesets-graph/package.json" "$REPO/tests/tools/changesets-graph/package-lock.json" "$PEER/"
    (cd "$PEER" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || true
  fi
  if [ -d "$PEER/node_modules/@manypkg/get-packages" ]; then
    cat >"$PEER/bench.mjs" <<'EOF'
import { getPackages } from "@manypkg/get-packages";
import { getDependentsGraph } from "@changesets/get-dependents-graph";
const packages = await getPackages(process.argv[2]);
const graph = getDependentsGraph(packages, {});
process.stdout.write(JSON.stringify({ n: packages.packages.length, g: graph.size }));
EOF
    bench "changesets discovery + graph (node)" node "$PEER/bench.mjs" "$WS"
    PEER_MS=$(cat "$WORK/last-ms")
    echo "ratio relay list / changesets discovery: $(echo "scale=3; $RELAY_LIST_MS / $PEER_MS" | bc)"
  fi
else
  echo "node not found: peer comparison skipped"
fi
