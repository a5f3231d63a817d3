// node-semver oracle (the copy changesets 3.0.3 resolves): reads {ranges, versions} on stdin,
// prints [[range, validRange(range) !== null, [satisfies(v, range) for v of versions]], ...].
import { pathToFileURL } from "node:url";
import path from "node:path";

const dir = path.join(process.env.CHANGESETS_TOOL_DIR, "node_modules", "semver");
const load = async (f) => (await import(pathToFileURL(path.join(dir, f)).href)).default;
const satisfies = await load("functions/satisfies.js");
const validRange = await load("ranges/valid.js");
const inc = await load("functions/inc.js");

let input = "";
for await (const chunk of process.stdin) input += chunk;
const { ranges, versions } = JSON.parse(input);
const out = {
  ranges: ranges.map((r) => [r, validRange(r) !== null, versions.map((v) => satisfies(v, r))]),
  inc: versions.map((v) => ["patch", "minor", "major"].map((t) => inc(v, t))),
};
process.stdout.write(JSON.stringify(out));
