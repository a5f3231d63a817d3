//! `.changeset/pre.json` as `@changesets/pre` 3.x reads, migrates and writes it.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::read::CHANGESET_DIR;
use super::{ChangesetError, PreMode, PreState};

/// `pre.json`'s path relative to the repository root.
pub const PRE_JSON: &str = ".changeset/pre.json";

/// `JSON.stringify(state, null, 2) + "\n"` of the v3 shape `{mode, tag}`.
pub fn render_pre_state(state: &PreState) -> String {
    let v = serde_json::json!({
        "mode": match state.mode { PreMode::Pre => "pre", PreMode::Exit => "exit" },
        "tag": state.tag,
    });
    to_js_json(&v)
}

fn to_js_json(v: &Value) -> String {
    // serde_json's pretty printer uses two spaces like JSON.stringify(_, null, 2).
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

/// Raw `pre.json` (key order kept), or None when it does not exist.
/// The parsed object and the text it came from (for line numbers).
type RawPre = (Map<String, Value>, String);

fn read_raw(root: &Path) -> Result<Option<RawPre>, ChangesetError> {
    let path = PathBuf::from(PRE_JSON);
    let text = match fs::read_to_string(root.join(&path)) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(ChangesetError::Io { path, source }),
    };
    let v: Value = serde_json::from_str(&text).map_err(|e| ChangesetError::PreJson {
        path: path.clone(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    match v {
        Value::Object(m) => Ok(Some((m, text))),
        _ => Err(ChangesetError::PreInvalid {
            path,
            line: 1,
            message: "expected an object like {\"mode\": \"pre\", \"tag\": \"beta\"}; fix it or \
                      delete the file to leave pre mode"
                .into(),
        }),
    }
}

/// The line of `"key":` in `text` (1 when absent).
fn key_line(text: &str, key: &str) -> usize {
    let needle = format!("\"{key}\"");
    text.find(&needle)
        .map_or(1, |i| 1 + text[..i].bytes().filter(|&b| b == b'\n').count())
}

fn typed(raw: &Map<String, Value>, text: &str) -> Result<PreState, ChangesetError> {
    let invalid = |key: &str, message: String| ChangesetError::PreInvalid {
        path: PathBuf::from(PRE_JSON),
        line: key_line(text, key),
        message,
    };
    let mode = match raw.get("mode") {
        Some(Value::String(m)) if m == "pre" => PreMode::Pre,
        Some(Value::String(m)) if m == "exit" => PreMode::Exit,
        other => {
            return Err(invalid(
                "mode",
                format!(
                    "\"mode\" must be \"pre\" or \"exit\", found {}",
                    other.map_or("nothing".to_string(), Value::to_string)
                ),
            ));
        }
    };
    let tag = match raw.get("tag") {
        Some(Value::String(t)) => t.clone(),
        other => {
            return Err(invalid(
                "tag",
                format!(
                    "\"tag\" must be a string such as \"beta\", found {}",
                    other.map_or("nothing".to_string(), Value::to_string)
                ),
            ));
        }
    };
    let initial_versions = match raw.get("initialVersions") {
        Some(v) => serde_json::from_value(v.clone()).map_err(|e| {
            invalid(
                "initialVersions",
                format!("\"initialVersions\" must map names to versions: {e}"),
            )
        })?,
        None => Default::default(),
    };
    let changesets = match raw.get("changesets") {
        Some(v) => serde_json::from_value(v.clone()).map_err(|e| {
            invalid(
                "changesets",
                format!("\"changesets\" must list change-file ids: {e}"),
            )
        })?,
        None => Vec::new(),
    };
    Ok(PreState {
        mode,
        tag,
        initial_versions,
        changesets,
    })
}

/// Reads `pre.json` without touching the disk (a v2 file keeps its `initialVersions` and
/// `changesets`). None when the repository is not in pre mode.
pub fn read_pre_state(root: &Path) -> Result<Option<PreState>, ChangesetError> {
    read_raw(root)?
        .as_ref()
        .map(|(raw, text)| typed(raw, text))
        .transpose()
}

/// changesets 3's `readPreState`: a v2 file is migrated on read — each change file listed in
/// `changesets` moves to `.changeset/pre/` (best effort), `initialVersions` and `changesets`
/// are dropped and the file is rewritten. A v3 file is returned untouched.
pub fn migrate_pre_state(root: &Path) -> Result<Option<PreState>, ChangesetError> {
    let Some((mut raw, text)) = read_raw(root)? else {
        return Ok(None);
    };
    let state = typed(&raw, &text)?;
    if !raw.contains_key("initialVersions") && !raw.contains_key("changesets") {
        return Ok(Some(state));
    }
    raw.remove("initialVersions");
    if raw.remove("changesets").is_some() {
        let pre_dir = root.join(CHANGESET_DIR).join("pre");
        fs::create_dir_all(&pre_dir).map_err(|source| ChangesetError::Io {
            path: Path::new(CHANGESET_DIR).join("pre"),
            source,
        })?;
        for id in &state.changesets {
            let from = root.join(CHANGESET_DIR).join(format!("{id}.md"));
            // Best effort, as in changesets: ids may name files that are long gone.
            let _ = fs::rename(&from, pre_dir.join(format!("{id}.md")));
        }
    }
    write_pre(root, &Value::Object(raw))?;
    Ok(Some(PreState {
        initial_versions: Default::default(),
        changesets: Vec::new(),
        ..state
    }))
}

fn write_pre(root: &Path, v: &Value) -> Result<(), ChangesetError> {
    let path = root.join(PRE_JSON);
    crate::fsx::write_atomic(&path, to_js_json(v).as_bytes()).map_err(|source| ChangesetError::Io {
        path: PathBuf::from(PRE_JSON),
        source,
    })
}

/// A pre-release tag must be usable as a semver pre-release identifier (changesets does not
/// check; a bad tag only fails later, at `version`).
pub fn validate_pre_tag(tag: &str) -> Result<(), ChangesetError> {
    let ok = !tag.is_empty()
        && tag.split('.').all(|part| {
            !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if ok {
        Ok(())
    } else {
        Err(ChangesetError::BadTag {
            tag: tag.to_string(),
        })
    }
}

/// `changeset pre enter <tag>`: refused while in mode `pre`; allowed from mode `exit`.
pub fn enter_pre(root: &Path, tag: &str) -> Result<PreState, ChangesetError> {
    validate_pre_tag(tag)?;
    if !root.join(CHANGESET_DIR).is_dir() {
        return Err(ChangesetError::NoChangesetDir {
            dir: PathBuf::from(CHANGESET_DIR),
        });
    }
    // Validate before migrating so a refused command leaves a v2 file untouched.
    if let Some(current) = read_pre_state(root)?
        && current.mode == PreMode::Pre
    {
        return Err(ChangesetError::AlreadyInPre {
            path: PathBuf::from(PRE_JSON),
            tag: current.tag,
        });
    }
    migrate_pre_state(root)?;
    let state = PreState {
        mode: PreMode::Pre,
        tag: tag.to_string(),
        initial_versions: Default::default(),
        changesets: Vec::new(),
    };
    write_pre(root, &serde_json::json!({"mode": "pre", "tag": tag}))?;
    Ok(state)
}

/// `changeset pre exit`: refused without `pre.json`; otherwise sets `mode` to `exit`, keeping
/// every other key and the key order.
pub fn exit_pre(root: &Path) -> Result<PreState, ChangesetError> {
    if !root.join(CHANGESET_DIR).is_dir() {
        return Err(ChangesetError::NoChangesetDir {
            dir: PathBuf::from(CHANGESET_DIR),
        });
    }
    if read_pre_state(root)?.is_none() {
        return Err(ChangesetError::NotInPre {
            path: PathBuf::from(PRE_JSON),
        });
    }
    migrate_pre_state(root)?;
    let (mut raw, text) = read_raw(root)?.unwrap_or_default();
    raw.insert("mode".into(), Value::String("exit".into()));
    write_pre(root, &Value::Object(raw.clone()))?;
    typed(&raw, &text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        fs::create_dir(d.path().join(".changeset")).unwrap();
        d
    }

    #[test]
    fn enter_exit_reenter() {
        let d = repo();
        let root = d.path();
        assert!(read_pre_state(root).unwrap().is_none());
        assert!(matches!(
            exit_pre(root),
            Err(ChangesetError::NotInPre { .. })
        ));
        enter_pre(root, "beta").unwrap();
        let text = fs::read_to_string(root.join(PRE_JSON)).unwrap();
        assert_eq!(text, "{\n  \"mode\": \"pre\",\n  \"tag\": \"beta\"\n}\n");
        assert!(matches!(
            enter_pre(root, "rc"),
            Err(ChangesetError::AlreadyInPre { .. })
        ));
        exit_pre(root).unwrap();
        let text = fs::read_to_string(root.join(PRE_JSON)).unwrap();
        assert_eq!(text, "{\n  \"mode\": \"exit\",\n  \"tag\": \"beta\"\n}\n");
        // Exit twice is allowed (pre.json still exists), as in changesets.
        exit_pre(root).unwrap();
        enter_pre(root, "rc").unwrap();
        assert_eq!(read_pre_state(root).unwrap().unwrap().tag, "rc");
    }

    #[test]
    fn migrates_v2() {
        let d = repo();
        let root = d.path();
        fs::write(
            root.join(PRE_JSON),
            r#"{"mode":"pre","tag":"next","initialVersions":{"a":"1.0.0"},"changesets":["x","gone"]}"#,
        )
        .unwrap();
        fs::write(root.join(".changeset/x.md"), "---\n---\n").unwrap();
        let v2 = read_pre_state(root).unwrap().unwrap();
        assert_eq!(v2.changesets, ["x", "gone"]);
        assert_eq!(v2.initial_versions["a"], "1.0.0");
        let v3 = migrate_pre_state(root).unwrap().unwrap();
        assert!(v3.changesets.is_empty());
        assert!(root.join(".changeset/pre/x.md").is_file());
        assert!(!root.join(".changeset/x.md").exists());
        assert_eq!(
            fs::read_to_string(root.join(PRE_JSON)).unwrap(),
            "{\n  \"mode\": \"pre\",\n  \"tag\": \"next\"\n}\n"
        );
    }

    #[test]
    fn bad_files_and_tags() {
        let d = repo();
        let root = d.path();
        fs::write(root.join(PRE_JSON), "{\n  \"mode\": \"pre\",\n").unwrap();
        let e = read_pre_state(root).unwrap_err();
        assert!(matches!(e, ChangesetError::PreJson { line: 3, .. }), "{e}");
        fs::write(root.join(PRE_JSON), r#"{"mode":"beta","tag":"x"}"#).unwrap();
        assert!(
            read_pre_state(root)
                .unwrap_err()
                .to_string()
                .contains("\"mode\"")
        );
        for bad in ["", "a b", "a..b", "é"] {
            assert!(validate_pre_tag(bad).is_err(), "{bad}");
        }
        validate_pre_tag("rc.1-x").unwrap();
    }
}
