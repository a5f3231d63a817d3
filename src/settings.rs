//! Resolved settings: CLI arguments + `.changeset/config.json` + `relay.toml` + environment.
