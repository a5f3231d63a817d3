//! `@changesets/changelog-github` semantics: metadata lines in summaries, issue-reference
//! links, and the GitHub GraphQL lookups (`@changesets/get-github-info`).
//!
//! Parsing and link building are pure. [`fetch`] is the only network code; the CLI calls it
//! between the two rendering passes (the first pass records which lookups are needed).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::secret::Secret;

/// Metadata removed from a summary: `pr: #12`, `commit: abc`, `author: @u` lines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SummaryMeta {
    pub pr: Option<u64>,
    pub commit: Option<String>,
    pub users: Vec<String>,
    /// The summary with those lines removed, trimmed.
    pub rest: String,
}

fn is_js_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{feff}'
}

fn line_starts(s: &str) -> Vec<usize> {
    let mut v = vec![0];
    v.extend(s.match_indices('\n').map(|(i, _)| i + 1));
    v
}

fn skip_space(s: &str, mut i: usize) -> usize {
    while let Some(c) = s[i..].chars().next() {
        if is_js_space(c) {
            i += c.len_utf8();
        } else {
            break;
        }
    }
    i
}

fn eat_ci(s: &str, i: usize, word: &str) -> Option<usize> {
    let end = i + word.len();
    (s.len() >= end && s.is_char_boundary(end) && s[i..end].eq_ignore_ascii_case(word))
        .then_some(end)
}

/// `^\s*<label>:\s*` with a case-insensitive label; returns the index after the spaces.
fn label_at(s: &str, start: usize, labels: &[&[&str]]) -> Option<usize> {
    let i = skip_space(s, start);
    for words in labels {
        let mut j = Some(i);
        for (n, w) in words.iter().enumerate() {
            j = j.and_then(|j| {
                let j = if n > 0 {
                    let k = skip_space(s, j);
                    if k == j {
                        return None;
                    }
                    k
                } else {
                    j
                };
                eat_ci(s, j, w)
            });
        }
        if let Some(j) = j.and_then(|j| eat_ci(s, j, ":")) {
            return Some(skip_space(s, j));
        }
    }
    None
}

fn non_space_run(s: &str, i: usize) -> usize {
    let mut j = i;
    while let Some(c) = s[j..].chars().next() {
        if is_js_space(c) {
            break;
        }
        j += c.len_utf8();
    }
    j
}

/// Applies changelog-github's three `replace` calls in order.
pub fn parse_summary(summary: &str) -> SummaryMeta {
    let mut meta = SummaryMeta::default();
    let mut s = summary.to_string();
    // 1. /^\s*(?:pr|pull|pull\s+request):\s*#?(\d+)/im (first match)
    for start in line_starts(&s) {
        let labels: [&[&str]; 3] = [&["pr"], &["pull"], &["pull", "request"]];
        let Some(mut j) = label_at(&s, start, &labels) else {
            continue;
        };
        if s[j..].starts_with('#') {
            j += 1;
        }
        let d = s[j..].bytes().take_while(u8::is_ascii_digit).count();
        if d == 0 {
            continue;
        }
        meta.pr = s[j..j + d].parse().ok();
        s.replace_range(start..j + d, "");
        break;
    }
    // 2. /^\s*commit:\s*([^\s]+)/im (first match)
    for start in line_starts(&s) {
        let Some(j) = label_at(&s, start, &[&["commit"]]) else {
            continue;
        };
        let end = non_space_run(&s, j);
        if end == j {
            continue;
        }
        meta.commit = Some(s[j..end].to_string());
        s.replace_range(start..end, "");
        break;
    }
    // 3. /^\s*(?:author|user):\s*@?([^\s]+)/gim (every match, left to right)
    let mut out = String::new();
    let mut pos = 0;
    let starts = line_starts(&s);
    for start in starts {
        if start < pos {
            continue;
        }
        let Some(mut j) = label_at(&s, start, &[&["author"], &["user"]]) else {
            continue;
        };
        if s[j..].starts_with('@') {
            j += 1;
        }
        let end = non_space_run(&s, j);
        if end == j {
            continue;
        }
        meta.users.push(s[j..end].to_string());
        out.push_str(&s[pos..start]);
        pos = end;
    }
    out.push_str(&s[pos..]);
    meta.rest = out.trim_matches(is_js_space).to_string();
    meta
}

