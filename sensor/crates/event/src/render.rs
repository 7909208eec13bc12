//! Rendering placeholder; filled below.
