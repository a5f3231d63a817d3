//! The release journal: `.relay/releases/<id>.json`, so a run killed at any instant can be
//! resumed and later rolled back. It holds the plan, each package's previous dist-tags, every
//! step's outcome and the integrities — never a credential (nothing secret is ever given to it).
//!
//! Writes: the JSON snapshot is replaced atomically (temp file + rename) when the release starts
//! and when it ends; each step in between is appended as one JSON line to `<id>.log` before the
//! call returns. Rewriting the whole snapshot per step cost a file creation, a rename and a full
//! serialisation each time, more CPU than the uploads themselves on a 100-package release; an
//! append is one `write`. [`Journal::load`] replays the log over the snapshot (a torn last line,
//! possible only on power loss, is ignored), and the final snapshot folds the log in and
//! removes it.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::plan::PublishPlan;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepStatus {
    Started,
    Done,
    Failed,
    Skipped,
}

/// One step of one package: `upload`, `visible`, `promote`, `untag-temp`, `git-tag`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepRecord {
    pub step: String,
    pub status: StepStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Which attempt (run) of the release wrote it: 1 for the first run, 2 for the first
    /// resume, ...
    pub run: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JournalPackage {
    pub version: String,
    pub registry: String,
    pub integrity: String,
    /// Dist-tags before this release touched the package (first run's reading; kept on resume).
    pub previous_dist_tags: BTreeMap<String, String>,
    /// How this package was authenticated (a description, never a token).
    pub auth: String,
    pub steps: Vec<StepRecord>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReleaseStatus {
    InProgress,
    Failed,
    Complete,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JournalData {
    pub release_id: String,
    pub status: ReleaseStatus,
    pub runs: u32,
    pub plan: PublishPlan,
    pub packages: BTreeMap<String, JournalPackage>,
    /// Log lines up to this sequence number are already folded into this snapshot (a crash
    /// between writing the snapshot and removing the log must not replay them twice).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub log_seq: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// One line of `<id>.log`: a step record of one package.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct LogLine {
    seq: u64,
    pkg: String,
    step: String,
    status: StepStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
    run: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error(
        "{path}: cannot write the release journal: {source}; fix the directory (see `journal-dir` in relay.toml) and rerun"
    )]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: the release journal is unreadable ({message}); move it away to start over")]
    Read { path: PathBuf, message: String },
}

/// A journal on disk, shared by concurrent package tasks.
pub struct Journal {
    path: PathBuf,
    log_path: PathBuf,
    /// Test hook (`RELAY_FAULT_PAUSE_AT_WRITE=N`): at the Nth write relay stops forever (after
    /// the write) so a test can SIGKILL it at a known point.
    pause_at: Option<u64>,
    writes: std::sync::atomic::AtomicU64,
    /// The state, the last log sequence number and the open log. One lock: a log line is
    /// numbered and appended in the same critical section, so the file is in sequence order.
    inner: Mutex<Inner>,
}

struct Inner {
    data: JournalData,
    seq: u64,
    log: Option<std::fs::File>,
}

impl Journal {
    pub fn path_for(dir: &Path, id: &str) -> PathBuf {
        dir.join(format!("{id}.json"))
    }

    fn log_path_for(path: &Path) -> PathBuf {
        path.with_extension("log")
    }

    /// The snapshot with every complete log line after it replayed; `None` if there is none.
    pub fn load(path: &Path) -> Result<Option<JournalData>, JournalError> {
        let read_err = |message: String| JournalError::Read {
            path: path.to_path_buf(),
            message,
        };
        let mut data: JournalData = match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| read_err(e.to_string()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(read_err(e.to_string())),
        };
        let log = match std::fs::read(Self::log_path_for(path)) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(read_err(e.to_string())),
        };
        for line in log.split(|b| *b == b'\n') {
            // Only a line cut short by a power loss can fail to parse, and only the last one:
            // what follows it was never written.
            let Ok(l) = serde_json::from_slice::<LogLine>(line) else {
                break;
            };
            if l.seq <= data.log_seq {
                continue;
            }
            data.log_seq = l.seq;
            if let Some(p) = data.packages.get_mut(&l.pkg) {
                p.steps.push(StepRecord {
                    step: l.step,
                    status: l.status,
                    detail: l.detail,
                    run: l.run,
                });
            }
        }
        Ok(Some(data))
    }

    /// Writes the snapshot (folding in and removing any log left by an earlier run).
    pub fn create(path: PathBuf, data: JournalData) -> Result<Self, JournalError> {
        let pause_at = std::env::var("RELAY_FAULT_PAUSE_AT_WRITE")
            .ok()
            .and_then(|v| v.parse().ok());
        let seq = data.log_seq;
        let j = Journal {
            log_path: Self::log_path_for(&path),
            path,
            pause_at,
            writes: std::sync::atomic::AtomicU64::new(0),
            inner: Mutex::new(Inner {
                data,
                seq,
                log: None,
            }),
        };
        j.update(|_| {})?;
        Ok(j)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn snapshot(&self) -> JournalData {
        self.lock().data.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn write_err(&self, path: &Path, source: std::io::Error) -> JournalError {
        JournalError::Write {
            path: path.to_path_buf(),
            source,
        }
    }

    /// Applies `f` and returns once a snapshot containing it (and every step before it) has
    /// replaced the journal file atomically; the log it folds in is then removed.
    pub fn update(&self, f: impl FnOnce(&mut JournalData)) -> Result<(), JournalError> {
        {
            let mut inner = self.lock();
            f(&mut inner.data);
            inner.data.log_seq = inner.seq;
            let bytes = serde_json::to_vec(&inner.data).unwrap_or_default();
            crate::fsx::write_atomic(&self.path, &bytes)
                .map_err(|e| self.write_err(&self.path, e))?;
            inner.log = None;
            match std::fs::remove_file(&self.log_path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(self.write_err(&self.log_path, e));
                }
                _ => {}
            }
        }
        self.after_write();
        Ok(())
    }

    /// Records a step of `pkg`: returns once its log line is written.
    pub fn step(
        &self,
        pkg: &str,
        step: &str,
        status: StepStatus,
        detail: Option<String>,
    ) -> Result<(), JournalError> {
        {
            let mut inner = self.lock();
            let run = inner.data.runs;
            let seq = inner.seq + 1;
            let mut line = serde_json::to_vec(&LogLine {
                seq,
                pkg: pkg.to_string(),
                step: step.to_string(),
                status,
                detail: detail.clone(),
                run,
            })
            .unwrap_or_default();
            line.push(b'\n');
            if inner.log.is_none() {
                let f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&self.log_path)
                    .map_err(|e| self.write_err(&self.log_path, e))?;
                inner.log = Some(f);
            }
            if let Some(f) = inner.log.as_mut() {
                // One `write` of the whole line (O_APPEND): a killed process leaves whole lines.
                f.write_all(&line)
                    .map_err(|e| self.write_err(&self.log_path, e))?;
            }
            inner.seq = seq;
            inner.data.log_seq = seq;
            if let Some(p) = inner.data.packages.get_mut(pkg) {
                p.steps.push(StepRecord {
                    step: step.into(),
                    status,
                    detail,
                    run,
                });
            }
        }
        self.after_write();
        Ok(())
    }

    fn after_write(&self) {
        let n = self
            .writes
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            + 1;
        if self.pause_at == Some(n) {
            let marker = self.path.with_extension("paused");
            let _ = std::fs::write(&marker, n.to_string());
            loop {
                std::thread::sleep(std::time::Duration::from_secs(3600));
            }
        }
    }
}

