//! The names on the bus: the well-known name, the object path, the
//! interface and its error names.

/// The well-known bus name the service owns (one owner at a time).
pub const BUS_NAME: &str = "io.github.bridgekeeper.Bridgekeeper1";

/// The object that carries the interface.
pub const OBJECT_PATH: &str = "/io/github/bridgekeeper/Bridgekeeper1";

/// The interface.
pub const INTERFACE: &str = "io.github.bridgekeeper.Bridgekeeper1";

/// The prefix of the interface's error names (`…Error.NotRunning`).
pub const ERROR_PREFIX: &str = "io.github.bridgekeeper.Bridgekeeper1.Error";
