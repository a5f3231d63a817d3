//! Integration tests: one binary, one shared harness.

mod harness;
mod list;
mod plan_cases;
mod plan_oracle;
mod version_cases;
mod version_diff;
mod version_props;
mod version_random;
