//! The release journal: `.relay/releases/<id>.json`, rewritten atomically before and after
//! every step, so a run killed at any instant can be resumed and later rolled back. It holds
//! the plan, each package's previous dist-tags, every step's outcome and the integrities —
//! never a credential (nothing secret is ever given to it).

use std::collections::BTreeMap;
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
    data: Mutex<JournalData>,
    /// Test hook (`RELAY_FAULT_PAUSE_AT_WRITE=N`): at the Nth write relay stops forever (after
    /// the write) so a test can SIGKILL it at a known point.
    pause_at: Option<u64>,
    writes: Mutex<u64>,
    /// Sequence number of the latest in-memory update.
    seq: std::sync::atomic::AtomicU64,
    /// Sequence number already on disk; holding this lock is "being the writer".
    written: Mutex<u64>,
}

impl Journal {
    pub fn path_for(dir: &Path, id: &str) -> PathBuf {
        dir.join(format!("{id}.json"))
    }

    pub fn load(path: &Path) -> Result<Option<JournalData>, JournalError> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| JournalError::Read {
                    path: path.to_path_buf(),
                    message: e.to_string(),
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(JournalError::Read {
                path: path.to_path_buf(),
                message: e.to_string(),
            }),
        }
    }

    pub fn create(path: PathBuf, data: JournalData) -> Result<Self, JournalError> {
        let pause_at = std::env::var("RELAY_FAULT_PAUSE_AT_WRITE")
            .ok()
            .and_then(|v| v.parse().ok());
        let j = Journal {
            path,
            data: Mutex::new(data),
            pause_at,
            writes: Mutex::new(0),
            seq: std::sync::atomic::AtomicU64::new(0),
            written: Mutex::new(0),
        };
        j.flush()?;
        Ok(j)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn snapshot(&self) -> JournalData {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, JournalData> {
        self.data.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Applies `f` and returns once a journal file containing the change is on disk.
    /// Concurrent updates share writes (group commit): whoever holds the writer lock writes
    /// the newest state, covering every update made before it.
    pub fn update(&self, f: impl FnOnce(&mut JournalData)) -> Result<(), JournalError> {
        use std::sync::atomic::Ordering;
        let mine = {
            let mut d = self.lock();
            f(&mut d);
            self.seq.fetch_add(1, Ordering::SeqCst) + 1
        };
        let mut written = self.written.lock().unwrap_or_else(|p| p.into_inner());
        if *written >= mine {
            return Ok(());
        }
        let (bytes, upto) = {
            let d = self.lock();
            (
                serde_json::to_vec(&*d).unwrap_or_default(),
                self.seq.load(Ordering::SeqCst),
            )
        };
        crate::fsx::write_atomic(&self.path, &bytes).map_err(|source| JournalError::Write {
            path: self.path.clone(),
            source,
        })?;
        *written = upto;
        drop(written);
        self.after_write();
        Ok(())
    }

    fn flush(&self) -> Result<(), JournalError> {
        self.update(|_| {})
    }

    /// Records a step of `pkg`.
    pub fn step(
        &self,
        pkg: &str,
        step: &str,
        status: StepStatus,
        detail: Option<String>,
    ) -> Result<(), JournalError> {
        self.update(|d| {
            let run = d.runs;
            if let Some(p) = d.packages.get_mut(pkg) {
                p.steps.push(StepRecord {
                    step: step.into(),
                    status,
                    detail,
                    run,
                });
            }
        })
    }

    fn after_write(&self) {
        let n = {
            let mut w = self.writes.lock().unwrap_or_else(|p| p.into_inner());
            *w += 1;
            *w
        };
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
