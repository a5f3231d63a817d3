//! The repository's formatter, run on the files `relay version` and `relay add` write, as
//! changesets 3 does through `@changesets/format`: `format: "auto"` (the default) picks the
//! formatter whose configuration file is nearest (walking up from the root, dprint, Deno, oxfmt,
//! then Prettier in each directory; Biome is never used for markdown), else the one installed in
//! the nearest `node_modules`; a named formatter is used as it is; `false` formats nothing. It
//! runs through the package manager (`npx prettier --write ...`), like changesets.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::settings::FormatSetting;
use crate::workspace::Tool;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Formatter {
    Prettier,
    Oxfmt,
    Deno,
    Dprint,
}

/// A configuration file that marks a formatter: a file, or a key in a JSON file.
enum Marker {
    File(&'static str),
    Key(&'static str, &'static str),
}

impl Formatter {
    /// `@changesets/format`'s detection order, without Biome (changesets leaves it out).
    const ORDER: [Formatter; 4] = [
        Formatter::Dprint,
        Formatter::Deno,
        Formatter::Oxfmt,
        Formatter::Prettier,
    ];

    fn markers(self) -> &'static [Marker] {
        use Marker::*;
        match self {
            Formatter::Prettier => &[
                File(".prettierrc"),
                File(".prettierrc.json"),
                File(".prettierrc.yml"),
                File(".prettierrc.yaml"),
                File(".prettierrc.json5"),
                File(".prettierrc.js"),
                File("prettier.config.js"),
                File(".prettierrc.ts"),
                File("prettier.config.ts"),
                File(".prettierrc.mjs"),
                File("prettier.config.mjs"),
                File(".prettierrc.mts"),
                File("prettier.config.mts"),
                File(".prettierrc.cjs"),
                File("prettier.config.cjs"),
                File(".prettierrc.cts"),
                File("prettier.config.cts"),
                File(".prettierrc.toml"),
                Key("package.json", "prettier"),
            ],
            Formatter::Oxfmt => &[
                File(".oxfmtrc.json"),
                File(".oxfmtrc.jsonc"),
                File("oxfmt.config.ts"),
                File("oxfmt.config.mts"),
            ],
            Formatter::Deno => &[File("deno.json"), File("deno.jsonc")],
            Formatter::Dprint => &[
                File("dprint.json"),
                File("dprint.jsonc"),
                File(".dprint.json"),
                File(".dprint.jsonc"),
            ],
        }
    }

    /// The npm package whose presence in `node_modules` marks the formatter (Deno has none).
    fn package(self) -> Option<&'static str> {
        match self {
            Formatter::Prettier => Some("prettier"),
            Formatter::Oxfmt => Some("oxfmt"),
            Formatter::Dprint => Some("dprint"),
            Formatter::Deno => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Formatter::Prettier => "prettier",
            Formatter::Oxfmt => "oxfmt",
            Formatter::Deno => "deno",
            Formatter::Dprint => "dprint",
        }
    }

    /// The command that formats `files` in place, as `@changesets/format` builds it.
    pub fn command(self, tool: Tool, files: &[PathBuf]) -> Command {
        let args: Vec<&str> = match self {
            Formatter::Prettier => vec!["prettier", "--write", "--no-error-on-unmatched-pattern"],
            Formatter::Oxfmt => vec!["oxfmt", "--write", "--no-error-on-unmatched-pattern"],
            Formatter::Dprint => vec!["dprint", "fmt", "--allow-no-files"],
            Formatter::Deno => vec!["fmt", "--permit-no-files"],
        };
        let mut cmd = if self == Formatter::Deno {
            Command::new("deno")
        } else {
            // The package manager's "execute local" command (package-manager-detector).
            let (program, pre): (&str, &[&str]) = match tool {
                Tool::Pnpm => ("pnpm", &["exec"]),
                Tool::Yarn => ("yarn", &["exec"]),
                Tool::Bun => ("bun", &["x"]),
                Tool::Npm | Tool::Root | Tool::Cargo => ("npx", &[]),
            };
            let mut c = Command::new(program);
            c.args(pre);
            c
        };
        cmd.args(args).args(files);
        cmd
    }
}

/// Which formatter the setting means for a repository rooted at `root`.
pub fn resolve(setting: FormatSetting, root: &Path) -> Option<Formatter> {
    match setting {
        FormatSetting::Disabled => None,
        FormatSetting::Prettier => Some(Formatter::Prettier),
        FormatSetting::Oxfmt => Some(Formatter::Oxfmt),
        FormatSetting::Deno => Some(Formatter::Deno),
        FormatSetting::Dprint => Some(Formatter::Dprint),
        FormatSetting::Auto => detect(root),
    }
}

