//! The publish executor: preflight (everything checked before the first upload), the wave
//! scheduler (bounded concurrency, dependents wait until their dependencies are visible), the
//! promote sweep, git tags, and the journal that makes all of it resumable.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde::Serialize;
use serde_json::Value;
use url::Url;

use super::auth::{AuthGrant, AuthProvider};
use super::git_tags;
use super::journal::{
    Journal, JournalData, JournalError, JournalPackage, ReleaseStatus, StepStatus,
};
use super::packer::Packer;
use super::plan::{self, PlannedPackage, PublishPlan, Strategy};
use crate::registry::{
    Credential, NpmConfig, Packument, PublishBody, PublishOutcome, RegistryClient, Tarball,
};
use crate::report::Reporter;
use crate::workspace::{DepKind, DepSpec, Package, Workspace};

/// Everything `relay publish` was asked to do, resolved.
#[derive(Debug, Clone)]
pub struct PublishOptions {
    /// `--tag`, else relay.toml `tag`, else the pre-mode tag, else `latest` (already chosen).
    pub tag: String,
    pub strategy: Strategy,
    pub concurrency: usize,
    pub journal_dir: PathBuf,
    pub git_tag: bool,
    /// Tag private packages too (`privatePackages.tag`).
    pub tag_private: bool,
    pub fail_fast: bool,
    pub dry_run: bool,
    /// `--access` (overrides `publishConfig.access`).
    pub access: Option<String>,
    /// How long to wait for a published version to become visible before its dependents go.
    pub visibility_timeout: Duration,
    /// The command that resumes this release (printed after a failure).
    pub resume_command: String,
}

/// Progress display hooks; every method has a no-op default.
pub trait Progress: Send + Sync {
    fn plan(&self, _plan: &PublishPlan) {}
    fn started(&self, _name: &str, _version: &str) {}
    fn finished(&self, _name: &str, _version: &str, _result: Result<&str, &str>) {}
    /// Out of the way while relay asks the person at the terminal something.
    fn pause(&self) {}
    fn resume(&self) {}
    fn done(&self) {}
}

pub struct NoProgress;
impl Progress for NoProgress {}

