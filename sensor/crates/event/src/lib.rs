//! Zero-copy scap events.
//!
//! [`EventRef`] borrows the bytes of one event (from a ring, a capture-file
//! buffer or a builder). [`EventRef::parse`] validates the header and the
//! length array once; after that every parameter access is an in-place,
//! unaligned little-endian read that cannot go out of bounds.

mod builder;
mod errno;
mod error;
mod event;
mod param;
pub mod render;

pub use builder::{BuildError, EventBuilder};
pub use errno::errno_name;
pub use error::DecodeError;
pub use event::{Direction, EventRef, Params};
pub use param::{FdListIter, Param, SockAddr, SockTuple};
pub use peregrine_wire::{event_info, EventInfo, ParamDesc, ParamInfo, ParamType, PrintFormat};
