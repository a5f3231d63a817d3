//! Integration tests: one binary, one shared harness.

mod harness;
mod list;
mod publish;
mod publish_crash;
mod publish_faults;
mod publish_promote;
mod registry_proxy;
mod verdaccio;
mod workspace;
