//! Parsing one change file exactly as `@changesets/parse` 3.x does.
//!
//! The frontmatter regex of v3 is `\s*---([^]*?)\r?\n\s*---(\s*(?:\n|$)[^]*)`, unanchored;
//! it is simulated here by hand (the semantics of JavaScript's `\s`, lazy and greedy
//! quantifiers and leftmost matching) so that relay accepts and rejects the same files.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::{BumpType, Release};

/// Why a change file could not be parsed; `line` is 1-based within the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

const EXAMPLE: &str = "---\n\"package-name\": patch\n---\n\nYour changeset summary here.";

/// JavaScript's `\s` (and `String.prototype.trim`'s) whitespace set.
pub(crate) fn js_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{0b}' | '\u{0c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

/// `String.prototype.trim`.
pub(crate) fn js_trim(s: &str) -> &str {
    s.trim_matches(js_space)
}

/// The two capture groups of the frontmatter regex, as byte ranges of `s`.
fn match_frontmatter(s: &str) -> Option<(std::ops::Range<usize>, usize)> {
    let b = s.as_bytes();
    let ws_run_end = |mut i: usize| {
        while let Some(c) = s[i..].chars().next() {
            if !js_space(c) {
                break;
            }
            i += c.len_utf8();
        }
        i
    };
    let mut q = 0;
    while let Some(found) = s[q..].find("---") {
        let open = q + found;
        let body_start = open + 3;
        // Lazy group 1: the first end position after which the rest matches.
        let mut e = body_start;
        while e < b.len() {
            let after_nl = if b[e] == b'\r' && b.get(e + 1) == Some(&b'\n') {
                Some(e + 2)
            } else if b[e] == b'\n' {
                Some(e + 1)
            } else {
                None
            };
            if let Some(after) = after_nl {
                let w = ws_run_end(after);
                if s[w..].starts_with("---") {
                    let close_end = w + 3;
                    // `\s*(?:\n|$)`: the whitespace run after the closing dashes must hold a
                    // newline or reach the end of the text.
                    let run_end = ws_run_end(close_end);
                    if run_end == b.len() || s[close_end..run_end].contains('\n') {
                        return Some((body_start..e, close_end));
                    }
                }
            }
            e += s[e..].chars().next().map_or(1, char::len_utf8);
        }
        q = open + 1;
    }
    None
}

/// A YAML value as far as changesets looks at it (JavaScript `typeof` and truthiness).
#[derive(Debug, Clone, PartialEq)]
enum Yaml {
    Null,
    Bool(bool),
    Number(f64),
    Str(String),
    Seq,
    Map(Vec<(String, Yaml)>),
}

impl Yaml {
    fn type_of(&self) -> &'static str {
        match self {
            Yaml::Null | Yaml::Seq | Yaml::Map(_) => "object",
            Yaml::Bool(_) => "boolean",
            Yaml::Number(_) => "number",
            Yaml::Str(_) => "string",
        }
    }
    fn truthy(&self) -> bool {
        match self {
            Yaml::Null => false,
            Yaml::Bool(b) => *b,
            Yaml::Number(n) => *n != 0.0 && !n.is_nan(),
            Yaml::Str(s) => !s.is_empty(),
            Yaml::Seq | Yaml::Map(_) => true,
        }
    }
}

