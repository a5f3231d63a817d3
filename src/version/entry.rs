//! CHANGELOG entries (`apply-release-plan/src/get-changelog-entry.ts`) and writing them into
//! `CHANGELOG.md` (`updateChangelog` in `apply-release-plan/src/index.ts`).

use std::collections::HashMap;

use serde_json::Value;

use super::ranges::{self, ReleasedDep, RewriteRules};
use crate::changelog::{ChangelogError, DepUpdate, LineRenderer, LogChangeset};
use crate::changeset::BumpType;
use crate::plan::PlannedRelease;
use crate::workspace::{DepKind, Ecosystem, Package};

/// The plan's change files, indexed so one entry costs what its own package touches.
pub struct LogIndex<'a, 'c> {
    /// Every change file, in plan order.
    pub changesets: &'a [LogChangeset<'c>],
    /// Package name -> positions of the change files that name it, in plan order.
    pub own: &'a HashMap<&'a str, Vec<usize>>,
    /// Change-file id -> position.
    pub by_id: &'a HashMap<&'a str, usize>,
}

/// The `## <version>` entry of one release, `None` for a `none` release. `released` is every
/// release with its position by name.
pub fn changelog_entry(
    release: &PlannedRelease,
    pkg: &Package,
    manifest: Option<&Value>,
    released: (&[(&PlannedRelease, ReleasedDep)], &HashMap<&str, usize>),
    log: &LogIndex,
    renderer: &dyn LineRenderer,
    rules: &RewriteRules,
) -> Result<Option<String>, ChangelogError> {
    if release.bump == BumpType::None {
        return Ok(None);
    }
    let (released, released_at) = released;
    let mut major = Vec::new();
    let mut minor = Vec::new();
    let mut patch = Vec::new();
    let own = log
        .own
        .get(release.name.as_str())
        .map_or(&[][..], Vec::as_slice);
    for cs in own.iter().map(|&i| &log.changesets[i]) {
        let Some(rls) = cs
            .changeset
            .releases
            .iter()
            .find(|r| r.name == release.name)
        else {
            continue;
        };
        let line = match rls.bump {
            BumpType::None => continue,
            b => renderer.release_line(cs, b)?,
        };
        match rls.bump {
            BumpType::Major => major.push(line),
            BumpType::Minor => minor.push(line),
            _ => patch.push(line),
        }
    }

    // Releases this package lists in `dependencies` (else `peerDependencies`) whose range is
    // due for an update.
    // Only releases this package can name, in release order.
    let mut candidates: Vec<usize> = match (pkg.ecosystem, manifest) {
        (Ecosystem::Npm, Some(json)) => [DepKind::Prod, DepKind::Peer]
            .iter()
            .filter_map(|k| json.get(k.key()).and_then(Value::as_object))
            .flat_map(|t| t.keys())
            .filter_map(|n| released_at.get(n.as_str()).copied())
            .collect(),
        _ => pkg
            .dependencies
            .iter()
            .filter(|d| d.kind == DepKind::Prod)
            .filter_map(|d| released_at.get(d.target.as_str()).copied())
            .collect(),
    };
    candidates.sort_unstable();
    candidates.dedup();
    let mut deps: Vec<&(&PlannedRelease, ReleasedDep)> = Vec::new();
    for rel in candidates.into_iter().map(|i| &released[i]) {
        let name = &rel.0.name;
        let (spec, kind) = match (pkg.ecosystem, manifest) {
            (Ecosystem::Npm, Some(json)) => {
                let get = |k: DepKind| {
                    json.get(k.key())
                        .and_then(|t| t.get(name.as_str()))
                        .and_then(Value::as_str)
                        .filter(|s| !s.is_empty())
                };
                match get(DepKind::Prod) {
                    Some(s) => (Some(s.to_string()), DepKind::Prod),
                    None => (get(DepKind::Peer).map(str::to_string), DepKind::Peer),
                }
            }
            _ => (
                pkg.dependencies
                    .iter()
                    .find(|d| d.kind == DepKind::Prod && &d.target == name)
                    .map(|d| d.range.clone()),
                DepKind::Prod,
            ),
        };
        let Some(spec) = spec else { continue };
        let usable = spec.starts_with("workspace:") || ranges::valid_range(&spec).is_some();
        if usable && ranges::should_update(&rel.1, &spec, kind, rules) {
            deps.push(rel);
        }
    }
    // In plan order, each once.
    let mut relevant_at: Vec<usize> = deps
        .iter()
        .flat_map(|d| d.0.changesets.iter())
        .filter_map(|id| log.by_id.get(id.as_str()).copied())
        .collect();
    relevant_at.sort_unstable();
    relevant_at.dedup();
    let relevant: Vec<&LogChangeset> = relevant_at
        .into_iter()
        .map(|i| &log.changesets[i])
        .collect();
    let updates: Vec<DepUpdate> = deps
        .iter()
        .map(|d| DepUpdate {
            name: d.0.name.clone(),
            new_version: d.0.new_version.clone(),
            bump: d.0.bump,
        })
        .collect();
    patch.push(renderer.dependency_line(&relevant, &updates)?);

    let parts: Vec<String> = [
        Some(format!("## {}", release.new_version)),
        generate_markdown_for_type("Major", &major),
        generate_markdown_for_type("Minor", &minor),
        generate_markdown_for_type("Patch", &patch),
    ]
    .into_iter()
    .flatten()
    .filter(|s| !s.is_empty())
    .collect();
    let mut parts = parts;
    if parts.len() == 1 {
        parts.push("No changes in this release.".to_string());
    }
    Ok(Some(parts.join("\n\n")))
}

