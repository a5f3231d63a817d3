//! picomatch-style globs (what changesets uses for `fixed`/`linked`/`ignore` on package names
//! and `changedFilePatterns` on file paths): `*` stops at `/`, `**` spans directories, a
//! leading `!` negates, and (picomatch's `dot: false`) wildcards skip dot-segments unless
//! the pattern spells the dot out.

use globset::{GlobBuilder, GlobMatcher};

pub struct PicoGlob {
    pub negated: bool,
    matcher: GlobMatcher,
    allows_dot: bool,
}

impl PicoGlob {
    pub fn new(pattern: &str) -> Result<Self, String> {
        let (negated, body) = match pattern.strip_prefix('!') {
            Some(rest) if !rest.starts_with('(') => (true, rest),
            _ => (false, pattern),
        };
        let glob = GlobBuilder::new(body)
            .literal_separator(true)
            .backslash_escape(true)
            .build()
            .map_err(|e| e.kind().to_string())?;
        Ok(PicoGlob {
            negated,
            matcher: glob.compile_matcher(),
            allows_dot: body.starts_with('.') || body.contains("/."),
        })
    }

    /// `picomatch(pattern)(s)`: a negated pattern matches what its body does not.
    pub fn is_match(&self, s: &str) -> bool {
        let dotted = s.split('/').any(|seg| seg.starts_with('.'));
        let body = self.matcher.is_match(s) && (self.allows_dot || !dotted);
        body != self.negated
    }
}

/// changesets' `globMatch` rule for one candidate: passes once a positive pattern matches,
/// and a later negated pattern can exclude it again.
pub fn passes(patterns: &[PicoGlob], s: &str) -> bool {
    let mut passed = false;
    for m in patterns {
        if !passed {
            if !m.negated && m.is_match(s) {
                passed = true;
            }
        } else if m.negated && !m.is_match(s) {
            passed = false;
        }
    }
    passed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semantics() {
        let g = PicoGlob::new("@scope/*").unwrap();
        assert!(g.is_match("@scope/a"));
        assert!(!g.is_match("@scope/a/b"));
        assert!(!PicoGlob::new("*").unwrap().is_match("@scope/a"));
        let all = PicoGlob::new("**").unwrap();
        assert!(all.is_match("src/a/b.js"));
        assert!(!all.is_match(".eslintrc"));
        assert!(!all.is_match("src/.hidden/x"));
        assert!(PicoGlob::new("**/.eslintrc").unwrap().is_match(".eslintrc"));
        let pats = [
            PicoGlob::new("**").unwrap(),
            PicoGlob::new("!**/*.md").unwrap(),
        ];
        assert!(passes(&pats, "src/a.js"));
        assert!(!passes(&pats, "README.md"));
    }
}
