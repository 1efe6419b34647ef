//! Shared test support.

pub mod steam_fixture;
