//! Turning a release plan into file edits (manifests, changelogs, consumed change files).
