//! The Windows bridge seen from Linux: being written now.
