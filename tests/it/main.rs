//! Integration tests: one binary, one shared harness.

mod add;
mod harness;
mod init;
mod list;
mod pre;
