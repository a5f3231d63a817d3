//! Integration tests: one binary, one shared harness.

mod harness;
mod list;
mod oidc;
mod oidc_doubles;
mod verdaccio;
