//! Integration tests: one binary, one shared harness.

mod add;
mod config;
mod harness;
mod init;
mod list;
mod pre;
