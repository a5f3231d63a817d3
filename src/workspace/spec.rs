//! The protocols a dependency range can use, split off before anything semver-related sees it.

/// A dependency specifier, classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DepSpec<'a> {
    /// A plain npm range or version (`^1.2.3`, `1.x`, `>=1 <2`, `*`, ``).
    Range(&'a str),
    /// `workspace:<rest>`: `*`, `^`, `~`, a range, or a relative path.
    Workspace(&'a str),
    /// `catalog:` (None) or `catalog:<name>`.
    Catalog(Option<&'a str>),
    /// `npm:<name>@<range>`.
    Alias { name: &'a str, range: &'a str },
    /// `file:`, `link:`, `portal:`, `git+`, URLs, `jsr:`, tags: not a semver range.
    Other(&'a str),
}

impl<'a> DepSpec<'a> {
    pub fn parse(spec: &'a str) -> Self {
        if let Some(rest) = spec.strip_prefix("workspace:") {
            return DepSpec::Workspace(rest);
        }
        if let Some(rest) = spec.strip_prefix("catalog:") {
            return DepSpec::Catalog(if rest.is_empty() { None } else { Some(rest) });
        }
        if let Some(rest) = spec.strip_prefix("npm:") {
            // `npm:@scope/name@^1` — the version separator is the last `@` after position 0.
            let at = rest[1..].rfind('@').map(|i| i + 1);
            return match at {
                Some(i) => DepSpec::Alias {
                    name: &rest[..i],
                    range: &rest[i + 1..],
                },
                None => DepSpec::Alias {
                    name: rest,
                    range: "",
                },
            };
        }
        const OTHER: [&str; 9] = [
            "file:", "link:", "portal:", "patch:", "jsr:", "git+", "git:", "http:", "https:",
        ];
        if OTHER.iter().any(|p| spec.starts_with(p)) || spec.contains("://") {
            return DepSpec::Other(spec);
        }
        DepSpec::Range(spec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies() {
        assert_eq!(DepSpec::parse("workspace:^"), DepSpec::Workspace("^"));
        assert_eq!(DepSpec::parse("catalog:"), DepSpec::Catalog(None));
        assert_eq!(
            DepSpec::parse("catalog:react18"),
            DepSpec::Catalog(Some("react18"))
        );
        assert_eq!(
            DepSpec::parse("npm:@scope/real@^2.0.0"),
            DepSpec::Alias {
                name: "@scope/real",
                range: "^2.0.0"
            }
        );
        assert_eq!(DepSpec::parse("file:../x"), DepSpec::Other("file:../x"));
        assert_eq!(
            DepSpec::parse("^1.2.3 || >=2"),
            DepSpec::Range("^1.2.3 || >=2")
        );
    }
}
