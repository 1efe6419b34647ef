//! Putting the bridge where the game's container can see it: inside the
//! game's compatdata folder, which Steam shares with every container it
//! starts (native, Steam Linux Runtime and Flatpak alike).

use std::fs;
use std::io;
use std::path::Path;

use bridgekeeper_host::files::write_atomic;
use bridgekeeper_host::owned_files::read_regular;

use crate::BridgeFiles;

/// Name of the folder inside `compatdata/<appid>/` that holds the bridge.
pub const FOLDER: &str = "bridgekeeper";

/// Copies the bridge files into `dir`, replacing older copies atomically
/// (write beside, then rename), and leaves identical copies alone.
pub fn place(files: &BridgeFiles, dir: &Path) -> io::Result<BridgeFiles> {
    fs::create_dir_all(dir)?;
    let placed = BridgeFiles {
        exe: dir.join(files.exe.file_name().unwrap_or_default()),
        dll: dir.join(files.dll.file_name().unwrap_or_default()),
    };
    for (from, to) in [(&files.exe, &placed.exe), (&files.dll, &placed.dll)] {
        let source = fs::read(from)?;
        // Only a regular file of ours is read (a FIFO there would hang the
        // launch); anything else is replaced.
        if read_regular(to, source.len() as u64).is_ok_and(|existing| existing == source) {
            continue;
        }
        write_atomic(to, &source)?;
    }
    Ok(placed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_and_replaces() {
        let src = tempfile::tempdir().unwrap();
        let dst = tempfile::tempdir().unwrap();
        let files = BridgeFiles {
            exe: src.path().join("b.exe"),
            dll: src.path().join("x.dll"),
        };
        fs::write(&files.exe, b"v1").unwrap();
        fs::write(&files.dll, b"dll").unwrap();
        let placed = place(&files, &dst.path().join(FOLDER)).unwrap();
        assert_eq!(fs::read(&placed.exe).unwrap(), b"v1");
        fs::write(&files.exe, b"v2").unwrap();
        place(&files, &dst.path().join(FOLDER)).unwrap();
        assert_eq!(fs::read(&placed.exe).unwrap(), b"v2");
        assert_eq!(
            fs::read_dir(dst.path().join(FOLDER)).unwrap().count(),
            2,
            "no temporary files left"
        );
    }

    #[test]
    fn a_fifo_in_place_of_the_copy_is_replaced_without_blocking() {
        let src = tempfile::tempdir().unwrap();
        let dst = tempfile::tempdir().unwrap();
        let files = BridgeFiles {
            exe: src.path().join("b.exe"),
            dll: src.path().join("x.dll"),
        };
        fs::write(&files.exe, b"v1").unwrap();
        fs::write(&files.dll, b"dll").unwrap();
        let dir = dst.path().join(FOLDER);
        fs::create_dir_all(&dir).unwrap();
        let status = std::process::Command::new("mkfifo")
            .arg(dir.join("b.exe"))
            .status()
            .unwrap();
        assert!(status.success());
        let placed = place(&files, &dir).unwrap();
        assert_eq!(fs::read(&placed.exe).unwrap(), b"v1");
    }
}
