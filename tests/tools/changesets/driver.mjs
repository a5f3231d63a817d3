// Differential oracle: runs the real @changesets/assemble-release-plan (the version
// @changesets/cli 3.0.3 depends on) on cases read as a JSON array from stdin and prints one
// JSON array of results: {"plan": ReleasePlan} or {"error": message}.
//
// Case: {packages:[{name,version?,private?,dir,dependencies?,devDependencies?,peerDependencies?,
//        optionalDependencies?}], root?:{name,version?,...}, changesets:[{id,releases,summary}],
//        config:{fixed,linked,ignore,privatePackages:{version},bumpVersionsWithWorkspaceProtocolOnly,
//        updateInternalDependents,onlyUpdatePeerDependentsWhenOutOfRange,
//        snapshot:{useCalculatedVersion,prereleaseTemplate}}, preState?:{mode,tag},
//        snapshot?:{tag?,commit?,timestampMs}}
import { pathToFileURL } from "node:url";
import path from "node:path";

const toolDir = process.env.CHANGESETS_TOOL_DIR;
if (!toolDir) throw new Error("CHANGESETS_TOOL_DIR is not set");
const mod = (name) =>
  import(pathToFileURL(path.join(toolDir, "node_modules", name, "dist", "index.mjs")).href);
const { assembleReleasePlan } = await mod("@changesets/assemble-release-plan");

const RealDate = Date;
// assemble-release-plan reads the clock with `new Date()`; pin it so snapshot versions are exact.
function pinClock(ms) {
  globalThis.Date = class extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(ms);
      else super(...args);
    }
    static now() {
      return ms;
    }
  };
}

const ROOT = "/repo";
const manifest = (p) => {
  const json = { name: p.name };
  if (p.version !== undefined && p.version !== null) json.version = p.version;
  if (p.private) json.private = true;
  for (const k of ["dependencies", "devDependencies", "peerDependencies", "optionalDependencies"]) {
    if (p[k] && Object.keys(p[k]).length > 0) json[k] = p[k];
  }
  return json;
};

function run(c) {
  const rootPackage = {
    dir: ROOT,
    relativeDir: ".",
    packageJson: manifest(c.root ?? { name: "root", private: true }),
  };
  // `single`: a one-package repository, where manypkg's root tool lists the root as the package.
  const packages = {
    tool: c.single ? "root" : "pnpm",
    rootDir: ROOT,
    rootPackage,
    packages: c.single
      ? [rootPackage]
      : c.packages.map((p) => ({
          dir: path.posix.join(ROOT, p.dir),
          relativeDir: p.dir,
          packageJson: manifest(p),
        })),
  };
  const cfg = c.config ?? {};
  const config = {
    changelog: false,
    commit: false,
    fixed: cfg.fixed ?? [],
    linked: cfg.linked ?? [],
    access: "restricted",
    baseBranch: "main",
    changedFilePatterns: ["**"],
    updateInternalDependencies: cfg.updateInternalDependencies ?? "patch",
    ignore: cfg.ignore ?? [],
    privatePackages: { version: cfg.privatePackages?.version ?? false, tag: false },
    bumpVersionsWithWorkspaceProtocolOnly: cfg.bumpVersionsWithWorkspaceProtocolOnly ?? false,
    snapshot: {
      useCalculatedVersion: cfg.snapshot?.useCalculatedVersion ?? false,
      prereleaseTemplate: cfg.snapshot?.prereleaseTemplate ?? null,
    },
    ___experimentalUnsafeOptions_WILL_CHANGE_IN_PATCH: {
      onlyUpdatePeerDependentsWhenOutOfRange: cfg.onlyUpdatePeerDependentsWhenOutOfRange ?? false,
      updateInternalDependents: cfg.updateInternalDependents ?? "out-of-range",
    },
  };
  const snapshot = c.snapshot
    ? { tag: c.snapshot.tag ?? undefined, commit: c.snapshot.commit ?? undefined }
    : undefined;
  pinClock(c.snapshot?.timestampMs ?? 0);
  // Silence the graph's "must depend on the current version" messages: results go to stdout.
  const error = console.error;
  console.error = () => {};
  try {
    const plan = assembleReleasePlan(c.changesets, packages, config, c.preState ?? undefined, snapshot);
    return { plan: JSON.parse(JSON.stringify(plan)) };
  } catch (e) {
    return { error: String(e?.message ?? e) };
  } finally {
    console.error = error;
    globalThis.Date = RealDate;
  }
}

let input = "";
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) input += chunk;
process.stdout.write(JSON.stringify(JSON.parse(input).map(run)));
