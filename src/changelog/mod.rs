//! Rendering CHANGELOG lines from minijinja templates (`templates/`).
//!
//! A template defines two macros, the two functions of a changesets changelog generator:
//! `release_line(changeset, type)` and `dependency_line(changesets, dependencies, commit_links)`.
//! relay ships `templates/changelog-git.md.j2` (changesets' default generator) and
//! `templates/changelog-github.md.j2` (`@changesets/changelog-github`); `relay.toml`
//! `[changelog] template = "path"` selects a user template. How the lines are laid out into a
//! `## version` entry is [`crate::version`]'s business.

pub mod github;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Mutex;

use minijinja::value::Serde;
use minijinja::{Environment, Value as JValue};
use serde::Serialize;
use serde_json::Value;

use crate::changeset::{BumpType, ChangeFile};
use crate::settings::ModuleSetting;
use github::{GithubData, Lookup};

pub const GIT_TEMPLATE: &str = include_str!("../../templates/changelog-git.md.j2");
pub const GITHUB_TEMPLATE: &str = include_str!("../../templates/changelog-github.md.j2");

/// The module names changesets users write for the generators relay has built in.
const GIT_MODULES: [&str; 2] = ["@changesets/cli/changelog", "@changesets/changelog-git"];
const GITHUB_MODULE: &str = "@changesets/changelog-github";

/// A change file with the commit that added it (`NewChangesetWithCommit`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogChangeset<'a> {
    pub changeset: &'a ChangeFile,
    /// Full sha of the commit that added `.changeset/<id>.md`, if committed.
    pub commit: Option<String>,
}

/// One updated dependency in a dependency line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DepUpdate {
    pub name: String,
    pub new_version: String,
    #[serde(rename = "type")]
    pub bump: BumpType,
}

/// Settings of the `github` generator (`["@changesets/changelog-github", {...}]` options and
/// the `GITHUB_*` environment).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GithubSettings {
    /// `Err(())` when the options name an unusable repo (`"repo": ""`).
    pub repo: Option<String>,
    pub repo_option_invalid: bool,
    pub disable_thanks: bool,
    /// The experimental `template` option (`{summary} {ref} {pull} {commit} {authors}`).
    pub line_template: Option<String>,
    pub server_url: String,
}

/// Environment the generators read (the CLI fills it; the core never reads the env itself).
#[derive(Debug, Clone, Default)]
pub struct GeneratorEnv {
    pub github_repository: Option<String>,
    pub github_server_url: Option<String>,
}

/// Which generator renders the lines.
#[derive(Debug, Clone, PartialEq)]
pub enum Generator {
    Git,
    Github(GithubSettings),
    /// A user template (`relay.toml` `[changelog] template`), with the config's options.
    Template {
        path: PathBuf,
        source: String,
        options: Value,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum ChangelogError {
    #[error(
        "`.changeset/config.json` names the changelog generator `{0}`, a JavaScript module relay cannot run.\nUse a built-in instead: \"@changesets/cli/changelog\" (the default, = \"@changesets/changelog-git\"), \"@changesets/changelog-github\" (or [\"@changesets/changelog-github\", {{ \"repo\": \"owner/name\" }}]), or false for no changelog; or point relay.toml at your own template: [changelog] template = \"path/to/changelog.md.j2\""
    )]
    Unsupported(String),
    #[error("changelog template {path}: {message}")]
    Template { path: String, message: String },
    #[error(
        "Please provide a repo to this changelog generator like this:\n\"changelog\": [\"@changesets/changelog-github\", {{ \"repo\": \"org/repo\" }}]\nor set the GITHUB_REPOSITORY environment variable."
    )]
    NoRepo,
    #[error(
        "Please pass a valid GitHub repository in the form of \"userOrOrg/repoName\". Received: {0:?}."
    )]
    BadRepo(String),
    #[error(
        "Unknown changelog template token \"{{{0}}}\". Valid tokens are: {{summary}}, {{ref}}, {{pull}}, {{commit}}, {{authors}}."
    )]
    UnknownToken(String),
}