fn is_word(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `linkifyIssueRefs`: bare `#123` → `[#123](<server>/<repo>/issues/123)`; existing markdown
/// links are left alone.
pub fn linkify(line: &str, server: &str, repo: &str) -> String {
    let mut out = String::new();
    let mut i = 0;
    let b = line.as_bytes();
    while i < line.len() {
        if b[i] == b'['
            && let Some(end) = markdown_link_end(line, i)
        {
            out.push_str(&line[i..end]);
            i = end;
            continue;
        }
        if b[i] == b'#' && !is_word(line[..i].chars().next_back()) {
            let digits = line[i + 1..].bytes().take_while(u8::is_ascii_digit).count();
            let num = &line[i + 1..i + 1 + digits];
            if digits > 0
                && !num.starts_with('0')
                && !is_word(line[i + 1 + digits..].chars().next())
            {
                out.push_str(&format!("[#{num}]({server}/{repo}/issues/{num})"));
                i += 1 + digits;
                continue;
            }
        }
        let c = line[i..].chars().next().unwrap_or('\0');
        out.push(c);
        i += c.len_utf8().max(1);
    }
    out
}

/// End of `\[.*?\]\(.*?\)` starting at `i`, if it matches.
fn markdown_link_end(line: &str, i: usize) -> Option<usize> {
    let rest = &line[i + 1..];
    for (k, _) in rest.match_indices(']') {
        let after = &rest[k + 1..];
        if after.starts_with('(')
            && let Some(close) = after[1..].find(')')
        {
            return Some(i + 1 + k + 1 + 1 + close + 1);
        }
    }
    None
}

/// A person as GitHub reports them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Person {
    pub login: String,
    pub url: String,
}

/// What `getCommitInfo` yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitInfo {
    pub commit_link: String,
    pub pull_link: Option<String>,
    pub author_link: Option<String>,
}

/// What `getPullRequestInfo` yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullInfo {
    pub pull_link: String,
    pub commit_link: Option<String>,
    pub author_link: Option<String>,
}

/// One GitHub lookup.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Lookup {
    Commit { repo: String, sha: String },
    Pull { repo: String, number: u64 },
}

/// Results of the lookups made so far (`None` = GitHub does not know it).
#[derive(Debug, Clone, Default)]
pub struct GithubData {
    pub commits: BTreeMap<(String, String), Option<CommitInfo>>,
    pub pulls: BTreeMap<(String, u64), Option<PullInfo>>,
}

/// `validateRepoName`: `owner/name` of `[\w.-]` characters.
pub fn valid_repo(repo: &str) -> bool {
    let ok = |p: &str| {
        !p.is_empty()
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    };
    matches!(repo.split_once('/'), Some((a, b)) if ok(a) && ok(b))
}

/// Why the GitHub lookups failed.
#[derive(Debug, thiserror::Error)]
pub enum GithubError {
    #[error(
        "the `github` changelog needs GitHub metadata for {what}, but GITHUB_TOKEN is not set: create a token at {server}/settings/tokens/new?scopes=read:user,repo:status with `read:user` and `repo:status` permissions and set GITHUB_TOKEN (or remove `pr:`/`commit:` lines and commit references)"
    )]
    NoToken { what: String, server: String },
    #[error("GitHub GraphQL request to {url} failed: {message}")]
    Http { url: String, message: String },
    #[error("GitHub GraphQL at {url} returned errors:\n{errors}")]
    Errors { url: String, errors: String },
}

