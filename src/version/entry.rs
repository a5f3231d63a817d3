//! CHANGELOG entries (`apply-release-plan/src/get-changelog-entry.ts`) and writing them into
//! `CHANGELOG.md` (`updateChangelog` in `apply-release-plan/src/index.ts`).

use serde_json::Value;

use super::ranges::{self, ReleasedDep, RewriteRules};
use crate::changelog::{ChangelogError, DepUpdate, LineRenderer, LogChangeset};
use crate::changeset::BumpType;
use crate::plan::PlannedRelease;
use crate::workspace::{DepKind, Ecosystem, Package};

/// The `## <version>` entry of one release, `None` for a `none` release.
pub fn changelog_entry(
    release: &PlannedRelease,
    pkg: &Package,
    manifest: Option<&Value>,
    released: &[(&PlannedRelease, ReleasedDep)],
    changesets: &[LogChangeset],
    renderer: &dyn LineRenderer,
    rules: &RewriteRules,
) -> Result<Option<String>, ChangelogError> {
    if release.bump == BumpType::None {
        return Ok(None);
    }
    let mut major = Vec::new();
    let mut minor = Vec::new();
    let mut patch = Vec::new();
    for cs in changesets {
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
    let mut deps: Vec<&(&PlannedRelease, ReleasedDep)> = Vec::new();
    for rel in released {
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
    let mut relevant_ids: Vec<&str> = Vec::new();
    for d in &deps {
        for id in &d.0.changesets {
            relevant_ids.push(id);
        }
    }
    let relevant: Vec<&LogChangeset> = changesets
        .iter()
        .filter(|c| relevant_ids.contains(&c.changeset.id.as_str()))
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
