//! The driver index: the format of `index.json` (a repository's table of prebuilt drivers),
//! reading `.ko` metadata, verified fetching, and the repository operations behind the
//! `peregrine-driver-index` tool (build, verify, serve, mirror, explain).
//!
//! The loader uses this crate to read an index before downloading anything and to fetch an
//! artifact into its cache only once its size and sha256 match the index.

pub mod explain;
pub mod fetch;
pub mod index;
pub mod modinfo;
pub mod repo;
pub mod resume;
pub mod serve;
pub mod unpack;

pub use fetch::{FetchError, FetchOptions, Fetcher};
pub use index::{Artifact, Index, IndexError, Kind};