/// JS `String.prototype.trim` whitespace.
fn js_ws(c: char) -> bool {
    c.is_whitespace() || c == '\u{feff}'
}

/// `generateMarkdownForVersionType`: the `### <Type> Changes` section, `None` without lines.
pub fn generate_markdown_for_type(title: &str, lines: &[String]) -> Option<String> {
    let lines: Vec<&String> = lines.iter().filter(|l| !l.is_empty()).collect();
    if lines.is_empty() {
        return None;
    }
    let mut content = format!("### {title} Changes");
    // Newlines owed before the next line: two after the heading, then what each line asks for.
    let mut newlines = 2usize;
    for line in lines {
        newlines += line.bytes().take_while(|b| *b == b'\n').count();
        content.push_str(&"\n".repeat(newlines.clamp(1, 2)));
        content.push_str(line.trim_matches(js_ws));
        newlines = line.bytes().rev().take_while(|b| *b == b'\n').count();
    }
    Some(content)
}

/// The new `CHANGELOG.md` content for an entry (`existing` = `None` when the file is missing):
/// the entry goes above the first version heading, else after the first line.
pub fn update_changelog(existing: Option<&str>, entry: &str, name: &str) -> String {
    let template = format!("\n\n{}\n", entry.trim_matches(js_ws));
    let data = match existing {
        None | Some("") => return format!("# {name}{template}"),
        Some(d) => d,
    };
    if let Some(at) = first_version_heading(data) {
        return format!(
            "{}{}\n{}",
            &data[..at],
            template.trim_start_matches(js_ws),
            &data[at..]
        );
    }
    match data.find('\n') {
        None => format!("{data}{template}"),
        Some(i) => format!("{}{template}{}", &data[..i], &data[i + 1..]),
    }
}

/// `data.search(/^#{1,6}\s+\d+\.\d+/m)`: line starts are the start and after `\n`, `\r`,
/// U+2028, U+2029.
fn first_version_heading(data: &str) -> Option<usize> {
    let mut starts = vec![0];
    for (i, c) in data.char_indices() {
        if matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}') {
            starts.push(i + c.len_utf8());
        }
    }
    starts
        .into_iter()
        .find(|&i| i < data.len() && is_version_heading(&data[i..]))
}

/// `/^#{1,6}\s+\d+\.\d+/` at the start of `s`.
fn is_version_heading(s: &str) -> bool {
    let hashes = s.bytes().take_while(|b| *b == b'#').count();
    if !(1..=6).contains(&hashes) {
        return false;
    }
    let rest = &s[hashes..];
    let trimmed = rest.trim_start_matches(js_ws);
    if trimmed.len() == rest.len() {
        return false;
    }
    let d1 = trimmed.bytes().take_while(u8::is_ascii_digit).count();
    if d1 == 0 || trimmed.as_bytes().get(d1) != Some(&b'.') {
        return false;
    }
    trimmed[d1 + 1..]
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn section_layout() {
        let lines = vec![
            "- one".to_string(),
            "\n\n- two\n".to_string(),
            String::new(),
            "  - dep".to_string(),
        ];
        assert_eq!(
            generate_markdown_for_type("Patch", &lines).unwrap(),
            "### Patch Changes\n\n- one\n\n- two\n- dep"
        );
        assert_eq!(generate_markdown_for_type("Major", &[String::new()]), None);
    }

    #[test]
    fn changelog_file_rules() {
        assert_eq!(
            update_changelog(None, "## 1.0.1\n\nx", "pkg"),
            "# pkg\n\n## 1.0.1\n\nx\n"
        );
        assert_eq!(
            update_changelog(Some(""), "## 1.0.1", "pkg"),
            "# pkg\n\n## 1.0.1\n"
        );
        assert_eq!(
            update_changelog(Some("# pkg\n\n## 1.0.0\n\nold\n"), "## 1.0.1", "pkg"),
            "# pkg\n\n## 1.0.1\n\n## 1.0.0\n\nold\n"
        );
        assert_eq!(
            update_changelog(Some("## 1.0.0\n\nold\n"), "## 1.0.1", "pkg"),
            "## 1.0.1\n\n## 1.0.0\n\nold\n"
        );
        assert_eq!(
            update_changelog(Some("# C\n\nIntro.\n\n## 1.0.0\n"), "## 1.1.0", "pkg"),
            "# C\n\nIntro.\n\n## 1.1.0\n\n## 1.0.0\n"
        );
        assert_eq!(
            update_changelog(Some("# Title"), "## 1.0.1", "pkg"),
            "# Title\n\n## 1.0.1\n"
        );
    }
}