/// Picks the generator for `changelog` (config) and an optional user template
/// (`relay.toml`, path and contents). `Ok(None)` = `"changelog": false`.
pub fn resolve(
    setting: &ModuleSetting,
    user_template: Option<(PathBuf, String)>,
    env: &GeneratorEnv,
) -> Result<Option<Generator>, ChangelogError> {
    let (name, options) = match setting {
        ModuleSetting::Disabled => return Ok(None),
        ModuleSetting::Module { name, options } => (name, options.clone().unwrap_or(Value::Null)),
    };
    if let Some((path, source)) = user_template {
        return Ok(Some(Generator::Template {
            path,
            source,
            options,
        }));
    }
    if GIT_MODULES.contains(&name.as_str()) {
        return Ok(Some(Generator::Git));
    }
    if name == GITHUB_MODULE {
        let mut s = GithubSettings {
            server_url: env
                .github_server_url
                .clone()
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "https://github.com".into()),
            ..GithubSettings::default()
        };
        match options.get("repo") {
            Some(Value::String(r)) if !r.is_empty() => s.repo = Some(r.clone()),
            Some(_) => s.repo_option_invalid = true,
            None => s.repo = env.github_repository.clone().filter(|r| !r.is_empty()),
        }
        s.disable_thanks = options
            .get("disableThanks")
            .is_some_and(crate::workspace::js_truthy);
        s.line_template = options
            .get("template")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        return Ok(Some(Generator::Github(s)));
    }
    Err(ChangelogError::Unsupported(name.clone()))
}

/// What the version module needs from a generator.
/// `Sync`: entries of different packages are rendered on several threads.
pub trait LineRenderer: Sync {
    fn release_line(&self, cs: &LogChangeset, bump: BumpType) -> Result<String, ChangelogError>;
    fn dependency_line(
        &self,
        changesets: &[&LogChangeset],
        deps: &[DepUpdate],
    ) -> Result<String, ChangelogError>;
}

/// Renders lines with one generator's template.
pub struct Renderer {
    generator: Generator,
    env: Environment<'static>,
    template_name: String,
    github_data: GithubData,
    misses: Mutex<BTreeSet<Lookup>>,
}

#[derive(Serialize)]
struct CsView<'a> {
    id: &'a str,
    summary: &'a str,
    releases: &'a [crate::changeset::Release],
    commit: Option<&'a str>,
    first_line: String,
    more_lines: Vec<String>,
    // github only
    pull: Option<String>,
    commit_link: Option<String>,
    users: Option<String>,
}

/// `summary.split("\n").map(l => l.trimEnd())`.
fn split_lines(s: &str) -> (String, Vec<String>) {
    let mut it = s.split('\n').map(|l| l.trim_end().to_string());
    let first = it.next().unwrap_or_default();
    (first, it.collect())
}

impl Renderer {
    pub fn new(generator: Generator) -> Result<Self, ChangelogError> {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
        let mut syntax = minijinja::syntax::SyntaxConfig::builder();
        syntax.keep_trailing_newline(true);
        if let Ok(cfg) = syntax.build() {
            env.set_syntax(cfg);
        }
        let (name, source) = match &generator {
            Generator::Git => ("changelog-git.md.j2".to_string(), GIT_TEMPLATE.to_string()),
            Generator::Github(_) => (
                "changelog-github.md.j2".to_string(),
                GITHUB_TEMPLATE.to_string(),
            ),
            Generator::Template {
                path,
                source,
                options,
            } => {
                env.add_global("options", JValue::from(Serde(options)));
                (path.display().to_string(), source.clone())
            }
        };
        env.add_template_owned(name.clone(), source)
            .map_err(|e| template_err(&name, &e))?;
        Ok(Renderer {
            generator,
            env,
            template_name: name,
            github_data: GithubData::default(),
            misses: Mutex::new(BTreeSet::new()),
        })
    }

