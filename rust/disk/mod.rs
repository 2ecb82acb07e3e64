//! The crash-safe on-disk format: framed append logs for scalar tables,
//! Arrow IPC files for compacted tables, artifact packs, atomic manifests.
//!
//! Pure Rust; `bindings::disk` is its Python face. The format is described in
//! `docs/internals.md` ("On-disk format").

pub mod atomic;
pub mod batch;
pub mod checksum;
pub mod codec;
pub mod compact;
pub mod frame;
pub mod log;
pub mod log_reader;
pub mod manifest;
pub mod pack;
pub mod pack_reader;
pub mod slug;
pub(crate) mod writer;

pub use batch::{Column, ColumnBatch, ColumnData, ColumnType, Schema};