fn make_query(repos: &BTreeMap<String, Vec<&Lookup>>, order: &[String]) -> String {
    let mut q = String::from("query {\n");
    let (mut commit_frag, mut pull_frag) = (false, false);
    for (i, name) in order.iter().enumerate() {
        let (owner, repo) = name.split_once('/').unwrap_or((name, ""));
        q.push_str(&format!(
            "  repo__{i}: repository(\n    owner: {},\n    name: {}\n  ) {{\n",
            Value::from(owner),
            Value::from(repo)
        ));
        for l in &repos[name] {
            match l {
                Lookup::Commit { sha, .. } => {
                    commit_frag = true;
                    q.push_str(&format!(
                        "    commit__{sha}: object(expression: {}) {{\n      ... on Commit {{\n        ...CommitFragment\n      }}\n    }}\n",
                        Value::from(sha.as_str())
                    ));
                }
                Lookup::Pull { number, .. } => {
                    pull_frag = true;
                    q.push_str(&format!(
                        "    pull__{number}: pullRequest(number: {number}) {{\n      ...PullFragment\n    }}\n"
                    ));
                }
            }
        }
        q.push_str("  }\n");
    }
    q.push_str("}\n");
    if commit_frag {
        q.push_str("fragment CommitFragment on Commit {\n  commitUrl\n  associatedPullRequests(first: 50) {\n    nodes {\n      number\n      url\n      mergedAt\n      author {\n        login\n        url\n      }\n    }\n  }\n  author {\n    user {\n      login\n      url\n    }\n  }\n}\n");
    }
    if pull_frag {
        q.push_str("fragment PullFragment on PullRequest {\n  url\n  author {\n    login\n    url\n  }\n  mergeCommit {\n    commitUrl\n    abbreviatedOid\n  }\n}\n");
    }
    q
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CommitOut {
    commit_url: String,
    associated_pull_requests: Option<Nodes>,
    author: Option<CommitAuthor>,
}
#[derive(Deserialize)]
struct Nodes {
    nodes: Option<Vec<PrNode>>,
}
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PrNode {
    number: u64,
    url: String,
    merged_at: Option<String>,
    author: Option<Person>,
}
#[derive(Deserialize)]
struct CommitAuthor {
    user: Option<Person>,
}
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PullOut {
    url: String,
    author: Option<Person>,
    merge_commit: Option<MergeCommit>,
}
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MergeCommit {
    commit_url: String,
    abbreviated_oid: String,
}

fn person_link(p: &Person) -> String {
    format!("[@{}]({})", p.login, p.url)
}

fn commit_info(sha: &str, v: &Value) -> Option<CommitInfo> {
    let out: CommitOut = serde_json::from_value(v.clone()).ok()?;
    let mut prs = out
        .associated_pull_requests
        .and_then(|n| n.nodes)
        .unwrap_or_default();
    // Earliest merged first, unmerged last (stable), as get-github-info sorts them.
    prs.sort_by(|a, b| match (&a.merged_at, &b.merged_at) {
        (None, None) => std::cmp::Ordering::Equal,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (Some(_), None) => std::cmp::Ordering::Less,
        (Some(x), Some(y)) => parse_time(x).cmp(&parse_time(y)),
    });
    let pr = prs.into_iter().next();
    let author = pr
        .as_ref()
        .and_then(|p| p.author.clone())
        .or_else(|| out.author.and_then(|a| a.user));
    let short: String = sha.chars().take(7).collect();
    Some(CommitInfo {
        commit_link: format!("[`{short}`]({})", out.commit_url),
        pull_link: pr.map(|p| format!("[#{}]({})", p.number, p.url)),
        author_link: author.as_ref().map(person_link),
    })
}

fn parse_time(s: &str) -> i128 {
    // GitHub's `mergedAt` is ISO 8601 UTC (`2026-01-02T03:04:05Z`), so the digits order it.
    s.bytes().filter(u8::is_ascii_digit).fold(0i128, |acc, b| {
        acc.saturating_mul(10).saturating_add((b - b'0') as i128)
    })
}

fn pull_info(number: u64, v: &Value) -> Option<PullInfo> {
    let out: PullOut = serde_json::from_value(v.clone()).ok()?;
    Some(PullInfo {
        pull_link: format!("[#{number}]({})", out.url),
        commit_link: out.merge_commit.map(|m| {
            let short: String = m.abbreviated_oid.chars().take(7).collect();
            format!("[`{short}`]({})", m.commit_url)
        }),
        author_link: out.author.as_ref().map(person_link),
    })
}

/// Runs `lookups` against the GraphQL endpoint `url` (50 per request, like changesets'
/// DataLoader) and merges the answers into `data`.
pub fn fetch(
    url: &str,
    token: &Secret,
    lookups: &[Lookup],
    data: &mut GithubData,
) -> Result<(), GithubError> {
    let http = |message: String| GithubError::Http {
        url: url.to_string(),
        message,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| http(e.to_string()))?;
    let client = reqwest::Client::builder()
        .user_agent(concat!("relay/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| http(e.to_string()))?;
    for chunk in lookups.chunks(50) {
        let mut repos: BTreeMap<String, Vec<&Lookup>> = BTreeMap::new();
        let mut order: Vec<String> = Vec::new();
        for l in chunk {
            let repo = match l {
                Lookup::Commit { repo, .. } | Lookup::Pull { repo, .. } => repo.clone(),
            };
            if !order.contains(&repo) {
                order.push(repo.clone());
            }
            repos.entry(repo).or_default().push(l);
        }
        let body = serde_json::json!({ "query": make_query(&repos, &order) });
        let resp: Value = rt.block_on(async {
            let r = client
                .post(url)
                .header("Authorization", format!("Token {}", token.expose()))
                .json(&body)
                .send()
                .await
                .map_err(|e| http(e.without_url().to_string()))?;
            r.json::<Value>()
                .await
                .map_err(|e| http(format!("unreadable response: {}", e.without_url())))
        })?;
        if let Some(errors) = resp.get("errors") {
            return Err(GithubError::Errors {
                url: url.to_string(),
                errors: serde_json::to_string_pretty(errors).unwrap_or_default(),
            });
        }
        let Some(d) = resp.get("data").filter(|d| d.is_object()) else {
            return Err(http(format!("response has no data: {resp}")));
        };
        for l in chunk {
            let (repo, key) = match l {
                Lookup::Commit { repo, sha } => (repo, format!("commit__{sha}")),
                Lookup::Pull { repo, number } => (repo, format!("pull__{number}")),
            };
            let idx = order.iter().position(|r| r == repo).unwrap_or(0);
            let v = d
                .get(format!("repo__{idx}"))
                .and_then(|r| r.get(&key))
                .filter(|v| !v.is_null());
            match l {
                Lookup::Commit { repo, sha } => {
                    data.commits.insert(
                        (repo.clone(), sha.clone()),
                        v.and_then(|v| commit_info(sha, v)),
                    );
                }
                Lookup::Pull { repo, number } => {
                    data.pulls.insert(
                        (repo.clone(), *number),
                        v.and_then(|v| pull_info(*number, v)),
                    );
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_lines() {
        let m =
            parse_summary("Fix it\n\nPR: #12\ncommit: abcdef1234\nauthor: @alice\nuser: bob\nmore");
        assert_eq!(m.pr, Some(12));
        assert_eq!(m.commit.as_deref(), Some("abcdef1234"));
        assert_eq!(m.users, vec!["alice", "bob"]);
        assert_eq!(m.rest, "Fix it\n\n\nmore");
        let m = parse_summary("pull request: 7 trailing");
        assert_eq!(m.pr, Some(7));
        assert_eq!(m.rest, "trailing");
        assert_eq!(parse_summary("no pr: here").pr, None);
    }

    #[test]
    fn issue_links() {
        let s = "https://github.com";
        assert_eq!(
            linkify("fix #12 and [#3](x) a#4 #05 #6a (#7)", s, "o/r"),
            "fix [#12](https://github.com/o/r/issues/12) and [#3](x) a#4 #05 #6a ([#7](https://github.com/o/r/issues/7))"
        );
    }

    #[test]
    fn repo_names() {
        assert!(valid_repo("owner/re.po-1"));
        assert!(!valid_repo("owner"));
        assert!(!valid_repo("a/b/c"));
    }
}
