//! The fuzz targets' shared code: the test suite's oracles and helpers,
//! included by path so that each property has one home (`tests/oracle/`,
//! `tests/support/`) whether it runs under libFuzzer or proptest.

#[path = "../../tests/support/mod.rs"]
#[allow(clippy::should_implement_trait)]
mod support;

#[path = "../../tests/oracle/mod.rs"]
pub mod oracle;

pub use oracle::targets;