/// What the executor needs from the world.
pub struct PublishContext {
    pub workspace: Arc<Workspace>,
    pub npm: NpmConfig,
    pub client: RegistryClient,
    pub auth: Arc<dyn AuthProvider>,
    pub packer: Arc<dyn Packer>,
    pub reporter: Arc<dyn Reporter>,
    pub progress: Arc<dyn Progress>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PublishedEntry {
    pub name: String,
    pub version: String,
    pub tag: String,
    pub outcome: PublishOutcome,
    pub auth: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct FailedEntry {
    pub name: String,
    pub version: String,
    pub error: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct NotAttemptedEntry {
    pub name: String,
    pub version: String,
    pub reason: String,
}

/// The summary (`--json` prints it).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PublishReport {
    pub release_id: String,
    pub dry_run: bool,
    pub journal: Option<String>,
    pub plan: PublishPlan,
    pub published: Vec<PublishedEntry>,
    pub failed: Vec<FailedEntry>,
    pub not_attempted: Vec<NotAttemptedEntry>,
    pub git_tags: Vec<String>,
    pub warnings: Vec<String>,
    pub resume_command: Option<String>,
}

impl PublishReport {
    pub fn ok(&self) -> bool {
        self.failed.is_empty() && self.not_attempted.is_empty()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    #[error("preflight found {} problem(s); nothing was published:\n{}", .0.len(), .0.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Preflight(Vec<String>),
    #[error(transparent)]
    Journal(#[from] JournalError),
}

/// Preflight facts for one publishable package.
struct Facts {
    pkg: Package,
    registry: Url,
    grant: Result<AuthGrant, String>,
    packument: Result<Option<Packument>, String>,
    /// Packed only when it is (or may be) published in this release.
    tarball: Option<Result<Tarball, String>>,
    access: Option<String>,
}

/// The publishable packages: named, versioned, not private, npm. A repository without
/// workspace packages publishes its root package.
pub fn publishable(ws: &Workspace) -> (Vec<Package>, bool) {
    let ok = |p: &&Package| {
        !p.private && p.version.is_some() && p.ecosystem == crate::workspace::Ecosystem::Npm
    };
    // A single-package repository (no workspace configuration): its root is the package, and
    // its git tags are `vX.Y.Z`.
    let single = ws.tool == crate::workspace::Tool::Root
        || (ws.packages.len() == 1 && ws.packages[0].is_root)
        || ws.packages.is_empty();
    if ws.packages.is_empty() {
        let v: Vec<Package> = ws.root_package.iter().filter(ok).cloned().collect();
        return (v, single);
    }
    (ws.packages.iter().filter(ok).cloned().collect(), single)
}

/// `RELAY_TRACE_TIMING=1`: phase timestamps on stderr (milliseconds since the executor
/// started), to see where a release spends its time. Nothing secret is printed.
fn trace(what: std::fmt::Arguments<'_>) {
    static START: std::sync::OnceLock<Option<Instant>> = std::sync::OnceLock::new();
    if let Some(t0) =
        START.get_or_init(|| std::env::var_os("RELAY_TRACE_TIMING").map(|_| Instant::now()))
    {
        eprintln!("[{:>5} ms] {what}", t0.elapsed().as_millis());
    }
}

pub async fn publish(
    ctx: &PublishContext,
    opts: &PublishOptions,
) -> Result<PublishReport, ReleaseError> {
    trace(format_args!("publish: start"));
    let ws = ctx.workspace.clone();
    let (packages, single) = publishable(&ws);
    let all_versions: BTreeMap<String, String> = packages
        .iter()
        .map(|p| (p.name.clone(), p.version.clone().unwrap_or_default()))
        .collect();
    let release_id = plan::release_id(&all_versions, &opts.tag, opts.strategy);
    let temp_tag = (opts.strategy == Strategy::Promote).then(|| format!("relay-tmp-{release_id}"));
    let journal_path = Journal::path_for(&opts.journal_dir, &release_id);
    let previous = Journal::load(&journal_path)?;
    let in_journal = |name: &str| {
        previous
            .as_ref()
            .filter(|j| j.status != ReleaseStatus::Complete)
            .and_then(|j| j.packages.get(name))
    };
    // Two `git` processes: run them beside the preflight instead of before it.
    let git_probe = {
        let root = ws.root.clone();
        tokio::task::spawn_blocking(move || {
            let repo = git_tags::is_repo(&root);
            (repo, if repo { git_tags::head(&root) } else { None })
        })
    };

    // ---- preflight: auth, registry reads and packing, pipelined per package ----
    let mut problems: Vec<String> = Vec::new();
    let mut facts: Vec<Facts> = Vec::new();
    let mut registries = BTreeMap::new();
    for p in &packages {
        let manifest = read_manifest(&p.manifest_path);
        let pc = manifest
            .as_ref()
            .ok()
            .and_then(|m| m.get("publishConfig"))
            .cloned();
        match ctx.npm.registry_for(&p.name, pc.as_ref()) {
            Ok(r) => {
                let access = opts.access.clone().or_else(|| {
                    pc.as_ref()
                        .and_then(|c| c.get("access"))
                        .and_then(Value::as_str)
                        .map(String::from)
                });
                registries.insert(p.name.clone(), (r, access));
            }
            Err(e) => problems.push(format!("{}: {e}", p.name)),
        }
    }
    // Reads are cheap for the client and the registry serves them while relay packs: keep
    // more of them in flight than uploads.
    let width = (opts.concurrency * 4).max(16);
    // Packing is CPU work; the registry reads are mostly waiting. Leave a core to the rest of
    // the machine (the network stack, often a local registry) so the reads are not slowed down
    // by the packing they overlap with.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let packing = Arc::new(tokio::sync::Semaphore::new(cores.saturating_sub(1).max(1)));
    type Pending = (
        Facts,
        Option<tokio::task::JoinHandle<Result<Tarball, String>>>,
    );
    let pending: Vec<Pending> = futures::stream::iter(packages.iter().filter_map(|p| {
        let (registry, access) = registries.get(&p.name)?.clone();
        let p = p.clone();
        let journal_pkg = in_journal(&p.name).cloned();
        let temp_tag = temp_tag.clone();
        let packing = packing.clone();
        Some(async move {
            let grant = ctx
                .auth
                .token_for(&p.name, &registry)
                .await
                .map_err(|e| e.to_string());
            let cred = grant.as_ref().ok().map(|g| g.credential.clone());
            let packument = ctx
                .client
                .packument(&registry, &p.name, cred.as_ref())
                .await
                .map_err(|e| e.to_string());
            trace(format_args!("packument read {}", p.name));
            let version = p.version.clone().unwrap_or_default();
            let on_registry = packument
                .as_ref()
                .ok()
                .and_then(|pk| pk.as_ref())
                .is_some_and(|pk| pk.versions.contains_key(&version));
            let temp_tagged = temp_tag.as_ref().is_some_and(|t| {
                packument
                    .as_ref()
                    .ok()
                    .and_then(|pk| pk.as_ref())
                    .and_then(|pk| pk.dist_tags.get(t))
                    == Some(&version)
            });
            let needs_pack = !on_registry || journal_pkg.is_some() || temp_tagged;
            // Packing goes on in its own task, so this read's slot goes to the next read.
            let packing_task = needs_pack.then(|| {
                let packer = ctx.packer.clone();
                let ws = ctx.workspace.clone();
                let pkg = p.clone();
                tokio::spawn(async move {
                    let permit = packing.acquire_owned().await.ok();
                    let name = pkg.name.clone();
                    let r = tokio::task::spawn_blocking(move || {
                        let _permit = permit;
                        packer.pack(&ws, &pkg)
                    })
                    .await
                    .unwrap_or_else(|e| Err(format!("packing panicked: {e}")));
                    trace(format_args!("packed {name}"));
                    r
                })
            });
            let facts = Facts {
                pkg: p,
                registry,
                grant,
                packument,
                tarball: None,
                access,
            };
            (facts, packing_task)
        })
    }))
    .buffer_unordered(width)
    .collect()
    .await;
    for (mut f, task) in pending {
        if let Some(task) = task {
            f.tarball = Some(
                task.await
                    .unwrap_or_else(|e| Err(format!("packing panicked: {e}"))),
            );
        }
        facts.push(f);
    }
    facts.sort_by(|a, b| a.pkg.name.cmp(&b.pkg.name));
    trace(format_args!("preflight: packuments read, tarballs packed"));

    // Versions visible on the registry, per package (for internal-range checks).
    let mut registry_versions: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in &facts {
        if let Ok(Some(pk)) = &f.packument {
            registry_versions.insert(f.pkg.name.clone(), pk.versions.keys().cloned().collect());
        }
    }

    // Decide candidates and collect every problem.
    struct Cand<'a> {
        f: &'a Facts,
        tarball: &'a Tarball,
        grant: &'a AuthGrant,
        already: bool,
        previous_tags: BTreeMap<String, String>,
    }
    let mut cands: Vec<Cand> = Vec::new();
    for f in &facts {
        let Some(tb) = &f.tarball else { continue };
        let name = &f.pkg.name;
        let version = f.pkg.version.clone().unwrap_or_default();
        let pk = match &f.packument {
            Ok(pk) => pk.clone().unwrap_or_default(),
            Err(e) => {
                problems.push(format!(
                    "{name}: registry {} not readable: {e}",
                    crate::registry::redact(f.registry.as_str())
                ));
                continue;
            }
        };
        let tb = match tb {
            Ok(t) => t,
            Err(e) => {
                problems.push(format!("{name}: packing failed: {e}"));
                continue;
            }
        };
        let grant = match &f.grant {
            Ok(g) => g,
            Err(e) => {
                problems.push(e.clone());
                continue;
            }
        };
        let mut already = false;
        if let Some(info) = pk.versions.get(&version) {
            let journal_integrity = in_journal(name).map(|j| j.integrity.clone());
            if info.integrity.as_deref() == Some(tb.integrity.as_str()) {
                already = true;
            } else if let Some(ji) = journal_integrity
                && info.integrity.as_deref() == Some(ji.as_str())
            {
                // Published by the interrupted run from a tarball that no longer packs to the
                // same bytes: still ours (the journal recorded the integrity it sent).
                already = true;
            } else {
                problems.push(format!(
                    "{name}@{version} is already on {} with integrity {}, but the tarball packed now has {}; bump the version",
                    crate::registry::redact(f.registry.as_str()),
                    info.integrity.as_deref().unwrap_or("(none)"),
                    tb.integrity
                ));
                continue;
            }
        }
        if !already {
            problems.extend(plan::tag_problems(
                name,
                &version,
                &opts.tag,
                pk.dist_tags.get("latest").map(String::as_str),
            ));
        }
        if opts.strategy == Strategy::Promote && !grant.can_write_dist_tags {
            problems.push(format!(
                "{name}: the promote strategy moves dist-tags, but this credential ({}) cannot; use a granular access token with write access, or `--strategy direct`",
                grant.source
            ));
        }
        let previous_tags = in_journal(name)
            .map(|j| j.previous_dist_tags.clone())
            .unwrap_or_else(|| pk.dist_tags.clone());
        cands.push(Cand {
            f,
            tarball: tb,
            grant,
            already,
            previous_tags,
        });
    }

    // Auth check once per registry + credential: does the registry accept it?
    let mut checked: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for c in cands.iter().filter(|c| !c.already) {
        let key = (
            crate::registry::redact(c.f.registry.as_str()),
            cred_fingerprint(&c.grant.credential),
        );
        checked.entry(key).or_default().push(c.f.pkg.name.clone());
    }
    let whoami: Vec<_> = futures::stream::iter(checked.iter().map(|((reg, _), names)| {
        let c = cands.iter().find(|c| c.f.pkg.name == names[0]);
        async move {
            let c = c?;
            if c.grant.kind == super::auth::AuthKind::Oidc {
                return None; // package-scoped tokens: the exchange itself was the check
            }
            match ctx.client.whoami(&c.f.registry, &c.grant.credential).await {
                Ok(Some(_)) => None,
                Ok(None) => Some(format!(
                    "{reg}: the credential ({}) is not accepted (whoami found no user) — needed by {}",
                    c.grant.source,
                    names.join(", ")
                )),
                Err(e) => Some(format!(
                    "{reg}: authentication check failed: {e} — needed by {}",
                    names.join(", ")
                )),
            }
        }
    }))
    .buffer_unordered(4)
    .collect()
    .await;
    problems.extend(whoami.into_iter().flatten());
    trace(format_args!("preflight: auth checked"));

    // Internal dependency ranges must be satisfiable by the registry or this release.
    let release_versions: BTreeMap<&str, &str> = cands
        .iter()
        .map(|c| (c.tarball.name.as_str(), c.tarball.version.as_str()))
        .collect();
    let internal: BTreeSet<&str> = ws.all().map(|p| p.name.as_str()).collect();
    let mut must_be_visible: BTreeSet<String> = BTreeSet::new();
    for c in &cands {
        for (kind, key) in [
            (DepKind::Prod, "dependencies"),
            (DepKind::Peer, "peerDependencies"),
            (DepKind::Optional, "optionalDependencies"),
            (DepKind::Dev, "devDependencies"),
        ] {
            let Some(deps) = c.tarball.manifest.get(key).and_then(Value::as_object) else {
                continue;
            };
            for (dep, spec) in deps {
                let Some(spec) = spec.as_str() else { continue };
                let (target, range) = match DepSpec::parse(spec) {
                    DepSpec::Alias { name, range } => (name, range),
                    DepSpec::Range(r) => (dep.as_str(), r),
                    DepSpec::Workspace(_) | DepSpec::Catalog(_) if kind != DepKind::Dev => {
                        problems.push(format!(
                            "{}: {key}.{dep} is still `{spec}` in the packed manifest; it must be rewritten to a version before publishing",
                            c.tarball.name
                        ));
                        continue;
                    }
                    _ => continue,
                };
                if !internal.contains(target) {
                    continue;
                }
                if kind == DepKind::Dev {
                    continue;
                }
                let Ok(r) = nodejs_semver::Range::parse(range) else {
                    continue;
                };
                let sat = |v: &str| {
                    nodejs_semver::Version::parse(v)
                        .is_ok_and(|v| r.satisfies_with_prerelease(&v, true))
                };
                let in_release = release_versions.get(target).is_some_and(|v| sat(v));
                let on_registry = registry_versions
                    .get(target)
                    .is_some_and(|vs| vs.iter().any(|v| sat(v)));
                if in_release && !on_registry {
                    // Installing the dependent needs this release's version: confirm it is
                    // readable before the dependent goes. A range an existing version already
                    // satisfies needs no such poll.
                    must_be_visible.insert(target.to_string());
                }
                if !in_release && !on_registry {
                    let what = match release_versions.get(target) {
                        Some(v) => format!("this release publishes {target}@{v}"),
                        None => format!("no published version of {target} matches"),
                    };
                    problems.push(format!(
                        "{}: {key} `{target}@{range}` cannot be satisfied: {what}",
                        c.tarball.name
                    ));
                }
            }
        }
    }

    // ---- the plan ----
    let names: Vec<String> = cands.iter().map(|c| c.tarball.name.clone()).collect();
    let (waves, waits, mut warnings) = plan::waves(&ws, &names);
    let wave_of: BTreeMap<&str, usize> = waves
        .iter()
        .enumerate()
        .flat_map(|(i, w)| w.iter().map(move |n| (n.as_str(), i)))
        .collect();
    let mut planned: Vec<PlannedPackage> = cands
        .iter()
        .map(|c| PlannedPackage {
            name: c.tarball.name.clone(),
            version: c.tarball.version.clone(),
            dir: c.f.pkg.dir.clone(),
            registry: crate::registry::redact(c.f.registry.as_str()),
            tag: opts.tag.clone(),
            access: c.f.access.clone(),
            wave: wave_of.get(c.tarball.name.as_str()).copied().unwrap_or(0),
            waits_for: waits.get(&c.tarball.name).cloned().unwrap_or_default(),
            tarball_size: c.tarball.bytes.len() as u64,
            integrity: c.tarball.integrity.clone(),
        })
        .collect();
    planned.sort_by(|a, b| (a.wave, &a.name).cmp(&(b.wave, &b.name)));
    let git_tag_only: Vec<String> = if opts.tag_private && opts.git_tag {
        ws.packages
            .iter()
            .filter(|p| p.private && p.version.is_some())
            .map(|p| format!("{}@{}", p.name, p.version.clone().unwrap_or_default()))
            .collect()
    } else {
        Vec::new()
    };
    if opts.strategy == Strategy::Promote
        && cands
            .iter()
            .any(|c| !c.already && c.f.packument.as_ref().is_ok_and(|p| p.is_none()))
    {
        warnings.push("promote strategy: a package's first-ever publish also sets `latest` on the registry (it has no previous version to keep)".into());
    }
    let plan = PublishPlan {
        release_id: release_id.clone(),
        strategy: opts.strategy,
        temp_tag: temp_tag.clone(),
        waves,
        packages: planned,
        git_tag_only,
        warnings: warnings.clone(),
    };
    for w in &warnings {
        ctx.reporter.warn(w);
    }
    let mut report = PublishReport {
        release_id: release_id.clone(),
        dry_run: opts.dry_run,
        journal: None,
        plan: plan.clone(),
        published: Vec::new(),
        failed: Vec::new(),
        not_attempted: Vec::new(),
        git_tags: Vec::new(),
        warnings,
        resume_command: None,
    };
    if !problems.is_empty() {
        return Err(ReleaseError::Preflight(problems));
    }
    if opts.dry_run {
        return Ok(report);
    }
    let (is_repo, git_head) = git_probe.await.unwrap_or((false, None));
    let git_enabled = opts.git_tag && is_repo;
    if opts.git_tag && !is_repo && !cands.is_empty() {
        ctx.reporter
            .warn("not a git repository: no git tags are created (use --no-git-tag to silence)");
    }
    if cands.is_empty() {
        if git_enabled && !plan.git_tag_only.is_empty() {
            let tagger = git_tags::Tagger::new(&ws.root);
            for t in &plan.git_tag_only {
                let (n, v) = t.rsplit_once('@').unwrap_or((t, ""));
                if let Ok(true) = tagger.create(&git_tags::tag_name(n, v, single)) {
                    report.git_tags.push(t.clone());
                }
            }
        }
        return Ok(report);
    }

    // ---- journal ----
    let mut data = match previous {
        Some(j) if j.status != ReleaseStatus::Complete => j,
        _ => JournalData {
            release_id: release_id.clone(),
            status: ReleaseStatus::InProgress,
            runs: 0,
            plan: plan.clone(),
            packages: BTreeMap::new(),
            log_seq: 0,
        },
    };
    data.runs += 1;
    data.status = ReleaseStatus::InProgress;
    data.plan = plan.clone();
    for c in &cands {
        data.packages
            .entry(c.tarball.name.clone())
            .or_insert_with(|| JournalPackage {
                version: c.tarball.version.clone(),
                registry: crate::registry::redact(c.f.registry.as_str()),
                integrity: c.tarball.integrity.clone(),
                previous_dist_tags: c.previous_tags.clone(),
                auth: c.grant.source.clone(),
                steps: Vec::new(),
            });
    }
    let journal = Arc::new(Journal::create(journal_path.clone(), data)?);
    trace(format_args!("journal created; uploads start"));
    report.journal = Some(journal_path.display().to_string());
    ctx.progress.plan(&plan);

    // ---- upload, wave by wave as dependencies become visible ----
    struct Job {
        name: String,
        version: String,
        registry: Url,
        cred: Credential,
        auth: String,
        /// An OIDC token: asked for again right before the upload, so one about to expire is
        /// re-exchanged instead of failing a long release.
        refresh: bool,
        body: Option<(Tarball, Option<String>)>,
        waits: Vec<String>,
    }
    let mut jobs: BTreeMap<String, Job> = BTreeMap::new();
    for c in &cands {
        jobs.insert(
            c.tarball.name.clone(),
            Job {
                name: c.tarball.name.clone(),
                version: c.tarball.version.clone(),
                registry: c.f.registry.clone(),
                cred: c.grant.credential.clone(),
                auth: c.grant.source.clone(),
                refresh: c.grant.kind == super::auth::AuthKind::Oidc,
                body: (!c.already).then(|| (c.tarball.clone(), c.f.access.clone())),
                waits: waits.get(&c.tarball.name).cloned().unwrap_or_default(),
            },
        );
    }
    let order: Vec<String> = plan::critical_first(
        &plan
            .packages
            .iter()
            .map(|p| p.name.clone())
            .collect::<Vec<_>>(),
        &jobs
            .iter()
            .map(|(n, j)| (n.clone(), j.waits.clone()))
            .collect(),
    );
    #[derive(Clone, PartialEq)]
    enum St {
        Waiting,
        Running,
        Done,
        Failed,
        Blocked(String),
    }
    let mut state: BTreeMap<String, St> = order.iter().map(|n| (n.clone(), St::Waiting)).collect();
    let (tag_tx, tagger) = if git_enabled {
        let (tx, rx) = std::sync::mpsc::channel::<(String, String)>();
        let root = ws.root.clone();
        let journal = journal.clone();
        let names: Vec<String> = order
            .iter()
            .map(|n| git_tags::tag_name(n, &jobs[n].version, single))
            .collect();
        let handle = std::thread::spawn(move || {
            let mut created = Vec::new();
            let mut warnings = Vec::new();
            let mut tagger = git_tags::Tagger::new(&root);
            let prepared = tagger.prepare(&names);
            trace(format_args!("git tag objects prepared: {prepared:?}"));
            for (name, tag) in rx {
                let r = tagger.create(&tag);
                let (status, detail) = match &r {
                    Ok(true) => (StepStatus::Done, format!("created {tag}")),
                    Ok(false) => (StepStatus::Done, format!("{tag} exists")),
                    Err(e) => (StepStatus::Failed, e.clone()),
                };
                let _ = journal.step(&name, "git-tag", status, Some(detail));
                match r {
                    Ok(true) => created.push(tag),
                    Ok(false) => {}
                    Err(e) => warnings.push(e),
                }
            }
            (created, warnings)
        });
        (Some(tx), Some(handle))
    } else {
        (None, None)
    };
    let mut set = tokio::task::JoinSet::new();
    // `running` counts uploads in flight. A task frees its slot as soon as its PUT is done
    // (the visibility check that follows does not hold back the next upload).
    let mut running = 0usize;
    let (slot_tx, mut slot_rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let mut slot_freed: BTreeSet<String> = BTreeSet::new();
    let mut any_failed = false;
    let dist_tags = |version: &str| -> BTreeMap<String, String> {
        let tag = temp_tag.clone().unwrap_or_else(|| opts.tag.clone());
        BTreeMap::from([(tag, version.to_string())])
    };
    loop {
        // A write refused for want of a one-time password nobody can give: every other upload
        // would be refused too, so none is started.
        let stopped = (opts.fail_fast && any_failed) || ctx.client.otp().refused();
        if !stopped {
            for name in &order {
                if running >= opts.concurrency.max(1) {
                    break;
                }
                if state[name] != St::Waiting {
                    continue;
                }
                let job = &jobs[name];
                if !job.waits.iter().all(|d| state.get(d) == Some(&St::Done)) {
                    continue;
                }
                state.insert(name.clone(), St::Running);
                running += 1;
                ctx.progress.started(name, &job.version);
                let client = ctx.client.clone();
                let journal = journal.clone();
                let name = name.clone();
                let version = job.version.clone();
                let registry = job.registry.clone();
                let cred = job.cred.clone();
                let body = job.body.clone();
                let tags = dist_tags(&job.version);
                let head = git_head.clone();
                let wait_visible = must_be_visible.contains(&name);
                let timeout = opts.visibility_timeout;
                let slot = slot_tx.clone();
                let refresh = job.refresh.then(|| ctx.auth.clone());
                set.spawn(async move {
                    // An OIDC token is asked for again: one about to expire is re-exchanged.
                    let cred = match refresh {
                        Some(auth) => match auth.token_for(&name, &registry).await {
                            Ok(g) => g.credential,
                            Err(_) => cred,
                        },
                        None => cred,
                    };
                    let body = body.map(|(t, access)| {
                        PublishBody::new(&t, &registry, &tags, access.as_deref(), head.as_deref())
                    });
                    trace(format_args!("put start {name}"));
                    let r = upload_one(&client, &journal, &name, &registry, &cred, body).await;
                    trace(format_args!("put done {name}"));
                    if r.is_ok() {
                        // A failure frees its slot only when the scheduler has seen it, so
                        // --fail-fast starts nothing after it.
                        let _ = slot.send(name.clone());
                    }
                    let r = match r {
                        Ok(PublishOutcome::Published) if wait_visible => confirm_visible(
                            &client, &journal, &name, &version, &registry, &cred, timeout,
                        )
                        .await
                        .map(|()| {
                            trace(format_args!("visible {name}"));
                            PublishOutcome::Published
                        }),
                        other => other,
                    };
                    (name, r)
                });
            }
        }
        if set.is_empty() {
            break;
        }
        let joined = tokio::select! {
            Some(name) = slot_rx.recv() => {
                if slot_freed.insert(name) {
                    running -= 1;
                }
                continue;
            }
            joined = set.join_next() => joined,
        };
        let Some(joined) = joined else {
            break;
        };
        let (name, result) = match joined {
            Ok(x) => {
                // The slot message may still be queued: count it here, once.
                if slot_freed.insert(x.0.clone()) {
                    running -= 1;
                }
                x
            }
            Err(e) => {
                ctx.reporter
                    .warn(&format!("an upload task ended abnormally: {e}"));
                continue;
            }
        };
        let job = &jobs[&name];
        match result {
            Ok(outcome) => {
                state.insert(name.clone(), St::Done);
                let msg = match outcome {
                    PublishOutcome::Published => "published",
                    PublishOutcome::AlreadyPublished => "already published",
                };
                ctx.progress.finished(&name, &job.version, Ok(msg));
                report.published.push(PublishedEntry {
                    name: name.clone(),
                    version: job.version.clone(),
                    tag: temp_tag.clone().unwrap_or_else(|| opts.tag.clone()),
                    outcome,
                    auth: job.auth.clone(),
                });
                if let Some(tx) = &tag_tx {
                    // Tagging runs beside the uploads, never stalling the scheduler.
                    let _ = tx.send((
                        name.clone(),
                        git_tags::tag_name(&name, &job.version, single),
                    ));
                }
            }
            Err(e) => {
                any_failed = true;
                ctx.progress.finished(&name, &job.version, Err(&e));
                state.insert(name.clone(), St::Failed);
                report.failed.push(FailedEntry {
                    name: name.clone(),
                    version: job.version.clone(),
                    error: e,
                });
                // Block every transitive dependent.
                let mut changed = true;
                while changed {
                    changed = false;
                    for n in &order {
                        if state[n] != St::Waiting {
                            continue;
                        }
                        if let Some(bad) = jobs[n].waits.iter().find(|d| {
                            matches!(state.get(*d), Some(St::Failed) | Some(St::Blocked(_)))
                        }) {
                            state.insert(n.clone(), St::Blocked(bad.clone()));
                            changed = true;
                        }
                    }
                }
            }
        }
    }
    // Reported in the plan's order (waves), not the scheduling order.
    for n in plan.packages.iter().map(|p| &p.name) {
        let reason = match &state[n] {
            St::Blocked(dep) => format!("depends on {dep}, which was not published"),
            St::Waiting if ctx.client.otp().refused() => {
                "not started: the registry asks for a one-time password (see the failure above)"
                    .into()
            }
            St::Waiting => "not started: --fail-fast stopped the release after a failure".into(),
            _ => continue,
        };
        report.not_attempted.push(NotAttemptedEntry {
            name: n.clone(),
            version: jobs[n].version.clone(),
            reason,
        });
    }

    trace(format_args!("uploads done"));
    drop(tag_tx);
    if let Some(h) = tagger
        && let Ok((created, warnings)) = h.join()
    {
        report.git_tags.extend(created);
        for w in warnings {
            ctx.reporter.warn(&w);
        }
    }

    trace(format_args!("git tags done"));
    // ---- promote: move the target tag for everything, then drop the temp tag ----
    if let Some(temp) = &temp_tag
        && report.failed.is_empty()
        && report.not_attempted.is_empty()
    {
        let results: Vec<(String, Result<(), String>)> =
            futures::stream::iter(order.iter().map(|n| {
                let job = &jobs[n];
                let journal = journal.clone();
                async move {
                    let r = promote_one(
                        ctx,
                        &journal,
                        job.name.as_str(),
                        &job.version,
                        &job.registry,
                        &job.cred,
                        &opts.tag,
                        temp,
                    )
                    .await;
                    (job.name.clone(), r)
                }
            }))
            .buffer_unordered(opts.concurrency.max(1))
            .collect()
            .await;
        for (name, r) in results {
            if let Err(e) = r {
                report.failed.push(FailedEntry {
                    name: name.clone(),
                    version: jobs[&name].version.clone(),
                    error: format!("promote: {e}"),
                });
            }
        }
        for p in &mut report.published {
            p.tag = opts.tag.clone();
        }
    } else if temp_tag.is_some() && !report.ok() {
        ctx.reporter.warn(&format!(
            "promote strategy: `{}` was not moved for any package because the release is incomplete",
            opts.tag
        ));
    }

    if git_enabled && report.failed.is_empty() && !plan.git_tag_only.is_empty() {
        let tagger = git_tags::Tagger::new(&ws.root);
        for t in &plan.git_tag_only {
            let (n, v) = t.rsplit_once('@').unwrap_or((t, ""));
            let name = git_tags::tag_name(n, v, single);
            if let Ok(true) = tagger.create(&name) {
                report.git_tags.push(name);
            }
        }
    }
    ctx.progress.done();
    let ok = report.ok();
    journal.update(|d| {
        d.status = if ok {
            ReleaseStatus::Complete
        } else {
            ReleaseStatus::Failed
        };
    })?;
    report.published.sort_by(|a, b| a.name.cmp(&b.name));
    report.failed.sort_by(|a, b| a.name.cmp(&b.name));
    trace(format_args!("publish: end"));
    if !ok {
        report.resume_command = Some(opts.resume_command.clone());
    }
    Ok(report)
}

async fn upload_one(
    client: &RegistryClient,
    journal: &Journal,
    name: &str,
    registry: &Url,
    cred: &Credential,
    body: Option<PublishBody>,
) -> Result<PublishOutcome, String> {
    let Some(body) = body else {
        journal
            .step(
                name,
                "upload",
                StepStatus::Skipped,
                Some("already on the registry with this release's integrity".into()),
            )
            .map_err(|e| e.to_string())?;
        return Ok(PublishOutcome::AlreadyPublished);
    };
    journal
        .step(name, "upload", StepStatus::Started, None)
        .map_err(|e| e.to_string())?;
    let outcome = match client.publish(registry, Some(cred), &body).await {
        Ok(o) => o,
        Err(e) => {
            let msg = e.to_string();
            journal
                .step(name, "upload", StepStatus::Failed, Some(msg.clone()))
                .map_err(|e| e.to_string())?;
            return Err(msg);
        }
    };
    journal
        .step(
            name,
            "upload",
            StepStatus::Done,
            Some(match outcome {
                PublishOutcome::Published => "published".into(),
                PublishOutcome::AlreadyPublished => "already published (same integrity)".into(),
            }),
        )
        .map_err(|e| e.to_string())?;
    Ok(outcome)
}

/// Dependents are uploaded only once this version can be read back from the registry.
async fn confirm_visible(
    client: &RegistryClient,
    journal: &Journal,
    name: &str,
    version: &str,
    registry: &Url,
    cred: &Credential,
    timeout: Duration,
) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    let mut delay = Duration::from_millis(100);
    loop {
        match client.packument(registry, name, Some(cred)).await {
            Ok(Some(p)) if p.versions.contains_key(version) => break,
            _ if Instant::now() >= deadline => {
                let msg = format!(
                    "{name}@{version} was accepted but is still not visible on {} after {}s; rerun later to continue",
                    crate::registry::redact(registry.as_str()),
                    timeout.as_secs()
                );
                journal
                    .step(name, "visible", StepStatus::Failed, Some(msg.clone()))
                    .map_err(|e| e.to_string())?;
                return Err(msg);
            }
            _ => {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
        }
    }
    journal
        .step(name, "visible", StepStatus::Done, None)
        .map_err(|e| e.to_string())
}

#[allow(clippy::too_many_arguments)]
async fn promote_one(
    ctx: &PublishContext,
    journal: &Journal,
    name: &str,
    version: &str,
    registry: &Url,
    cred: &Credential,
    tag: &str,
    temp: &str,
) -> Result<(), String> {
    let tags = ctx
        .client
        .dist_tags(registry, name, Some(cred))
        .await
        .map_err(|e| e.to_string())?;
    if tags.get(tag).map(String::as_str) != Some(version) {
        journal
            .step(
                name,
                "promote",
                StepStatus::Started,
                Some(format!("{tag} -> {version}")),
            )
            .map_err(|e| e.to_string())?;
        ctx.client
            .dist_tag_add(registry, name, tag, version, Some(cred))
            .await
            .map_err(|e| e.to_string())?;
    }
    journal
        .step(
            name,
            "promote",
            StepStatus::Done,
            Some(format!("{tag} -> {version}")),
        )
        .map_err(|e| e.to_string())?;
    if tags.contains_key(temp) {
        ctx.client
            .dist_tag_rm(registry, name, temp, Some(cred))
            .await
            .map_err(|e| e.to_string())?;
    }
    journal
        .step(name, "untag-temp", StepStatus::Done, Some(temp.to_string()))
        .map_err(|e| e.to_string())?;
    Ok(())
}

fn cred_fingerprint(c: &Credential) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(c.header().as_bytes()))
}

fn read_manifest(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}
