//! Neural link components (see crate description).
