//! Integration tests: one binary, one shared harness.

mod harness;
mod list;
mod publish;
mod registry_proxy;
mod verdaccio;
