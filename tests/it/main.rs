//! Integration tests: one binary, one shared harness.

mod harness;
mod list;
mod publish;
mod publish_faults;
mod registry_proxy;
mod verdaccio;
