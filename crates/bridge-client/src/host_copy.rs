//! Putting the bridge where host programs see it.
//!
//! Inside a sandbox the bridge lies under `/app`, which does not exist on
//! the host; the host's Wine could not open it. The app's data folder,
//! `~/.var/app/<app-id>/data`, has the same absolute path on both sides.

use std::io;
use std::path::{Path, PathBuf};

use crate::BridgeFiles;
use crate::placement;
use bridgekeeper_host::sandbox::Sandbox;

/// The folder under the shared data folder that holds the bridge copy.
pub const BRIDGE_FOLDER: &str = "bridgekeeper/bridge";

/// Where the bridge goes in `sandbox` for the user whose home is `home`.
pub fn bridge_dir(sandbox: &Sandbox, home: &Path) -> PathBuf {
    sandbox.shared_data_dir(home).join(BRIDGE_FOLDER)
}

/// The bridge the host can run: `files` itself outside a sandbox, else a
/// copy in [`bridge_dir`] (replaced when it differs).
pub fn host_visible(files: BridgeFiles) -> io::Result<BridgeFiles> {
    let Some(sandbox) = bridgekeeper_host::sandbox() else {
        return Ok(files);
    };
    let home = std::env::var_os("HOME").map(PathBuf::from).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::NotFound,
            "HOME is not set, so the app's shared data folder is unknown",
        )
    })?;
    let dir = bridge_dir(sandbox, &home);
    placement::place(&files, &dir).map_err(|err| {
        io::Error::new(
            err.kind(),
            format!(
                "cannot copy the bridge to {}, where the host can run it: {err}",
                dir.display()
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bridge_folder_is_in_the_shared_data_folder() {
        let sandbox = Sandbox::parse("[Application]\nname=io.github.x.Y\n").unwrap();
        assert_eq!(
            bridge_dir(&sandbox, Path::new("/home/u")),
            Path::new("/home/u/.var/app/io.github.x.Y/data/bridgekeeper/bridge")
        );
    }
}
