//! Integration tests: one binary, one shared harness.

mod add;
mod changeset;
mod config;
mod graph;
mod graph_props;
mod harness;
mod init;
mod list;
mod pack;
mod pack_cli;
mod pack_pnpm;
mod plan_cases;
mod plan_oracle;
mod plan_props;
mod pre;
mod status;
mod version_cases;
mod version_diff;
mod version_props;
mod version_random;
mod workspace;
mod workspace_cargo;
mod workspace_errors;