impl JournalData {
    /// The last recorded status of `step` for `pkg`.
    pub fn last(&self, pkg: &str, step: &str) -> Option<StepStatus> {
        self.packages
            .get(pkg)?
            .steps
            .iter()
            .rev()
            .find(|s| s.step == step)
            .map(|s| s.status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release::plan::Strategy;

    fn data() -> JournalData {
        let pkg = JournalPackage {
            version: "1.0.0".into(),
            registry: "http://r/".into(),
            integrity: "sha512-x".into(),
            previous_dist_tags: BTreeMap::new(),
            auth: "token".into(),
            steps: Vec::new(),
        };
        JournalData {
            release_id: "r1".into(),
            status: ReleaseStatus::InProgress,
            runs: 1,
            plan: PublishPlan {
                release_id: "r1".into(),
                strategy: Strategy::Direct,
                temp_tag: None,
                waves: vec![vec!["a".into(), "b".into()]],
                packages: Vec::new(),
                git_tag_only: Vec::new(),
                warnings: Vec::new(),
            },
            packages: BTreeMap::from([("a".into(), pkg.clone()), ("b".into(), pkg)]),
            log_seq: 0,
        }
    }

    fn statuses(d: &JournalData, pkg: &str) -> Vec<(String, StepStatus)> {
        d.packages[pkg]
            .steps
            .iter()
            .map(|s| (s.step.clone(), s.status))
            .collect()
    }

    #[test]
    fn steps_survive_without_a_final_snapshot_and_the_snapshot_folds_them_in() {
        let dir = tempfile::tempdir().unwrap();
        let path = Journal::path_for(dir.path(), "r1");
        let j = Journal::create(path.clone(), data()).unwrap();
        j.step("a", "upload", StepStatus::Started, None).unwrap();
        j.step("a", "upload", StepStatus::Done, Some("published".into()))
            .unwrap();
        j.step("b", "upload", StepStatus::Started, None).unwrap();
        // As if killed here: the snapshot is the initial one, the log holds the steps.
        let loaded = Journal::load(&path).unwrap().unwrap();
        assert_eq!(loaded, j.snapshot());
        assert_eq!(loaded.last("a", "upload"), Some(StepStatus::Done));
        assert_eq!(loaded.last("b", "upload"), Some(StepStatus::Started));
        drop(j);

        // A resumed run: its snapshot contains the replayed steps, the log is gone, and the
        // steps are not replayed a second time.
        let mut resumed = loaded;
        resumed.runs += 1;
        let j = Journal::create(path.clone(), resumed).unwrap();
        assert!(!Journal::log_path_for(&path).exists());
        j.step("b", "upload", StepStatus::Done, None).unwrap();
        j.update(|d| d.status = ReleaseStatus::Complete).unwrap();
        assert!(!Journal::log_path_for(&path).exists());
        let done = Journal::load(&path).unwrap().unwrap();
        assert_eq!(done.status, ReleaseStatus::Complete);
        assert_eq!(statuses(&done, "a").len(), 2);
        assert_eq!(
            statuses(&done, "b"),
            vec![
                ("upload".to_string(), StepStatus::Started),
                ("upload".to_string(), StepStatus::Done)
            ]
        );
        assert_eq!(done.packages["b"].steps[1].run, 2);
    }

    #[test]
    fn a_torn_last_line_and_lines_already_folded_in_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = Journal::path_for(dir.path(), "r1");
        let j = Journal::create(path.clone(), data()).unwrap();
        j.step("a", "upload", StepStatus::Started, None).unwrap();
        j.step("a", "upload", StepStatus::Done, None).unwrap();
        drop(j);
        let log = Journal::log_path_for(&path);
        let mut text = std::fs::read(&log).unwrap();
        let whole = text.clone();
        text.extend_from_slice(br#"{"seq":3,"pkg":"b","step":"upl"#);
        std::fs::write(&log, &text).unwrap();
        let loaded = Journal::load(&path).unwrap().unwrap();
        assert_eq!(statuses(&loaded, "a").len(), 2);
        assert!(statuses(&loaded, "b").is_empty());

        // A crash after the final snapshot but before the log was removed: the snapshot's
        // log_seq says both lines are in it already.
        let mut folded = loaded;
        folded.status = ReleaseStatus::Complete;
        std::fs::write(&path, serde_json::to_vec(&folded).unwrap()).unwrap();
        std::fs::write(&log, &whole).unwrap();
        let again = Journal::load(&path).unwrap().unwrap();
        assert_eq!(again, folded);
    }
}
