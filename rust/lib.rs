//! Native core of modularml: the results store behind `PhaseResults`.
//!
//! Everything outside `bindings` is plain Rust with no PyO3 types, tested with
//! `cargo test`. `bindings` is the only module that talks to Python.

pub mod arrow_export;
pub mod batch;
pub mod chunked;
pub mod column;
pub mod dict;
pub mod disk;
pub mod distinct;
pub mod error;
pub mod group;
pub mod index;
pub mod parallel;
pub mod reduce;
pub mod schema;
pub mod selection;
pub mod table;
pub mod value;
pub mod view;

mod bindings;

pub use batch::{Batch, Numbers};
pub use dict::StringDict;
pub use error::{StoreError, StoreResult};
pub use schema::{ColumnType, Schema};
pub use table::Table;
pub use value::{Cell, ColumnValues, Value};
pub use view::View;

/// Crate version, compared with the Python package's version on import.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

// Large query results (tens of MB) are allocated and freed per call; mimalloc
// keeps freed pages for reuse where the system allocator would unmap them and
// fault them in again on the next query.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
