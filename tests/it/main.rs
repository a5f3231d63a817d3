//! Integration tests: one binary, one shared harness.

mod harness;
mod list;
mod pack;
mod pack_cli;
mod pack_pnpm;
mod publish;
mod publish_crash;
mod publish_faults;
mod publish_promote;
mod registry;
mod registry_proxy;
mod verdaccio;
mod workspace;
