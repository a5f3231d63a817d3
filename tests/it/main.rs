//! Integration tests: one binary, one shared harness.

mod add;
mod changeset;
mod config;
mod graph;
mod graph_props;
mod harness;
mod init;
mod list;
mod oidc;
mod oidc_doubles;
mod plan_cases;
mod plan_oracle;
mod plan_props;
mod pre;
mod publish;
mod registry_proxy;
mod status;
mod verdaccio;
mod workspace;
mod workspace_cargo;
mod workspace_errors;
