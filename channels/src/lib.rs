//! Modulation and channels.
