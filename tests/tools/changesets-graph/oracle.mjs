// For each directory given on the command line: what changesets 3 sees (manypkg's package list
// and order, getDependentsGraph under three option sets, and the mismatch messages it prints).
// Used by tests/it/graph.rs as the reference for relay's discovery and graph.
import { getPackages } from "@manypkg/get-packages";
import { getDependentsGraph } from "@changesets/get-dependents-graph";

const messages = [];
console.error = (...args) => messages.push(args.join(" ").replace(/\x1b\[[0-9;]*m/g, ""));

const out = [];
for (const dir of process.argv.slice(2)) {
  const packages = await getPackages(dir);
  messages.length = 0;
  const graphs = {};
  for (const [key, opts] of [
    ["default", {}],
    ["noDev", { ignoreDevDependencies: true }],
    ["wsOnly", { bumpVersionsWithWorkspaceProtocolOnly: true }],
  ]) {
    graphs[key] = [...getDependentsGraph(packages, opts).entries()];
  }
  out.push({
    tool: packages.tool.type,
    root: packages.rootPackage?.packageJson.name ?? null,
    packages: packages.packages.map((p) => [p.packageJson.name, p.relativeDir.replace(/\\/g, "/")]),
    graphs,
    messages: [...new Set(messages)].sort(),
  });
}
process.stdout.write(JSON.stringify(out));
