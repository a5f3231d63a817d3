//! Integration tests: one binary, one shared harness.

mod harness;
mod list;
mod workspace;
mod workspace_cargo;
mod workspace_errors;
