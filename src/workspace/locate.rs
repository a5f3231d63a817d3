//! Finding where a value sits in a manifest's text, so errors can say `file:line:col`.
//!
//! serde_json's `Value` carries no positions; re-scanning the (already validated) text for a
//! key path is cheap and only happens on the error path.

/// 1-based line and column (in characters) of byte `offset` in `text`.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rfind('\n')
        .map_or(before, |i| &before[i + 1..])
        .chars()
        .count()
        + 1;
    (line, col)
}

/// Position of the key at `path` (e.g. `["dependencies", "foo"]`) in a valid JSON document:
/// the opening quote of the last key. `None` if not found.
pub(crate) fn json_key(text: &str, path: &[&str]) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    // One frame per open container: (is_object, reached along `path`).
    let mut stack: Vec<(bool, bool)> = Vec::new();
    let mut expect_key = false;
    // The last key read matched `path` at this depth: the container it opens is on the path.
    let mut pending = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let start = i;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                let raw = &text[start + 1..i.min(text.len())];
                match stack.last() {
                    Some(&(true, on_path)) if expect_key => {
                        expect_key = false;
                        let depth = stack.len();
                        pending = false;
                        if on_path && depth <= path.len() {
                            let key: String = serde_json::from_str(&format!("\"{raw}\"")).ok()?;
                            if key == path[depth - 1] {
                                if depth == path.len() {
                                    return Some(line_col(text, start));
                                }
                                pending = true;
                            }
                        }
                    }
                    _ => pending = false,
                }
            }
            b'{' => {
                let on_path = stack.is_empty() || pending;
                pending = false;
                stack.push((true, on_path));
                expect_key = true;
            }
            b'[' => {
                pending = false;
                stack.push((false, false));
            }
            b'}' | b']' => {
                stack.pop();
                pending = false;
            }
            b',' => {
                pending = false;
                expect_key = stack.last().is_some_and(|f| f.0);
            }
            b':' => {}
            c if c.is_ascii_whitespace() => {}
            _ => pending = false,
        }
        i += 1;
    }
    None
}

/// The best position for `path`: the deepest prefix of it that is found.
pub(crate) fn json_best(text: &str, path: &[&str]) -> (usize, usize) {
    (1..=path.len())
        .rev()
        .find_map(|n| json_key(text, &path[..n]))
        .unwrap_or((1, 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_keys() {
        let text = "{\n  \"name\": \"a\",\n  \"engines\": {\"version\": 1},\n  \"dependencies\": {\n    \"x\": 5\n  },\n  \"version\": 2\n}\n";
        assert_eq!(json_key(text, &["name"]), Some((2, 3)));
        assert_eq!(json_key(text, &["version"]), Some((7, 3)));
        assert_eq!(json_key(text, &["dependencies", "x"]), Some((5, 5)));
        assert_eq!(json_key(text, &["engines", "version"]), Some((3, 15)));
        assert_eq!(json_key(text, &["nope"]), None);
        assert_eq!(json_best(text, &["dependencies", "nope"]), (4, 3));
    }

    #[test]
    fn keys_inside_arrays_are_not_top_level() {
        let text = r#"{"workspaces": [{"version": 1}], "version": 3}"#;
        assert_eq!(json_key(text, &["version"]), Some((1, 34)));
    }

    #[test]
    fn line_col_counts_chars() {
        assert_eq!(line_col("ab\ncdé\nf", 8), (3, 1));
        assert_eq!(line_col("ab\ncdé", 5), (2, 3));
    }
}