    pub fn generator(&self) -> &Generator {
        &self.generator
    }

    /// GitHub lookups the last rendering needed but did not have.
    pub fn take_misses(&self) -> Vec<Lookup> {
        std::mem::take(&mut *self.misses.lock().unwrap_or_else(|p| p.into_inner()))
            .into_iter()
            .collect()
    }

    pub fn github_data_mut(&mut self) -> &mut GithubData {
        &mut self.github_data
    }

    fn call(&self, macro_name: &str, args: &[JValue]) -> Result<String, ChangelogError> {
        let tmpl = self
            .env
            .get_template(&self.template_name)
            .map_err(|e| template_err(&self.template_name, &e))?;
        let mut captured = tmpl
            .render_captured(minijinja::context! {})
            .map_err(|e| template_err(&self.template_name, &e))?;
        captured
            .with_state_mut(|st| st.call_macro(macro_name, args))
            .map_err(|e| template_err(&self.template_name, &e))
    }

    fn github_settings(&self) -> Result<Option<(&GithubSettings, &str)>, ChangelogError> {
        match &self.generator {
            Generator::Github(s) => {
                if s.repo_option_invalid {
                    return Err(ChangelogError::NoRepo);
                }
                let repo = s.repo.as_deref().ok_or(ChangelogError::NoRepo)?;
                Ok(Some((s, repo)))
            }
            _ => Ok(None),
        }
    }

    fn commit_info(
        &self,
        repo: &str,
        sha: &str,
    ) -> Result<Option<github::CommitInfo>, ChangelogError> {
        if !github::valid_repo(repo) {
            return Err(ChangelogError::BadRepo(repo.to_string()));
        }
        match self
            .github_data
            .commits
            .get(&(repo.to_string(), sha.to_string()))
        {
            Some(info) => Ok(info.clone()),
            None => {
                self.misses
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(Lookup::Commit {
                        repo: repo.to_string(),
                        sha: sha.to_string(),
                    });
                Ok(None)
            }
        }
    }

    fn pull_info(
        &self,
        repo: &str,
        number: u64,
    ) -> Result<Option<github::PullInfo>, ChangelogError> {
        if !github::valid_repo(repo) {
            return Err(ChangelogError::BadRepo(repo.to_string()));
        }
        match self.github_data.pulls.get(&(repo.to_string(), number)) {
            Some(info) => Ok(info.clone()),
            None => {
                self.misses
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(Lookup::Pull {
                        repo: repo.to_string(),
                        number,
                    });
                Ok(None)
            }
        }
    }
}

fn template_err(name: &str, e: &minijinja::Error) -> ChangelogError {
    let mut message = e.to_string();
    if let Some(line) = e.line() {
        message = format!("line {line}: {message}");
    }
    ChangelogError::Template {
        path: name.to_string(),
        message,
    }
}