/// `@changesets/format`'s `detect`: the nearest configuration file, walking up from `root` to
/// the filesystem's root; failing that, the nearest installed package.
pub fn detect(root: &Path) -> Option<Formatter> {
    let by_config = root.ancestors().find_map(|dir| {
        Formatter::ORDER
            .into_iter()
            .find(|f| f.markers().iter().any(|m| marker_present(dir, m)))
    });
    by_config.or_else(|| {
        root.ancestors().find_map(|dir| {
            Formatter::ORDER.into_iter().find(|f| {
                f.package()
                    .is_some_and(|p| dir.join("node_modules").join(p).exists())
            })
        })
    })
}

fn marker_present(dir: &Path, m: &Marker) -> bool {
    match m {
        Marker::File(f) => dir.join(f).exists(),
        Marker::Key(f, key) => std::fs::read(dir.join(f))
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .is_some_and(|v| v.as_object().is_some_and(|o| o.contains_key(*key))),
    }
}

/// Formats `files` (absolute paths) in place. On failure, the formatter's output.
pub fn run(f: Formatter, tool: Tool, root: &Path, files: &[PathBuf]) -> Result<(), String> {
    if files.is_empty() {
        return Ok(());
    }
    let mut cmd = f.command(tool, files);
    cmd.current_dir(root).stdin(std::process::Stdio::null());
    let shown = format!(
        "{} ({})",
        f.name(),
        std::iter::once(cmd.get_program())
            .chain(cmd.get_args().take(4))
            .map(|a| a.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" ")
    );
    let out = cmd
        .output()
        .map_err(|e| format!("could not run the formatter {shown}: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    let text = String::from_utf8_lossy(&out.stderr);
    let text = if text.trim().is_empty() {
        String::from_utf8_lossy(&out.stdout).into_owned()
    } else {
        text.into_owned()
    };
    Err(format!(
        "the formatter {shown} failed ({}):\n{}",
        out.status,
        text.trim_end()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[&str]) -> tempfile::TempDir {
        let t = tempfile::tempdir().unwrap();
        for f in files {
            let p = t.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            let body = if f.ends_with("package.json") {
                r#"{"name":"x","prettier":{}}"#
            } else {
                ""
            };
            std::fs::write(p, body).unwrap();
        }
        t
    }

    #[test]
    fn the_nearest_configuration_wins_then_installed_packages() {
        // In one directory dprint comes before Prettier.
        let t = tree(&["repo/.prettierrc", "repo/dprint.json"]);
        assert_eq!(detect(&t.path().join("repo")), Some(Formatter::Dprint));
        // A configuration in the repository beats one further up.
        let t = tree(&["deno.json", "repo/.prettierrc.yaml"]);
        assert_eq!(detect(&t.path().join("repo")), Some(Formatter::Prettier));
        // The `prettier` key of package.json counts.
        let t = tree(&["repo/package.json"]);
        assert_eq!(detect(&t.path().join("repo")), Some(Formatter::Prettier));
        // No configuration anywhere: the installed package, Biome never.
        let t = tree(&["repo/node_modules/oxfmt/x", "repo/biome.json"]);
        assert_eq!(detect(&t.path().join("repo")), Some(Formatter::Oxfmt));
        assert_eq!(
            resolve(FormatSetting::Disabled, &t.path().join("repo")),
            None
        );
        assert_eq!(
            resolve(FormatSetting::Deno, &t.path().join("repo")),
            Some(Formatter::Deno)
        );
    }

    #[test]
    fn commands_go_through_the_package_manager() {
        let files = [PathBuf::from("/r/CHANGELOG.md")];
        let show = |c: Command| {
            std::iter::once(c.get_program().to_string_lossy().into_owned())
                .chain(c.get_args().map(|a| a.to_string_lossy().into_owned()))
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(
            show(Formatter::Prettier.command(Tool::Npm, &files)),
            "npx prettier --write --no-error-on-unmatched-pattern /r/CHANGELOG.md"
        );
        assert_eq!(
            show(Formatter::Dprint.command(Tool::Pnpm, &files)),
            "pnpm exec dprint fmt --allow-no-files /r/CHANGELOG.md"
        );
        assert_eq!(
            show(Formatter::Deno.command(Tool::Bun, &files)),
            "deno fmt --permit-no-files /r/CHANGELOG.md"
        );
    }
}