impl<'de> Deserialize<'de> for Yaml {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Yaml;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any YAML value")
            }
            fn visit_unit<E>(self) -> Result<Yaml, E> {
                Ok(Yaml::Null)
            }
            fn visit_none<E>(self) -> Result<Yaml, E> {
                Ok(Yaml::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Yaml, D::Error> {
                Yaml::deserialize(d)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Yaml, E> {
                Ok(Yaml::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Yaml, E> {
                Ok(Yaml::Number(v as f64))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Yaml, E> {
                Ok(Yaml::Number(v as f64))
            }
            fn visit_i128<E>(self, v: i128) -> Result<Yaml, E> {
                Ok(Yaml::Number(v as f64))
            }
            fn visit_u128<E>(self, v: u128) -> Result<Yaml, E> {
                Ok(Yaml::Number(v as f64))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Yaml, E> {
                Ok(Yaml::Number(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Yaml, E> {
                Ok(Yaml::Str(v.to_string()))
            }
            fn visit_string<E>(self, v: String) -> Result<Yaml, E> {
                Ok(Yaml::Str(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Yaml, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Yaml::Seq)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Yaml, A::Error> {
                let mut out: Vec<(Key, Yaml)> = Vec::new();
                while let Some(k) = a.next_key::<Key>()? {
                    let v = a.next_value::<Yaml>()?;
                    // The `yaml` package's `uniqueKeys`: scalars with equal values collide
                    // (`10` and `0xA`), a string and a number do not (`"10"` and `10`).
                    if out.iter().any(|(e, _)| e.same_yaml_value(&k)) {
                        return Err(de::Error::custom(format!(
                            "Map keys must be unique (\"{}\" appears twice)",
                            k.to_js_string()
                        )));
                    }
                    out.push((k, v));
                }
                // JS object keys are strings.
                Ok(Yaml::Map(
                    out.into_iter()
                        .map(|(k, v)| (k.to_js_string(), v))
                        .collect(),
                ))
            }
        }
        d.deserialize_any(V)
    }
}

/// A mapping key as the `yaml` package types it.
#[derive(Debug, Clone, PartialEq)]
enum Key {
    Null,
    Bool(bool),
    Number(f64),
    Str(String),
}

impl Key {
    fn same_yaml_value(&self, other: &Key) -> bool {
        match (self, other) {
            (Key::Number(a), Key::Number(b)) => a == b,
            (a, b) => a == b,
        }
    }

    /// `String(value)` as JavaScript converts an object key.
    fn to_js_string(&self) -> String {
        match self {
            Key::Null => String::new(),
            Key::Bool(b) => b.to_string(),
            Key::Str(s) => s.clone(),
            Key::Number(n) if n.is_nan() => "NaN".into(),
            Key::Number(n) if n.is_infinite() => {
                if *n > 0.0 { "Infinity" } else { "-Infinity" }.into()
            }
            Key::Number(n) if n.fract() == 0.0 && n.abs() < 1e21 => format!("{}", *n as i128),
            Key::Number(n) => format!("{n}"),
        }
    }
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a package name")
            }
            fn visit_unit<E>(self) -> Result<Key, E> {
                Ok(Key::Null)
            }
            fn visit_none<E>(self) -> Result<Key, E> {
                Ok(Key::Null)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Key, E> {
                Ok(Key::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Key, E> {
                Ok(Key::Number(v as f64))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Key, E> {
                Ok(Key::Number(v as f64))
            }
            fn visit_i128<E>(self, v: i128) -> Result<Key, E> {
                Ok(Key::Number(v as f64))
            }
            fn visit_u128<E>(self, v: u128) -> Result<Key, E> {
                Ok(Key::Number(v as f64))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Key, E> {
                Ok(Key::Number(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key, E> {
                Ok(Key::Str(v.to_string()))
            }
            fn visit_string<E>(self, v: String) -> Result<Key, E> {
                Ok(Key::Str(v))
            }
        }
        d.deserialize_any(V)
    }
}

/// JavaScript's `Object.entries` order: array-index keys first (ascending), then the rest in
/// insertion order.
fn js_object_order(raw: Vec<(String, Yaml)>) -> Vec<(String, Yaml)> {
    // Keys YAML considers distinct (`10` and `"10"`) can collide as JS property names: the
    // later value wins, the first position stays.
    let mut entries: Vec<(String, Yaml)> = Vec::with_capacity(raw.len());
    for (k, v) in raw {
        match entries.iter_mut().find(|(e, _)| *e == k) {
            Some(slot) => slot.1 = v,
            None => entries.push((k, v)),
        }
    }
    let is_index = |k: &str| {
        !k.is_empty()
            && k.bytes().all(|b| b.is_ascii_digit())
            && (k == "0" || !k.starts_with('0'))
            && k.parse::<u64>().is_ok_and(|n| n < u32::MAX as u64)
    };
    let (mut idx, rest): (Vec<_>, Vec<_>) = entries.into_iter().partition(|(k, _)| is_index(k));
    idx.sort_by_key(|(k, _)| k.parse::<u64>().unwrap_or(0));
    idx.extend(rest);
    idx
}

const LONE_CR: char = '\u{e000}';

fn swap_lone_cr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' && chars.peek() != Some(&'\n') {
            out.push(LONE_CR);
        } else {
            out.push(c);
        }
    }
    out
}

fn line_at(s: &str, byte: usize) -> usize {
    1 + s[..byte.min(s.len())]
        .bytes()
        .filter(|&b| b == b'\n')
        .count()
}

/// The line of the frontmatter that declares `name` (best effort, for error messages).
pub(crate) fn line_of_name(contents: &str, name: &str) -> Option<usize> {
    lines_of_name(contents, name).next()
}

fn lines_of_name<'a>(contents: &'a str, name: &'a str) -> impl Iterator<Item = usize> + 'a {
    let body = match_frontmatter(contents).map_or(0..0, |(b, _)| b);
    let start = body.start;
    let fm = &contents[body];
    fm.split_inclusive('\n')
        .scan(start, |offset, l| {
            let at = *offset;
            *offset += l.len();
            Some((at, l))
        })
        .filter(move |(_, l)| {
            let t = l.trim_start();
            t.starts_with(&format!("\"{name}\""))
                || t.starts_with(&format!("'{name}'"))
                || t.starts_with(&format!("{name}:"))
        })
        .map(move |(at, _)| line_at(contents, at))
}

fn truncate(s: &str) -> String {
    // changesets truncates to 200 UTF-16 units; chars are close enough for a message.
    let mut out: String = s.chars().take(200).collect();
    if s.chars().count() > 200 {
        out.push_str("...");
    }
    out
}

/// The frontmatter exactly as changesets writes it (`"name": type` lines, blank lines), read
/// without a YAML parser. Anything else — escapes, comments, other quoting, integer-like or
/// repeated names, carriage returns — returns None and takes the YAML path, so both paths
/// agree by construction (and `fast_path_agrees_with_yaml` checks it).
fn fast_frontmatter(fm: &str) -> Option<Vec<Release>> {
    if fm.contains('\r') {
        return None;
    }
    let mut releases: Vec<Release> = Vec::new();
    for line in fm.split('\n') {
        if line.is_empty() {
            continue;
        }
        let rest = line.strip_prefix('"')?;
        let (name, rest) = rest.split_once("\": ")?;
        let bump = BumpType::parse(rest)?;
        let plain = |c: char| (c.is_ascii_graphic() && c != '"' && c != '\\') || c == ' ';
        if name.trim().is_empty()
            || !name.chars().all(plain)
            || name.bytes().all(|b| b.is_ascii_digit())
            || releases.iter().any(|r| r.name == name)
        {
            return None;
        }
        releases.push(Release {
            name: name.to_string(),
            bump,
        });
    }
    Some(releases)
}

/// Parses a change file's text into its releases (frontmatter order) and trimmed summary.
pub fn parse(contents: &str) -> Result<(Vec<Release>, String), ParseError> {
    let trimmed = js_trim(contents);
    if trimmed.is_empty() {
        return Err(ParseError {
            line: 1,
            message: format!(
                "the file is empty. A change file needs frontmatter with package names and \
                 bump types, e.g.:\n{EXAMPLE}"
            ),
        });
    }
    let Some((body, summary_start)) = match_frontmatter(contents) else {
        let first = contents.find(|c: char| !js_space(c)).unwrap_or(0);
        return Err(ParseError {
            line: line_at(contents, first),
            message: format!(
                "missing or invalid frontmatter: a change file must start with frontmatter \
                 delimited by \"---\" lines, e.g.:\n{EXAMPLE}\nReceived:\n{}",
                truncate(trimmed)
            ),
        });
    };
    let summary = js_trim(&contents[summary_start..]).to_string();
    let fm = &contents[body.clone()];
    if let Some(releases) = fast_frontmatter(fm) {
        return Ok((releases, summary));
    }
    let base_line = line_at(contents, body.start) - 1;

    let options = serde_saphyr::options! {
        strict_booleans: true,
        merge_keys: serde_saphyr::MergeKeyPolicy::AsOrdinary,
        underscored_numbers_as_strings: true,
        // Duplicates are judged by the `yaml` package's rule in `Yaml`'s visitor.
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::PassThrough,
    };
    // The `yaml` package only breaks lines at `\n`: a lone `\r` is content to it, while
    // serde-saphyr would see a line break. Swap it for a private-use character (restored in
    // keys below) so both parsers see the same structure.
    let swapped;
    let fm_yaml = if fm.contains('\r') {
        swapped = swap_lone_cr(fm);
        swapped.as_str()
    } else {
        fm
    };
    // Only YAML's own whitespace makes an empty document (`\u{a0}` is content to YAML).
    let value: Yaml = if fm_yaml.trim_matches([' ', '\t', '\n', '\r']).is_empty() {
        Yaml::Null
    } else {
        serde_saphyr::from_str_with_options(fm_yaml, options).map_err(|e| {
            let line = e
                .location()
                .map(|l| base_line + (l.line() as usize).max(1))
                .unwrap_or(base_line + 1);
            let msg = e.to_string();
            let msg = msg.lines().next().unwrap_or("").to_string();
            // Our own duplicate-key error has no position: point at the second declaration.
            let dup_line = msg
                .split_once("Map keys must be unique (\"")
                .and_then(|(_, rest)| rest.rsplit_once("\" appears twice)"))
                .and_then(|(name, _)| lines_of_name(contents, name).nth(1));
            let line = dup_line.unwrap_or(line);
            ParseError {
                line,
                message: format!(
                    "invalid YAML in the frontmatter: {msg}. Write one `\"package-name\": \
                     patch|minor|major|none` line per package"
                ),
            }
        })?
    };

    let entries = if !value.truthy() {
        Vec::new()
    } else {
        match value {
            Yaml::Map(entries) => js_object_order(entries),
            other => {
                let first = fm.find(|c: char| !js_space(c)).unwrap_or(0);
                return Err(ParseError {
                    line: line_at(contents, body.start + first),
                    message: format!(
                        "the frontmatter must map package names to bump types, not a {}. \
                         Expected e.g.:\n{EXAMPLE}",
                        match other {
                            Yaml::Seq => "list",
                            _ => "single value",
                        }
                    ),
                });
            }
        }
    };

    let mut releases = Vec::with_capacity(entries.len());
    for (name, ty) in entries {
        let name = name.replace(LONE_CR, "\r");
        let line = line_of_name(contents, &name).unwrap_or(base_line + 1);
        if js_trim(&name).is_empty() {
            return Err(ParseError {
                line,
                message: format!(
                    "invalid package name {}: expected a non-empty package name",
                    serde_json::Value::String(name.clone())
                ),
            });
        }
        let bump = match &ty {
            Yaml::Str(s) => BumpType::parse(s).ok_or_else(|| ParseError {
                line,
                message: format!(
                    "invalid bump type {} for package \"{name}\": use one of major, minor, \
                     patch, none",
                    serde_json::Value::String(s.clone())
                ),
            })?,
            other => {
                return Err(ParseError {
                    line,
                    message: format!(
                        "invalid bump type for package \"{name}\": expected one of major, \
                         minor, patch, none, got a {}",
                        other.type_of()
                    ),
                });
            }
        };
        releases.push(Release { name, bump });
    }
    Ok((releases, summary))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(name: &str, bump: BumpType) -> Release {
        Release {
            name: name.into(),
            bump,
        }
    }

    #[test]
    fn basic() {
        let (r, s) = parse("---\n\"a\": minor\n\"@s/b\": patch\n---\n\nHello\n").unwrap();
        assert_eq!(
            r,
            vec![rel("a", BumpType::Minor), rel("@s/b", BumpType::Patch)]
        );
        assert_eq!(s, "Hello");
    }

    #[test]
    fn crlf_and_text_before() {
        let (r, s) = parse("junk\r\n---\r\na: major\r\n---\r\n\r\nBody\r\n").unwrap();
        assert_eq!(r, vec![rel("a", BumpType::Major)]);
        assert_eq!(s, "Body");
    }

    #[test]
    fn dashes_in_body_stay() {
        let (_, s) = parse("---\na: patch\n---\n\none\n---\ntwo\n").unwrap();
        assert_eq!(s, "one\n---\ntwo");
    }

    #[test]
    fn empty_changeset() {
        assert_eq!(parse("---\n---\n").unwrap(), (vec![], String::new()));
        assert_eq!(parse("---\n\n---\n\n\n").unwrap(), (vec![], String::new()));
        // A falsy YAML scalar is an empty changeset too (`if (yamlStuff)`).
        assert_eq!(parse("---\nfalse\n---\nx").unwrap().0, vec![]);
    }

    #[test]
    fn closing_needs_newline_or_end() {
        assert!(parse("---\na: patch\n---x").is_err());
        assert_eq!(parse("---\na: patch\n---").unwrap().1, "");
        assert_eq!(parse("---\na: patch\n--- \t\nS").unwrap().1, "S");
    }

    #[test]
    fn errors() {
        let e = parse("   \n\t").unwrap_err();
        assert!(e.message.contains("empty"));
        let e = parse("no frontmatter").unwrap_err();
        assert!(e.message.contains("frontmatter"));
        let e = parse("---\na: patch\na: minor\n---\n").unwrap_err();
        assert!(e.message.contains("YAML"), "{e}");
        let e = parse("---\n\n\"a\": Patch\n---\n").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.message.contains("\"Patch\""));
        let e = parse("---\n- a\n---\n").unwrap_err();
        assert!(e.message.contains("list"));
        let e = parse("---\na:\n---\n").unwrap_err();
        assert!(e.message.contains("object"), "{e}");
        let e = parse("---\n@s/a: patch\n---\n").unwrap_err();
        assert!(e.message.contains("YAML"), "{e}");
    }

    #[test]
    fn integer_keys_come_first() {
        let (r, _) = parse("---\nb: patch\n\"10\": minor\n\"2\": major\n---\n").unwrap();
        let names: Vec<_> = r.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["2", "10", "b"]);
    }

    #[test]
    fn fast_path_agrees_with_yaml() {
        let cases = [
            "\n\"a\": patch\n\"@s/b\": minor\n",
            "\n\n\"a b\": none\n\n",
            "\n",
            "\n\"a\": patch\n\"a\": minor\n",
            "\n\"12\": patch\n",
            "\n\"a\\\"b\": patch\n",
            "\n\"a\": patch # c\n",
            "\n \"a\": patch\n",
        ];
        for fm in cases {
            let text = format!("---{fm}---\n\nbody\n");
            let fast = fast_frontmatter(fm);
            // Force the YAML path by adding a comment line.
            let slow = parse(&format!("---{fm}# x\n---\n\nbody\n")).map(|(r, _)| r);
            if let Some(fast) = fast {
                assert_eq!(
                    Ok(fast.clone()),
                    slow.clone().map_err(|e| e.message),
                    "{fm:?}"
                );
                assert_eq!(parse(&text).unwrap().0, fast);
            }
        }
        assert!(fast_frontmatter("\n\"a\": patch\n\"a\": minor\n").is_none());
        assert!(fast_frontmatter("\n\"12\": patch\n").is_none());
        assert!(fast_frontmatter("\n\"a\": patch # c\n").is_none());
    }

    proptest::proptest! {
        #[test]
        fn fast_path_agrees_with_yaml_generated(
            entries in proptest::collection::vec(
                ("[ -!#-\\[\\]-~]{1,12}", 0usize..4, proptest::bool::ANY),
                0..6,
            )
        ) {
            let types = ["none", "patch", "minor", "major"];
            let mut fm = String::from("\n");
            for (name, t, blank) in &entries {
                fm.push_str(&format!("\"{name}\": {}\n", types[*t]));
                if *blank {
                    fm.push('\n');
                }
            }
            if let Some(fast) = fast_frontmatter(&fm) {
                let slow = parse(&format!("---{fm}# x\n---\n\nbody\n")).map(|(r, _)| r);
                proptest::prop_assert_eq!(Ok(fast), slow.map_err(|e| e.message));
            }
        }
    }
}