impl LineRenderer for Renderer {
    fn release_line(&self, cs: &LogChangeset, bump: BumpType) -> Result<String, ChangelogError> {
        let c = cs.changeset;
        let mut view = CsView {
            id: &c.id,
            summary: &c.summary,
            releases: &c.releases,
            commit: cs.commit.as_deref(),
            first_line: String::new(),
            more_lines: Vec::new(),
            pull: None,
            commit_link: None,
            users: None,
        };
        if let Some((s, repo)) = self.github_settings()? {
            let meta = github::parse_summary(&c.summary);
            let (mut pull, mut commit_link, mut user) = (None, None, None);
            if let Some(pr) = meta.pr {
                if let Some(info) = self.pull_info(repo, pr)? {
                    commit_link = info.commit_link;
                    pull = Some(info.pull_link);
                    user = info.author_link;
                }
                if let Some(sha) = &meta.commit {
                    let short: String = sha.chars().take(7).collect();
                    commit_link =
                        Some(format!("[`{short}`]({}/{repo}/commit/{sha})", s.server_url));
                }
            } else if let Some(sha) = meta.commit.as_deref().or(cs.commit.as_deref())
                && let Some(info) = self.commit_info(repo, sha)?
            {
                commit_link = Some(info.commit_link);
                pull = info.pull_link;
                user = info.author_link;
            }
            let users = if s.disable_thanks {
                None
            } else if !meta.users.is_empty() {
                Some(
                    meta.users
                        .iter()
                        .map(|u| format!("[@{u}]({}/{u})", s.server_url))
                        .collect::<Vec<_>>()
                        .join(", "),
                )
            } else {
                user
            };
            let (first, more) = split_lines(&meta.rest);
            let first = github::linkify(&first, &s.server_url, repo);
            let more: Vec<String> = more
                .iter()
                .map(|l| github::linkify(l, &s.server_url, repo))
                .collect();
            if let Some(t) = &s.line_template {
                let r#ref = pull
                    .as_ref()
                    .or(commit_link.as_ref())
                    .map(|l| format!("({l})"))
                    .unwrap_or_default();
                let tokens = [
                    ("summary", first.clone()),
                    ("ref", r#ref),
                    ("pull", pull.clone().unwrap_or_default()),
                    ("commit", commit_link.clone().unwrap_or_default()),
                    ("authors", users.clone().unwrap_or_default()),
                ];
                let rendered = render_token_template(t, &tokens)?;
                let continuation: Vec<String> = more.iter().map(|l| format!("  {l}")).collect();
                return Ok(format!(
                    "{}\n{}",
                    rendered.trim_end(),
                    continuation.join("\n")
                ));
            }
            view.first_line = first;
            view.more_lines = more;
            view.pull = pull;
            view.commit_link = commit_link;
            view.users = users;
        } else {
            let (first, more) = split_lines(&c.summary);
            view.first_line = first;
            view.more_lines = more;
        }
        self.call(
            "release_line",
            &[JValue::from(Serde(&view)), JValue::from(bump.as_str())],
        )
    }

    fn dependency_line(
        &self,
        changesets: &[&LogChangeset],
        deps: &[DepUpdate],
    ) -> Result<String, ChangelogError> {
        let mut commit_links: Vec<String> = Vec::new();
        if let Some((_, repo)) = self.github_settings()? {
            if deps.is_empty() {
                return Ok(String::new());
            }
            for cs in changesets {
                if let Some(sha) = &cs.commit {
                    let short: String = sha.chars().take(7).collect();
                    let link = self
                        .commit_info(repo, sha)?
                        .map(|i| i.commit_link)
                        .unwrap_or_else(|| format!("`{short}`"));
                    commit_links.push(link);
                }
            }
        }
        let views: Vec<CsView> = changesets
            .iter()
            .map(|cs| {
                let (first, more) = split_lines(&cs.changeset.summary);
                CsView {
                    id: &cs.changeset.id,
                    summary: &cs.changeset.summary,
                    releases: &cs.changeset.releases,
                    commit: cs.commit.as_deref(),
                    first_line: first,
                    more_lines: more,
                    pull: None,
                    commit_link: None,
                    users: None,
                }
            })
            .collect();
        self.call(
            "dependency_line",
            &[
                JValue::from(Serde(&views)),
                JValue::from(Serde(deps)),
                JValue::from(Serde(&commit_links)),
            ],
        )
    }
}

/// changelog-github's experimental `template` option: `{token}` replaced, unknown tokens are
/// an error.
fn render_token_template(t: &str, tokens: &[(&str, String)]) -> Result<String, ChangelogError> {
    let mut out = String::new();
    let mut rest = t;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let word_len = after
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
            .count();
        if word_len > 0 && after[word_len..].starts_with('}') {
            let name = &after[..word_len];
            let value = tokens
                .iter()
                .find(|(k, _)| *k == name)
                .ok_or_else(|| ChangelogError::UnknownToken(name.to_string()))?;
            out.push_str(&value.1);
            rest = &after[word_len + 1..];
        } else {
            out.push('{');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::changeset::Release;

    fn cs(id: &str, summary: &str) -> ChangeFile {
        ChangeFile {
            releases: vec![Release {
                name: "a".into(),
                bump: BumpType::Patch,
            }],
            summary: summary.into(),
            id: id.into(),
        }
    }

    #[test]
    fn git_lines() {
        let r = Renderer::new(Generator::Git).unwrap();
        let c = cs("x", "First line  \n\nMore:\n- item");
        let plain = LogChangeset {
            changeset: &c,
            commit: None,
        };
        assert_eq!(
            r.release_line(&plain, BumpType::Patch).unwrap(),
            "- First line\n  \n  More:\n  - item"
        );
        let committed = LogChangeset {
            changeset: &c,
            commit: Some("654c45e0123456789".into()),
        };
        assert!(
            r.release_line(&committed, BumpType::Patch)
                .unwrap()
                .starts_with("- 654c45e: First line\n")
        );
        let deps = vec![DepUpdate {
            name: "b".into(),
            new_version: "2.0.0".into(),
            bump: BumpType::Major,
        }];
        assert_eq!(r.dependency_line(&[], &[]).unwrap(), "");
        assert_eq!(r.dependency_line(&[], &deps).unwrap(), "  - b@2.0.0");
        assert_eq!(
            r.dependency_line(&[&plain, &committed], &deps).unwrap(),
            "- Updated dependencies\n- Updated dependencies [654c45e]\n  - b@2.0.0"
        );
    }

    #[test]
    fn github_lines_offline() {
        let g = resolve(
            &ModuleSetting::Module {
                name: GITHUB_MODULE.into(),
                options: Some(serde_json::json!({"repo": "o/r"})),
            },
            None,
            &GeneratorEnv::default(),
        )
        .unwrap()
        .unwrap();
        let r = Renderer::new(g).unwrap();
        let c = cs("x", "Fix #12\nauthor: @alice\nsecond");
        let l = LogChangeset {
            changeset: &c,
            commit: None,
        };
        assert_eq!(
            r.release_line(&l, BumpType::Patch).unwrap(),
            "\n\n- Thanks [@alice](https://github.com/alice)! - Fix [#12](https://github.com/o/r/issues/12)\n  \n  second"
        );
        let c2 = cs("y", "Plain");
        let l2 = LogChangeset {
            changeset: &c2,
            commit: None,
        };
        assert_eq!(
            r.release_line(&l2, BumpType::Patch).unwrap(),
            "\n\n- Plain\n"
        );
        let deps = vec![DepUpdate {
            name: "b".into(),
            new_version: "2.0.0".into(),
            bump: BumpType::Major,
        }];
        assert_eq!(
            r.dependency_line(&[&l2], &deps).unwrap(),
            "- Updated dependencies []:\n  - b@2.0.0"
        );
        assert!(r.take_misses().is_empty());
        let c3 = cs("z", "pr: 5\nWith PR");
        let l3 = LogChangeset {
            changeset: &c3,
            commit: None,
        };
        r.release_line(&l3, BumpType::Patch).unwrap();
        assert_eq!(
            r.take_misses(),
            vec![Lookup::Pull {
                repo: "o/r".into(),
                number: 5
            }]
        );
    }

    #[test]
    fn unsupported_generator_names_builtins() {
        let e = resolve(
            &ModuleSetting::Module {
                name: "./my-changelog.js".into(),
                options: None,
            },
            None,
            &GeneratorEnv::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("./my-changelog.js") && e.contains("@changesets/changelog-github"));
    }
}
