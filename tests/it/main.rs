//! Integration tests: one binary, one shared harness.

mod add;
mod changeset;
mod config;
mod graph;
mod graph_props;
mod harness;
mod init;
mod list;
mod pre;
mod workspace;
mod workspace_cargo;
mod workspace_errors;
