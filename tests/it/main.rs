//! Integration tests: one binary, one shared harness.

mod harness;
mod list;
mod oidc;
mod oidc_doubles;
mod publish;
mod registry_proxy;
mod verdaccio;
mod workspace;
