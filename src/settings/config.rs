//! `.changeset/config.json` with changesets 3's schema, defaults and validation rules
//! (`@changesets/config`: `config.ts`, `rules.ts`, `utils.ts`).

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::glob::PicoGlob as NameGlob;
use super::{
    Access, Config, ModuleSetting, PrivatePackages, SnapshotConfig, UpdateInternalDependents,
};
use crate::changeset::{BumpType, versionable_packages};
use crate::workspace::{DepKind, Ecosystem, Package, Workspace};

/// The config file, relative to the repository root.
pub const CONFIG_PATH: &str = ".changeset/config.json";

const EXPERIMENTAL: &str = "___experimentalUnsafeOptions_WILL_CHANGE_IN_PATCH";
const PICOMATCH_NOTE: &str =
    "Note that glob expressions must be defined according to https://npmx.dev/picomatch.";

/// v3's `format`: which formatter runs on the CHANGELOGs `relay version` writes and the change
/// files `relay add` writes (see `crate::formatter`); `relay init` writes `false`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatSetting {
    Auto,
    Prettier,
    Oxfmt,
    Deno,
    Dprint,
    Disabled,
}

/// Everything `config.json` says: the shared [`Config`] plus the keys only a few commands use.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigFile {
    pub config: Config,
    pub format: FormatSetting,
}

/// One problem in the config, with the line of the key it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{}: not found. Run `relay init` to create it.", path.display())]
    Missing { path: PathBuf },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}:{column}: invalid JSON: {message}", path.display())]
    Json {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{}", Problems(path, problems))]
    Invalid {
        path: PathBuf,
        problems: Vec<Problem>,
    },
}

struct Problems<'a>(&'a Path, &'a [Problem]);

impl fmt::Display for Problems<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "found issues in your config:")?;
        for p in self.1 {
            write!(f, "\n  {}:{}: {}", self.0.display(), p.line, p.message)?;
        }
        Ok(())
    }
}

/// Reads and validates `.changeset/config.json` (schema and the rules that need no
/// workspace). Unknown keys are ignored, as changesets does.
pub fn load_config(root: &Path) -> Result<Config, ConfigError> {
    load_config_file(root).map(|c| c.config)
}

/// [`load_config`] plus the `format` key.
pub fn load_config_file(root: &Path) -> Result<ConfigFile, ConfigError> {
    let path = PathBuf::from(CONFIG_PATH);
    let text = match fs::read(root.join(&path)) {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ConfigError::Missing { path });
        }
        Err(source) => return Err(ConfigError::Io { path, source }),
    };
    parse_config(&text, &path)
}

/// Loads `config.json` and resolves its globs against `ws` in one go (the usual entry point
/// for commands).
pub fn load_resolved(
    root: &Path,
    ws: &Workspace,
) -> Result<(ConfigFile, ResolvedConfig), ConfigError> {
    let file = load_config_file(root)?;
    let text = fs::read(root.join(CONFIG_PATH))
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .ok();
    let resolved = ResolvedConfig::resolve(&file.config, ws, text.as_deref())?;
    Ok((file, resolved))
}

/// The line of top-level key `key` in `text` (1 when not found).
fn key_line(text: &str, key: &str) -> usize {
    let needle = format!("\"{key}\"");
    let mut from = 0;
    while let Some(i) = text[from..].find(&needle) {
        let at = from + i;
        let rest = text[at + needle.len()..].trim_start();
        if rest.starts_with(':') {
            return 1 + text[..at].bytes().filter(|&b| b == b'\n').count();
        }
        from = at + needle.len();
    }
    1
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

struct Checker<'a> {
    text: &'a str,
    problems: Vec<Problem>,
}

