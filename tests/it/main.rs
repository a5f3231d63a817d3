//! Integration tests: one binary, one shared harness.

mod graph;
mod graph_props;
mod harness;
mod list;
mod workspace;
mod workspace_cargo;
mod workspace_errors;
