use serde::Serialize;

use super::{CliError, CliResult, Ctx};
use crate::workspace::{self, Package};

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Print a JSON array (name, version, path, private, ecosystem, dependencies)
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct Row<'a> {
    name: &'a str,
    version: Option<&'a str>,
    path: &'a str,
    private: bool,
    ecosystem: workspace::Ecosystem,
    root: bool,
    /// Internal dependencies: name → range as written, per kind.
    dependencies: Vec<DepRow<'a>>,
}

#[derive(Serialize)]
struct DepRow<'a> {
    name: &'a str,
    kind: workspace::DepKind,
    range: &'a str,
}

pub fn run(ctx: &Ctx, args: ListArgs) -> CliResult {
    let root = ctx.root()?;
    let ws = workspace::discover(&root).map_err(CliError::user)?;
    let is_internal = |p: &Package| ws.all().any(|q| q.name == p.name);
    let rows: Vec<Row> = ws
        .all()
        .map(|p| Row {
            name: &p.name,
            version: p.version.as_deref(),
            path: &p.dir,
            private: p.private,
            ecosystem: p.ecosystem,
            root: p.is_root,
            dependencies: p
                .dependencies
                .iter()
                .filter(|d| ws.get(&d.target).is_some_and(is_internal))
                .map(|d| DepRow {
                    name: &d.target,
                    kind: d.kind,
                    range: &d.range,
                })
                .collect(),
        })
        .collect();
    if args.json {
        let out = serde_json::to_string_pretty(&rows).map_err(CliError::internal)?;
        println!("{out}");
    } else {
        for r in &rows {
            let version = r.version.unwrap_or("(no version)");
            let private = if r.private { " (private)" } else { "" };
            println!("{} {} {}{}", r.name, version, r.path, private);
        }
    }
    Ok(())
}
