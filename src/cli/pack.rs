//! `relay pack`: build npm-identical tarballs for the workspace's publishable packages.

use std::fs;
use std::path::{Path, PathBuf};

use super::{CliError, CliResult, Ctx};
use crate::pack::{self, Lifecycle, PackOptions, Packed};
use crate::workspace::{self, Ecosystem, Package, Workspace};

#[derive(Debug, clap::Args)]
pub struct PackArgs {
    /// Packages to pack (default: every publishable package: npm, not private, versioned)
    #[arg(value_name = "PKG")]
    pub packages: Vec<String>,
    /// Where to write the tarballs (default: the current directory); also writes
    /// relay-publish-plan.json for `relay publish --from-pack-dir`
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// Print an array shaped like `npm pack --json`
    #[arg(long)]
    pub json: bool,
    /// Do not run prepack, prepare or postpack
    #[arg(long)]
    pub ignore_scripts: bool,
    /// Build and report, but write nothing
    #[arg(long)]
    pub dry_run: bool,
}

fn publishable(p: &Package) -> bool {
    p.ecosystem == Ecosystem::Npm && !p.private && !p.unnamed && p.version.is_some()
}

/// Which packages to pack: the named ones (each must exist and be an npm package with a
/// version), or every publishable one.
fn select<'a>(ws: &'a Workspace, names: &[String]) -> Result<Vec<&'a Package>, CliError> {
    if names.is_empty() {
        // `packages` holds the root package only in a single-package repository: a monorepo's
        // root is never published.
        return Ok(ws.packages.iter().filter(|p| publishable(p)).collect());
    }
    let mut out = Vec::new();
    for n in names {
        let Some(p) = ws.get(n) else {
            let known: Vec<&str> = ws.all().map(|p| p.name.as_str()).collect();
            return Err(CliError::usage(format!(
                "unknown package `{n}`; the workspace has: {}",
                known.join(", ")
            )));
        };
        if p.ecosystem != Ecosystem::Npm {
            return Err(CliError::usage(format!(
                "`{n}` is a Cargo crate; relay pack builds npm tarballs"
            )));
        }
        if p.version.is_none() {
            return Err(CliError::usage(format!(
                "`{n}` has no version in {}; npm cannot pack it",
                p.manifest_path.display()
            )));
        }
        out.push(p);
    }
    Ok(out)
}

pub fn run(ctx: &Ctx, args: PackArgs) -> CliResult {
    let root = ctx.root()?;
    let ws = workspace::discover(&root).map_err(CliError::user)?;
    let pkgs = select(&ws, &args.packages)?;
    if pkgs.is_empty() && !args.json && !ctx.global.quiet {
        eprintln!("nothing to pack: no package is public, versioned and in the npm ecosystem");
    }

    // Refuse bad manifests of any package before a single script runs.
    for p in &pkgs {
        pack::preflight(&ws, p).map_err(CliError::user)?;
    }
    // Pack everything first; write only when every package packed cleanly.
    let mut packed: Vec<Packed> = Vec::with_capacity(pkgs.len());
    for p in pkgs {
        let allow = pack::allow_secrets_from_config(&ws.root, &p.name).map_err(CliError::user)?;
        let opts = PackOptions {
            ignore_scripts: args.ignore_scripts,
            allow_secrets: allow,
            lifecycle: Lifecycle::Pack,
        };
        packed.push(pack::pack_package(&ws, p, &opts).map_err(CliError::user)?);
    }

    let out_dir = match &args.out_dir {
        Some(d) => std::path::absolute(d).map_err(CliError::user)?,
        None => std::env::current_dir().map_err(CliError::user)?,
    };
    if !args.dry_run {
        write_all(&out_dir, &packed)?;
        // With --out-dir, the directory is a hand-off to a publish job: add the plan.
        if args.out_dir.is_some() {
            crate::pack_plan::write_for_pack(&ws, &out_dir, &packed).map_err(CliError::user)?;
        }
    }

    if args.json {
        let arr: Vec<serde_json::Value> = packed.iter().map(Packed::to_npm_json).collect();
        let out = serde_json::to_string_pretty(&arr).map_err(CliError::internal)?;
        println!("{out}");
        return Ok(());
    }
    for p in &packed {
        if ctx.global.verbose {
            for f in &p.files {
                println!("  {:>8}  {:o}  {}", human(f.size), f.mode, f.path);
            }
        }
        let dest = if args.dry_run {
            "(dry run)".to_string()
        } else {
            super::display_rel(
                &std::env::current_dir().unwrap_or_default(),
                &out_dir.join(&p.filename),
            )
        };
        if !ctx.global.quiet {
            println!(
                "{}@{}  {}  {} files, {} packed, {} unpacked  {}",
                p.name,
                p.version,
                dest,
                p.entry_count,
                human(p.size),
                human(p.unpacked_size),
                p.integrity
            );
        }
    }
    Ok(())
}

/// Writes every tarball through a temporary name and renames it into place; on any failure the
/// tarballs already written by this run are removed again.
fn write_all(out_dir: &Path, packed: &[Packed]) -> CliResult {
    fs::create_dir_all(out_dir)
        .map_err(|e| CliError::user(format!("{}: {e}", out_dir.display())))?;
    let mut done: Vec<PathBuf> = Vec::new();
    let mut result = Ok(());
    for p in packed {
        let dest = out_dir.join(&p.filename);
        let tmp = out_dir.join(format!(".{}.relay-tmp", p.filename));
        let r = fs::write(&tmp, &p.tarball).and_then(|_| fs::rename(&tmp, &dest));
        if let Err(e) = r {
            let _ = fs::remove_file(&tmp);
            result = Err(CliError::user(format!("{}: {e}", dest.display())));
            break;
        }
        done.push(dest);
    }
    if result.is_err() {
        for d in done {
            let _ = fs::remove_file(d);
        }
    }
    result
}

fn human(n: u64) -> String {
    if n < 1000 {
        format!("{n} B")
    } else if n < 1_000_000 {
        format!("{:.1} kB", n as f64 / 1000.0)
    } else {
        format!("{:.1} MB", n as f64 / 1_000_000.0)
    }
}
