//! Integration tests: one binary, one shared harness.

mod add;
mod changeset;
mod config;
mod harness;
mod init;
mod list;
mod pre;
mod workspace;