impl Checker<'_> {
    fn bad(&mut self, key: &str, message: String) {
        let line = key_line(self.text, key.split('.').next_back().unwrap_or(key));
        let line = if line == 1 {
            key_line(self.text, key.split('.').next().unwrap_or(key))
        } else {
            line
        };
        self.problems.push(Problem {
            line,
            message: format!("{key}: {message}"),
        });
    }

    fn string(&mut self, key: &str, v: &Value) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            other => {
                self.bad(
                    key,
                    format!(
                        "Invalid type: Expected string but received {}",
                        type_name(other)
                    ),
                );
                None
            }
        }
    }

    fn boolean(&mut self, key: &str, v: &Value) -> Option<bool> {
        match v {
            Value::Bool(b) => Some(*b),
            other => {
                self.bad(
                    key,
                    format!(
                        "Invalid type: Expected boolean but received {}",
                        type_name(other)
                    ),
                );
                None
            }
        }
    }

    fn strings(&mut self, key: &str, v: &Value) -> Option<Vec<String>> {
        let Value::Array(items) = v else {
            self.bad(
                key,
                format!(
                    "Invalid type: Expected array of strings but received {}",
                    type_name(v)
                ),
            );
            return None;
        };
        let mut out = Vec::new();
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            match self.string(&format!("{key}.{i}"), item) {
                Some(s) => out.push(s),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn groups(&mut self, key: &str, v: &Value) -> Option<Vec<Vec<String>>> {
        let Value::Array(items) = v else {
            self.bad(
                key,
                format!(
                    "Invalid type: Expected an array of arrays of package names or globs, e.g. \
                     [[\"@pkg/a\", \"@pkg/b\"]], but received {}",
                    type_name(v)
                ),
            );
            return None;
        };
        let mut out = Vec::new();
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            match self.strings(&format!("{key}.{i}"), item) {
                Some(g) => out.push(g),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn literal<T: Copy>(&mut self, key: &str, v: &Value, options: &[(&str, T)]) -> Option<T> {
        if let Value::String(s) = v
            && let Some((_, t)) = options.iter().find(|(name, _)| name == s)
        {
            return Some(*t);
        }
        let names: Vec<String> = options.iter().map(|(n, _)| format!("\"{n}\"")).collect();
        self.bad(
            key,
            format!(
                "Invalid type: Expected {} but received {}",
                names.join(" | "),
                match v {
                    Value::String(s) => format!("\"{s}\""),
                    other => type_name(other).to_string(),
                }
            ),
        );
        None
    }

    /// `changelog` / `commit`: a module string or `[module, options | null]`.
    fn module(&mut self, key: &str, v: &Value, expected: &str) -> Option<ModuleSetting> {
        match v {
            Value::String(s) => Some(ModuleSetting::Module {
                name: s.clone(),
                options: None,
            }),
            // valibot's `tuple` ignores extra items.
            Value::Array(items)
                if items.len() >= 2
                    && items[0].is_string()
                    && (items[1].is_null() || items[1].is_object()) =>
            {
                Some(ModuleSetting::Module {
                    name: items[0].as_str().unwrap_or_default().to_string(),
                    options: (!items[1].is_null()).then(|| items[1].clone()),
                })
            }
            _ => {
                self.bad(key, expected.to_string());
                None
            }
        }
    }
}

/// Parses config text; `path` is only used in messages.
pub fn parse_config(text: &str, path: &Path) -> Result<ConfigFile, ConfigError> {
    let json: Value = serde_json::from_str(text).map_err(|e| ConfigError::Json {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let mut c = Checker {
        text,
        problems: Vec::new(),
    };
    let mut config = Config::default();
    let mut format = FormatSetting::Auto;
    let Value::Object(obj) = &json else {
        return Err(ConfigError::Invalid {
            path: path.to_path_buf(),
            problems: vec![Problem {
                line: 1,
                message: format!(
                    "Invalid type: Expected an object but received {}",
                    type_name(&json)
                ),
            }],
        });
    };
    let get = |k: &str| obj.get(k);

    if let Some(v) = get("baseBranch")
        && let Some(s) = c.string("baseBranch", v)
    {
        config.base_branch = s;
    }
    if let Some(v) = get("access")
        && let Some(a) = c.literal(
            "access",
            v,
            &[
                ("public", Access::Public),
                ("restricted", Access::Restricted),
            ],
        )
    {
        config.access = a;
    }
    if let Some(v) = get("changedFilePatterns")
        && let Some(p) = c.strings("changedFilePatterns", v)
    {
        config.changed_file_patterns = p;
    }
    if let Some(v) = get("format") {
        let parsed = match v {
            Value::Bool(false) => Some(FormatSetting::Disabled),
            _ => c.literal(
                "format",
                v,
                &[
                    ("auto", FormatSetting::Auto),
                    ("prettier", FormatSetting::Prettier),
                    ("oxfmt", FormatSetting::Oxfmt),
                    ("deno", FormatSetting::Deno),
                    ("dprint", FormatSetting::Dprint),
                ],
            ),
        };
        if let Some(f) = parsed {
            format = f;
        }
    }
    if let Some(v) = get("ignore")
        && let Some(p) = c.strings("ignore", v)
    {
        config.ignore = p;
    }
    if let Some(v) = get("fixed")
        && let Some(g) = c.groups("fixed", v)
    {
        config.fixed = g;
    }
    if let Some(v) = get("linked")
        && let Some(g) = c.groups("linked", v)
    {
        config.linked = g;
    }
    if let Some(v) = get("updateInternalDependencies")
        && let Some(b) = c.literal(
            "updateInternalDependencies",
            v,
            &[("minor", BumpType::Minor), ("patch", BumpType::Patch)],
        )
    {
        config.update_internal_dependencies = b;
    }
    if let Some(v) = get("privatePackages") {
        match v {
            Value::Bool(b) => {
                config.private_packages = PrivatePackages {
                    version: *b,
                    tag: *b,
                }
            }
            Value::Object(o) => {
                let mut pp = PrivatePackages {
                    version: false,
                    tag: false,
                };
                if let Some(x) = o.get("version")
                    && let Some(b) = c.boolean("privatePackages.version", x)
                {
                    pp.version = b;
                }
                if let Some(x) = o.get("tag")
                    && let Some(b) = c.boolean("privatePackages.tag", x)
                {
                    pp.tag = b;
                }
                config.private_packages = pp;
            }
            other => c.bad(
                "privatePackages",
                format!(
                    "Invalid type: Expected boolean or {{\"version\"?: boolean, \"tag\"?: boolean}} \
                     but received {}",
                    type_name(other)
                ),
            ),
        }
    }
    if let Some(v) = get("bumpVersionsWithWorkspaceProtocolOnly")
        && let Some(b) = c.boolean("bumpVersionsWithWorkspaceProtocolOnly", v)
    {
        config.bump_versions_with_workspace_protocol_only = b;
    }
    if let Some(v) = get("snapshot") {
        match v {
            Value::Object(o) => {
                let mut snap = SnapshotConfig::default();
                if let Some(x) = o.get("useCalculatedVersion")
                    && let Some(b) = c.boolean("snapshot.useCalculatedVersion", x)
                {
                    snap.use_calculated_version = b;
                }
                if let Some(x) = o.get("prereleaseTemplate")
                    && let Some(s) = c.string("snapshot.prereleaseTemplate", x)
                {
                    if s.is_empty() {
                        c.bad(
                            "snapshot.prereleaseTemplate",
                            "Invalid length: Expected >=1 but received 0; remove the key or \
                             give a template such as \"{tag}-{commit}\""
                                .into(),
                        );
                    } else {
                        snap.prerelease_template = Some(s);
                    }
                }
                config.snapshot = snap;
            }
            other => c.bad(
                "snapshot",
                format!(
                    "Invalid type: Expected Object but received {}",
                    type_name(other)
                ),
            ),
        }
    }
    if let Some(v) = get("changelog") {
        if *v == Value::Bool(false) {
            config.changelog = ModuleSetting::Disabled;
        } else if let Some(m) = c.module(
            "changelog",
            v,
            "Invalid type: Expected false, a module path (\"@changesets/cli/changelog\" or \
             \"./some-module\"), or a tuple of module path and options \
             ([\"@changesets/cli/changelog\", { \"someOption\": true }]).",
        ) {
            config.changelog = m;
        }
    }
    if let Some(v) = get("commit") {
        match v {
            Value::Bool(false) => config.commit = ModuleSetting::Disabled,
            Value::Bool(true) => {
                config.commit = ModuleSetting::Module {
                    name: "@changesets/cli/commit".into(),
                    options: Some(serde_json::json!({"skipCI": "version"})),
                }
            }
            _ => {
                if let Some(m) = c.module(
                    "commit",
                    v,
                    "Invalid type: Expected a boolean, a module path (e.g. \
                     \"@changesets/cli/commit\" or \"./some-module\"), or a tuple with a module \
                     path and options (e.g. [\"@changesets/cli/commit\", { \"skipCI\": \
                     \"version\" }])",
                ) {
                    config.commit = m;
                }
            }
        }
    }
    if let Some(v) = get(EXPERIMENTAL) {
        match v {
            Value::Object(o) => {
                if let Some(x) = o.get("onlyUpdatePeerDependentsWhenOutOfRange")
                    && let Some(b) = c.boolean(
                        &format!("{EXPERIMENTAL}.onlyUpdatePeerDependentsWhenOutOfRange"),
                        x,
                    )
                {
                    config.only_update_peer_dependents_when_out_of_range = b;
                }
                if let Some(x) = o.get("updateInternalDependents")
                    && let Some(u) = c.literal(
                        &format!("{EXPERIMENTAL}.updateInternalDependents"),
                        x,
                        &[
                            ("always", UpdateInternalDependents::Always),
                            ("out-of-range", UpdateInternalDependents::OutOfRange),
                        ],
                    )
                {
                    config.update_internal_dependents = u;
                }
            }
            other => c.bad(
                EXPERIMENTAL,
                format!(
                    "Invalid type: Expected Object but received {}",
                    type_name(other)
                ),
            ),
        }
    }

    // Rules that need no workspace.
    if c.problems.is_empty() && !config.private_packages.version && config.private_packages.tag {
        c.bad(
            "privatePackages",
            "Invalid combination: \"tag\" is set to \"true\" but \"version\" is set to \"false\"."
                .into(),
        );
    }

    if c.problems.is_empty() {
        Ok(ConfigFile { config, format })
    } else {
        Err(ConfigError::Invalid {
            path: path.to_path_buf(),
            problems: c.problems,
        })
    }
}

/// The config with globs resolved against the workspace into package names, after
/// changesets' workspace rules. Warnings (unmatched globs) are for the user to see.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResolvedConfig {
    pub fixed: Vec<Vec<String>>,
    pub linked: Vec<Vec<String>>,
    pub ignore: Vec<String>,
    pub warnings: Vec<String>,
}

impl ResolvedConfig {
    /// changesets' `globMatch`: names (in workspace order) that a positive pattern matches and
    /// no later negated pattern excludes.
    fn glob_match(names: &[&str], patterns: &[NameGlob]) -> Vec<String> {
        names
            .iter()
            .filter(|name| super::glob::passes(patterns, name))
            .map(|s| s.to_string())
            .collect()
    }

    /// Resolves `fixed`, `linked` and `ignore` and applies changesets' validation rules:
    /// unmatched globs warn; a package in two fixed (or two linked) groups, in both fixed and
    /// linked, or a non-skipped public dependent of a skipped package is an error.
    /// `config_text` (the file's text, if any) only serves to point errors at lines.
    pub fn resolve(
        config: &Config,
        ws: &Workspace,
        config_text: Option<&str>,
    ) -> Result<ResolvedConfig, ConfigError> {
        let path = PathBuf::from(CONFIG_PATH);
        let line = |key: &str| config_text.map_or(1, |t| key_line(t, key));
        let mut problems = Vec::new();
        let pkgs = versionable_packages(ws);
        let names: Vec<&str> = pkgs.iter().map(|p| p.name.as_str()).collect();

        let mut compile = |key: &str, pats: &[String]| -> Vec<NameGlob> {
            pats.iter()
                .filter_map(|p| match NameGlob::new(p) {
                    Ok(g) => Some(g),
                    Err(e) => {
                        problems.push(Problem {
                            line: line(key),
                            message: format!("{key}: invalid glob \"{p}\": {e}"),
                        });
                        None
                    }
                })
                .collect()
        };
        let fixed_globs: Vec<Vec<NameGlob>> =
            config.fixed.iter().map(|g| compile("fixed", g)).collect();
        let linked_globs: Vec<Vec<NameGlob>> =
            config.linked.iter().map(|g| compile("linked", g)).collect();
        let ignore_globs = compile("ignore", &config.ignore);
        if !problems.is_empty() {
            return Err(ConfigError::Invalid { path, problems });
        }

        let mut out = ResolvedConfig {
            fixed: fixed_globs
                .iter()
                .map(|g| Self::glob_match(&names, g))
                .collect(),
            linked: linked_globs
                .iter()
                .map(|g| Self::glob_match(&names, g))
                .collect(),
            ignore: Self::glob_match(&names, &ignore_globs),
            warnings: Vec::new(),
        };

        for (key, written, globs) in [
            ("fixed", &config.fixed, &fixed_globs),
            ("linked", &config.linked, &linked_globs),
        ] {
            for (group, group_globs) in written.iter().zip(globs) {
                for (pattern, g) in group.iter().zip(group_globs) {
                    if !names.iter().any(|n| g.is_match(n)) {
                        out.warnings.push(format!(
                            "{}:{}: {key}: Invalid path: The package or glob \"{pattern}\" does \
                             not match any package in the project. {PICOMATCH_NOTE}",
                            path.display(),
                            line(key)
                        ));
                    }
                }
            }
        }

        for (key, groups) in [("fixed", &out.fixed), ("linked", &out.linked)] {
            let mut found = HashSet::new();
            let mut reported = HashSet::new();
            for name in groups.iter().flatten() {
                if !found.insert(name) && reported.insert(name) {
                    problems.push(Problem {
                        line: line(key),
                        message: format!(
                            "{key}: Invalid group: The package or glob \"{name}\" is defined in \
                             multiple groups of {key} packages. Packages can only be belong to a \
                             single group. {PICOMATCH_NOTE}"
                        ),
                    });
                }
            }
        }
        let linked_all: HashSet<&String> = out.linked.iter().flatten().collect();
        let mut seen = HashSet::new();
        for name in out.fixed.iter().flatten() {
            if linked_all.contains(name) && seen.insert(name) {
                problems.push(Problem {
                    line: line("linked"),
                    message: format!(
                        "Invalid group: The package \"{name}\" can be found in both fixed and \
                         linked groups. A package can only be either fixed or linked."
                    ),
                });
            }
        }

        if !(out.ignore.is_empty() && config.private_packages.version) {
            let skipped = |p: &Package| {
                out.ignore.contains(&p.name)
                    || (p.private && !config.private_packages.version)
                    || p.version.as_deref().is_none_or(str::is_empty)
            };
            let dependents = dependents_without_dev(ws, config);
            for pkg in &pkgs {
                if !skipped(pkg) {
                    continue;
                }
                for dependent in dependents.get(pkg.name.as_str()).into_iter().flatten() {
                    let Some(dep_pkg) = pkgs.iter().find(|p| p.name == *dependent) else {
                        continue;
                    };
                    if skipped(dep_pkg) || dep_pkg.private {
                        continue;
                    }
                    problems.push(Problem {
                        line: line("ignore"),
                        message: format!(
                            "Invalid tree: \"{dependent}\" depends on the skipped package \"{}\", \
                             but \"{dependent}\" is not skipped. Please add \"{dependent}\" to \
                             the \"ignore\" option.",
                            pkg.name
                        ),
                    });
                }
            }
        }

        if problems.is_empty() {
            Ok(out)
        } else {
            Err(ConfigError::Invalid { path, problems })
        }
    }
}

/// changesets' dependents graph with `ignoreDevDependencies: true` (only what the ignore rule
/// needs): dependency name → names of workspace packages that depend on it with a range its
/// current version satisfies.
fn dependents_without_dev<'a>(
    ws: &'a Workspace,
    config: &Config,
) -> HashMap<&'a str, Vec<&'a str>> {
    let all: Vec<&Package> = ws.all().filter(|p| !p.unnamed).collect();
    let by_name: HashMap<&str, &Package> = all.iter().map(|p| (p.name.as_str(), *p)).collect();
    let mut out: HashMap<&str, Vec<&str>> = HashMap::new();
    for pkg in versionable_packages(ws) {
        // A later table overrides an earlier one for the same name (a JS Map keyed by name).
        let mut ranges: indexmap::IndexMap<&str, &str> = indexmap::IndexMap::new();
        for dep in &pkg.dependencies {
            if dep.kind != DepKind::Dev {
                ranges.insert(dep.name.as_str(), dep.range.as_str());
            }
        }
        for (name, range) in ranges {
            let Some(target) = by_name.get(name) else {
                continue;
            };
            if edge_counts(pkg, target, range, config) {
                out.entry(target.name.as_str())
                    .or_default()
                    .push(pkg.name.as_str());
            }
        }
    }
    out
}

fn edge_counts(dependent: &Package, target: &Package, range: &str, config: &Config) -> bool {
    let version = target.version.as_deref().unwrap_or("");
    let range = if let Some(rest) = range.strip_prefix("workspace:") {
        if matches!(rest, "*" | "^" | "~") {
            return true;
        }
        let norm = rest.strip_prefix("./").unwrap_or(rest);
        if norm == target.dir {
            return true;
        }
        rest
    } else if config.bump_versions_with_workspace_protocol_only {
        return false;
    } else {
        range
    };
    if range.contains(':') {
        return false;
    }
    match dependent.ecosystem {
        Ecosystem::Npm => {
            match (
                nodejs_semver::Range::parse(range),
                nodejs_semver::Version::parse(version),
            ) {
                (Ok(r), Ok(v)) => r.satisfies(&v),
                _ => false,
            }
        }
        Ecosystem::Cargo => match (
            semver::VersionReq::parse(range),
            semver::Version::parse(version),
        ) {
            (Ok(r), Ok(v)) => r.matches(&v),
            _ => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ConfigFile, ConfigError> {
        parse_config(text, Path::new(CONFIG_PATH))
    }

    #[test]
    fn defaults_and_unknown_keys() {
        let c = parse("{\"prettier\": true, \"$schema\": \"x\"}").unwrap();
        assert_eq!(c.config, Config::default());
        assert_eq!(c.format, FormatSetting::Auto);
    }

    #[test]
    fn every_option() {
        let c = parse(
            r#"{
  "changelog": ["@changesets/changelog-github", {"repo": "o/r"}],
  "commit": true,
  "fixed": [["a", "b"]],
  "linked": [["c"]],
  "access": "public",
  "baseBranch": "trunk",
  "changedFilePatterns": ["src/**"],
  "updateInternalDependencies": "minor",
  "ignore": ["d"],
  "privatePackages": {"version": true},
  "bumpVersionsWithWorkspaceProtocolOnly": true,
  "format": false,
  "snapshot": {"useCalculatedVersion": true, "prereleaseTemplate": "{tag}"},
  "___experimentalUnsafeOptions_WILL_CHANGE_IN_PATCH": {
    "onlyUpdatePeerDependentsWhenOutOfRange": true,
    "updateInternalDependents": "always"
  }
}"#,
        )
        .unwrap();
        let k = c.config;
        assert_eq!(
            k.changelog,
            ModuleSetting::Module {
                name: "@changesets/changelog-github".into(),
                options: Some(serde_json::json!({"repo": "o/r"}))
            }
        );
        assert_eq!(
            k.commit,
            ModuleSetting::Module {
                name: "@changesets/cli/commit".into(),
                options: Some(serde_json::json!({"skipCI": "version"}))
            }
        );
        assert_eq!(k.access, Access::Public);
        assert_eq!(k.base_branch, "trunk");
        assert_eq!(k.update_internal_dependencies, BumpType::Minor);
        assert_eq!(
            k.private_packages,
            PrivatePackages {
                version: true,
                tag: false
            }
        );
        assert!(k.bump_versions_with_workspace_protocol_only);
        assert!(k.snapshot.use_calculated_version);
        assert_eq!(k.snapshot.prerelease_template.as_deref(), Some("{tag}"));
        assert!(k.only_update_peer_dependents_when_out_of_range);
        assert_eq!(
            k.update_internal_dependents,
            UpdateInternalDependents::Always
        );
        assert_eq!(c.format, FormatSetting::Disabled);
        let c =
            parse(r#"{"changelog": false, "commit": "./c.js", "privatePackages": false}"#).unwrap();
        assert_eq!(c.config.changelog, ModuleSetting::Disabled);
        assert_eq!(
            c.config.commit,
            ModuleSetting::Module {
                name: "./c.js".into(),
                options: None
            }
        );
    }

    #[test]
    fn errors_point_at_lines() {
        let e = parse("{\n  \"access\": \"private\"\n}")
            .unwrap_err()
            .to_string();
        assert!(e.contains(".changeset/config.json:2: access:"), "{e}");
        let e = parse("{\n \"a\": 1,\n}").unwrap_err();
        assert!(matches!(e, ConfigError::Json { line: 3, .. }), "{e}");
        let e = parse("{\n\"fixed\": [\"a\"]\n}").unwrap_err().to_string();
        assert!(e.contains(":2: fixed.0:"), "{e}");
        let e = parse("{\"privatePackages\": {\"tag\": true}}")
            .unwrap_err()
            .to_string();
        assert!(e.contains("Invalid combination"), "{e}");
        let e = parse("{\"snapshot\": {\"prereleaseTemplate\": \"\"}}")
            .unwrap_err()
            .to_string();
        assert!(e.contains("Invalid length"), "{e}");
        let e = parse("{\"updateInternalDependencies\": \"major\"}")
            .unwrap_err()
            .to_string();
        assert!(e.contains("\"minor\" | \"patch\""), "{e}");
        let e = parse("[]").unwrap_err().to_string();
        assert!(e.contains("Expected an object"), "{e}");
        let e = parse("{\"baseBranch\": null, \"commit\": 3}").unwrap_err();
        let ConfigError::Invalid { problems, .. } = e else {
            panic!()
        };
        assert_eq!(problems.len(), 2);
    }

    fn pkg(name: &str, private: bool, deps: &[(&str, DepKind, &str)]) -> Package {
        Package {
            name: name.into(),
            version: Some("1.0.0".into()),
            dir: format!("packages/{name}"),
            manifest_path: PathBuf::from(format!("/r/packages/{name}/package.json")),
            private,
            ecosystem: Ecosystem::Npm,
            is_root: false,
            unnamed: false,
            dependencies: deps
                .iter()
                .map(|(n, k, r)| crate::workspace::Dependency::npm(n, n, *k, r))
                .collect(),
        }
    }

    fn ws(packages: Vec<Package>) -> Workspace {
        Workspace {
            root: PathBuf::from("/r"),
            tool: crate::workspace::Tool::Pnpm,
            root_package: None,
            packages,
            catalogs: Default::default(),
        }
    }

    #[test]
    #[allow(clippy::field_reassign_with_default)]
    fn resolve_groups_and_rules() {
        let w = ws(vec![
            pkg("@s/a", false, &[]),
            pkg("@s/b", false, &[("@s/a", DepKind::Prod, "^1.0.0")]),
            pkg("c", false, &[("@s/a", DepKind::Dev, "workspace:*")]),
            pkg("d", true, &[("@s/a", DepKind::Prod, "workspace:^")]),
            pkg("e", false, &[("@s/a", DepKind::Prod, "^2.0.0")]),
        ]);
        let mut cfg = Config::default();
        cfg.fixed = vec![vec!["@s/*".into(), "!@s/b".into()], vec!["nope-*".into()]];
        cfg.linked = vec![vec!["c".into()]];
        let r = ResolvedConfig::resolve(&cfg, &w, None).unwrap();
        assert_eq!(r.fixed, vec![vec!["@s/a".to_string()], vec![]]);
        assert_eq!(r.linked, vec![vec!["c".to_string()]]);
        assert_eq!(r.warnings.len(), 1);
        assert!(
            r.warnings[0].contains("\"nope-*\" does not match"),
            "{:?}",
            r.warnings
        );

        cfg.fixed = vec![vec!["@s/a".into()], vec!["@s/*".into()]];
        cfg.linked = vec![vec!["@s/b".into()]];
        let e = ResolvedConfig::resolve(&cfg, &w, None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("multiple groups of fixed"), "{e}");
        assert!(e.contains("both fixed and linked"), "{e}");

        // Ignoring @s/a: @s/b (prod, in range) must be ignored too; c (dev), d (private) and
        // e (out of range) need not.
        let mut cfg = Config::default();
        cfg.ignore = vec!["@s/a".into()];
        let e = ResolvedConfig::resolve(&cfg, &w, Some("{\n  \"ignore\": [\"@s/a\"]\n}"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(":2: Invalid tree: \"@s/b\" depends on the skipped package \"@s/a\""),
            "{e}"
        );
        assert!(
            !e.contains("\"c\"") && !e.contains("\"d\"") && !e.contains("\"e\""),
            "{e}"
        );
        cfg.ignore = vec!["@s/*".into()];
        let r = ResolvedConfig::resolve(&cfg, &w, None).unwrap();
        assert_eq!(r.ignore, ["@s/a", "@s/b"]);
    }
}
