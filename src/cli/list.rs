use serde::Serialize;

use super::{CliError, CliResult, Ctx};
use crate::report::Reporter;
use crate::workspace::{self, DepKind, Ecosystem, Package, Workspace};

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Print a JSON array (name, version, path, private, ecosystem, root, dependencies)
    #[arg(long)]
    pub json: bool,
}

/// One package in `relay list --json` (a stable, documented shape).
#[derive(Serialize)]
struct Row<'a> {
    /// `null` for a root `package.json` without a name (allowed for a monorepo root).
    name: Option<&'a str>,
    version: Option<&'a str>,
    path: &'a str,
    private: bool,
    ecosystem: Ecosystem,
    root: bool,
    /// Internal dependencies (on packages of this workspace), in manifest order.
    dependencies: Vec<DepRow<'a>>,
}

#[derive(Serialize)]
struct DepRow<'a> {
    /// The workspace package depended upon.
    name: &'a str,
    /// The manifest table: npm's `dependencies`/`devDependencies`/`peerDependencies`/
    /// `optionalDependencies`, Cargo's `dependencies`/`dev-dependencies`/`build-dependencies`.
    kind: &'static str,
    /// As written (for Cargo `dep.workspace = true`: the workspace entry's requirement).
    range: &'a str,
    /// The manifest key when it differs from the package name (npm alias, Cargo `package =`).
    #[serde(skip_serializing_if = "Option::is_none")]
    alias: Option<&'a str>,
    /// Cargo `dep.workspace = true`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    inherited: bool,
    /// Cargo `[target.<platform>.*]` tables.
    #[serde(skip_serializing_if = "Option::is_none")]
    platform: Option<&'a str>,
}

fn kind_name(ecosystem: Ecosystem, kind: DepKind) -> &'static str {
    match (ecosystem, kind) {
        (Ecosystem::Cargo, DepKind::Dev) => "dev-dependencies",
        (Ecosystem::Cargo, DepKind::Build) => "build-dependencies",
        (_, k) => k.key(),
    }
}

fn rows(ws: &Workspace) -> Vec<Row<'_>> {
    // name → ecosystem of every nameable package (a linear `ws.get` per dependency would be
    // quadratic on large workspaces).
    let index: std::collections::HashMap<&str, Ecosystem> = ws
        .all()
        .filter(|p| !p.unnamed)
        .map(|p| (p.name.as_str(), p.ecosystem))
        .collect();
    let internal =
        |p: &Package, target: &str| target != p.name && index.get(target) == Some(&p.ecosystem);
    ws.all()
        .map(|p| Row {
            name: (!p.unnamed).then_some(p.name.as_str()),
            version: p.version.as_deref(),
            path: &p.dir,
            private: p.private,
            ecosystem: p.ecosystem,
            root: p.is_root,
            dependencies: p
                .dependencies
                .iter()
                .filter(|d| internal(p, &d.target))
                .map(|d| DepRow {
                    name: &d.target,
                    kind: kind_name(p.ecosystem, d.kind),
                    range: &d.range,
                    alias: (d.name != d.target).then_some(d.name.as_str()),
                    inherited: d.inherited,
                    platform: d.platform.as_deref(),
                })
                .collect(),
        })
        .collect()
}

pub fn run(ctx: &Ctx, args: ListArgs) -> CliResult {
    let root = ctx.root()?;
    let ws = workspace::discover(&root).map_err(CliError::user)?;
    let rows = rows(&ws);
    if args.json {
        let out = serde_json::to_string_pretty(&rows).map_err(CliError::internal)?;
        println!("{out}");
        return Ok(());
    }
    print!("{}", human(&ws, &rows));
    let graph = crate::graph::PackageGraph::build(&ws, crate::graph::GraphOptions::default());
    for m in graph.mismatches() {
        ctx.console.warn(&m.to_string());
    }
    Ok(())
}

/// Aligned columns, one package per line, its internal dependencies indented below it.
fn human(ws: &Workspace, rows: &[Row]) -> String {
    let tool = match ws.tool {
        workspace::Tool::Npm => "npm workspace",
        workspace::Tool::Pnpm => "pnpm workspace",
        workspace::Tool::Yarn => "yarn workspace",
        workspace::Tool::Bun => "bun workspace",
        workspace::Tool::Cargo => "Cargo workspace",
        workspace::Tool::Root => "single-package repository",
    };
    let both =
        ws.tool != workspace::Tool::Cargo && ws.all().any(|p| p.ecosystem == Ecosystem::Cargo);
    let tool = if both {
        format!("{tool} + Cargo workspace")
    } else {
        tool.to_string()
    };
    let mut out = format!(
        "{tool}: {} package{}\n",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" }
    );
    let version = |r: &Row| r.version.unwrap_or("-").to_string();
    let name = |r: &Row| r.name.unwrap_or("(unnamed)").to_string();
    let wn = rows.iter().map(|r| name(r).len()).max().unwrap_or(0);
    let wv = rows.iter().map(|r| version(r).len()).max().unwrap_or(0);
    let wp = rows.iter().map(|r| r.path.len()).max().unwrap_or(0);
    for r in rows {
        let mut flags = vec![match r.ecosystem {
            Ecosystem::Npm => "npm",
            Ecosystem::Cargo => "cargo",
        }];
        if r.root {
            flags.push("root");
        }
        if r.private {
            flags.push("private");
        }
        out.push_str(&format!(
            "{:wn$}  {:wv$}  {:wp$}  {}\n",
            name(r),
            version(r),
            r.path,
            flags.join(", ")
        ));
        for d in &r.dependencies {
            let range = if d.range.is_empty() {
                "(path)"
            } else {
                d.range
            };
            let mut from = d.kind.to_string();
            if let Some(alias) = d.alias {
                from.push_str(&format!(", as `{alias}`"));
            }
            if let Some(platform) = d.platform {
                from.push_str(&format!(", {platform}"));
            }
            if d.inherited {
                from.push_str(", from the workspace");
            }
            out.push_str(&format!("    → {} {} ({})\n", d.name, range, from));
        }
    }
    out.lines()
        .map(|l| l.trim_end().to_string() + "\n")
        .collect()
}
