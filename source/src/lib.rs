//! Source coders (see crate description).
