//! Editing `package.json` values in place (changesets v3 `edit-json.ts`): only the edited values
//! change; indentation, key order, other values and the trailing newline keep their bytes.

use jsonc_parser::ParseOptions;
use jsonc_parser::cst::{CstInputValue, CstRootNode};

/// One edit: the key path of an existing value and its new string value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonEdit {
    pub keys: Vec<String>,
    pub value: String,
}

/// Why an edit could not be made. The caller adds the file name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonEditError {
    #[error("invalid JSON: {0}")]
    Parse(String),
    #[error("key path \"{0}\" not found")]
    MissingKey(String),
}

/// Applies `edits` to `text`. Every key path must exist (as in changesets).
pub fn edit_json(text: &str, edits: &[JsonEdit]) -> Result<String, JsonEditError> {
    if edits.is_empty() {
        return Ok(text.to_string());
    }
    let options = ParseOptions {
        allow_comments: false,
        allow_trailing_commas: false,
        allow_loose_object_property_names: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        ..ParseOptions::default()
    };
    let root =
        CstRootNode::parse(text, &options).map_err(|e| JsonEditError::Parse(e.to_string()))?;
    for edit in edits {
        let missing = || JsonEditError::MissingKey(edit.keys.join("."));
        let mut obj = root.object_value().ok_or_else(missing)?;
        let (last, parents) = edit.keys.split_last().ok_or_else(missing)?;
        for key in parents {
            obj = obj.object_value(key).ok_or_else(missing)?;
        }
        let prop = obj.get(last).ok_or_else(missing)?;
        prop.value().ok_or_else(missing)?;
        prop.set_value(CstInputValue::String(edit.value.clone()));
    }
    Ok(root.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(keys: &[&str], v: &str) -> JsonEdit {
        JsonEdit {
            keys: keys.iter().map(|s| s.to_string()).collect(),
            value: v.into(),
        }
    }

    #[test]
    fn only_edited_values_change() {
        let text = "{\n    \"name\": \"a\",\n    \"version\":   \"1.0.0\" ,\n    \"dependencies\": {\"b\": \"^1.0.0\", \"c\" : \"2\"},\n  \"x\": [1,2]\n}";
        let out = edit_json(
            text,
            &[
                e(&["version"], "2.0.0"),
                e(&["dependencies", "b"], "^2.0.0"),
            ],
        )
        .unwrap();
        assert_eq!(
            out,
            "{\n    \"name\": \"a\",\n    \"version\":   \"2.0.0\" ,\n    \"dependencies\": {\"b\": \"^2.0.0\", \"c\" : \"2\"},\n  \"x\": [1,2]\n}"
        );
        let crlf = "{\r\n\t\"version\": \"1.0.0\"\r\n}\r\n";
        assert_eq!(
            edit_json(crlf, &[e(&["version"], "1.0.1")]).unwrap(),
            "{\r\n\t\"version\": \"1.0.1\"\r\n}\r\n"
        );
    }

    #[test]
    fn missing_key_is_an_error() {
        assert_eq!(
            edit_json("{}", &[e(&["version"], "1.0.0")]),
            Err(JsonEditError::MissingKey("version".into()))
        );
        assert!(matches!(
            edit_json("{,}", &[e(&["version"], "1")]),
            Err(JsonEditError::Parse(_))
        ));
    }
}
