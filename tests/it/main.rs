//! Integration tests: one binary, one shared harness.

mod harness;
mod list;
mod plan_cases;
mod plan_oracle;
mod plan_props;
mod status;
mod workspace;
