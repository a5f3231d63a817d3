// Runs `changeset version` (@changesets/cli 3.0.3, in-process) for each request read from
// stdin, so the differential tests pay Node's start-up once per worker instead of once per run.
// Request (one JSON per line): {"dir": "...", "args": ["--snapshot", "canary"], "env": {...}}.
// Response (one JSON per line on fd 1): {"code": 0|1, "error": "..."}.
// Everything changesets prints is discarded: only files and exit codes are compared.
import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { pathToFileURL } from "node:url";

const toolDir = process.env.CHANGESETS_TOOL_DIR;
const { version } = await import(
  pathToFileURL(path.join(toolDir, "node_modules/@changesets/cli/dist/version.mjs")).href
);

const quiet = () => true;
process.stdout.write = quiet;
process.stderr.write = quiet;
for (const k of ["log", "info", "warn", "error", "debug"]) console[k] = () => {};

// In the real CLI a failed changelog line leaves other line promises rejected without a
// handler and the process exits anyway; here the process lives on, so swallow them.
process.on("unhandledRejection", () => {});
process.on("uncaughtException", () => {});
process.exit = (code) => {
  throw Object.assign(new Error(`process.exit(${code})`), { code: code ?? 0 });
};

const baseEnv = { ...process.env };
const baseCwd = process.cwd();

function options(args) {
  // What cac hands `version()` for these flags.
  const o = { "--": [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const next = args[i + 1];
    if (a === "--snapshot") {
      if (next !== undefined && !next.startsWith("--")) { o.snapshot = next; i++; } else o.snapshot = true;
    } else if (a === "--ignore") { (o.ignore ??= []).push(next); i++; }
    else if (a === "--snapshot-prerelease-template") { o.snapshotPrereleaseTemplate = next; i++; }
    else throw new Error(`driver: unsupported argument ${a}`);
  }
  return o;
}

const rl = readline.createInterface({ input: process.stdin });
for await (const line of rl) {
  if (!line.trim()) continue;
  const req = JSON.parse(line);
  for (const k of Object.keys(process.env)) if (!(k in baseEnv)) delete process.env[k];
  Object.assign(process.env, baseEnv, req.env ?? {});
  let res;
  try {
    process.chdir(req.dir);
    await version(options(req.args ?? []));
    res = { code: 0 };
  } catch (e) {
    res = { code: typeof e?.code === "number" ? e.code : 1, error: String(e?.stack ?? e) };
  } finally {
    process.chdir(baseCwd);
  }
  fs.writeSync(1, JSON.stringify(res) + "\n");
}
