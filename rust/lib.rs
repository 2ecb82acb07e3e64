//! Native core of modularml: the results store behind `PhaseResults`.
//!
//! Everything outside `bindings` is plain Rust with no PyO3 types, tested with
//! `cargo test`. `bindings` is the only module that talks to Python.

pub mod dict;
pub mod disk;
pub mod error;

mod bindings;
mod disk_bindings;

pub use dict::StringDict;
pub use error::{StoreError, StoreResult};

/// Crate version, compared with the Python package's version on import.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
