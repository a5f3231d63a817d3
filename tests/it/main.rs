//! Integration tests: one binary, one shared harness.

mod harness;
mod list;
mod pack;
mod pack_cli;
mod pack_pnpm;
mod workspace;
