//! A game's header image in Steam's own library cache, so the window can
//! show the art Steam shows, with no download.
//!
//! Steam keeps the images of the library under
//! `<root>/appcache/librarycache/` in one of two layouts (see
//! `docs/steam-internals.md`, "Library art", for the sources):
//!
//! - older clients: flat files, `<appid>_header.jpg`;
//! - clients since late 2024: one folder per app, `<appid>/header.jpg`,
//!   sometimes one level further down in a folder named by a hash,
//!   `<appid>/<hash>/header.jpg`.
//!
//! The newer layout is looked at first: a client that switched layouts may
//! leave the old flat files behind, stale. Among hashed folders the first
//! in name order that holds a `header.jpg` wins, so the answer is a pure
//! function of the tree. Only names are looked at here; the window opens
//! the file itself (regular files only, size-limited). The cache folder is
//! listed once per discovery ([`LibraryCache`]): three failed lookups per
//! game without art were a fifth of `bridgekeeper games`' time on a
//! 500-app library.

use std::collections::HashSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The file name of the header image in the per-app folders.
pub const HEADER_FILE: &str = "header.jpg";

/// The library cache folder of the Steam root `root`.
pub fn library_cache(root: &Path) -> PathBuf {
    root.join("appcache").join("librarycache")
}

/// The names in a Steam root's library cache folder, listed once.
#[derive(Debug, Clone, Default)]
pub struct LibraryCache {
    folder: PathBuf,
    names: HashSet<OsString>,
}

impl LibraryCache {
    /// Lists the library cache of the Steam root `root` (empty when there
    /// is none).
    pub fn read(root: &Path) -> LibraryCache {
        let folder = library_cache(root);
        let names = std::fs::read_dir(&folder)
            .map(|entries| entries.flatten().map(|e| e.file_name()).collect())
            .unwrap_or_default();
        LibraryCache { folder, names }
    }

    /// The header image Steam cached for `appid`, in either layout; `None`
    /// when Steam has none (never shown in the library, or the cache was
    /// cleared).
    pub fn header_image(&self, appid: u32) -> Option<PathBuf> {
        let id = appid.to_string();
        let flat_name = format!("{id}_header.jpg");
        let listed = |name: &str| self.names.contains(OsString::from(name).as_os_str());
        if !listed(&id) && !listed(&flat_name) {
            return None;
        }
        let cache = &self.folder;
        let folder = cache.join(&id);
        let direct = folder.join(HEADER_FILE);
        if direct.is_file() {
            return Some(direct);
        }
        if let Ok(entries) = std::fs::read_dir(&folder) {
            let mut hashed: Vec<PathBuf> = entries
                .flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                .map(|e| e.path().join(HEADER_FILE))
                .collect();
            hashed.sort();
            if let Some(found) = hashed.into_iter().find(|p| p.is_file()) {
                return Some(found);
            }
        }
        let flat = cache.join(flat_name);
        flat.is_file().then_some(flat)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a fresh listing of `root`'s cache finds for `appid`.
    fn header_image(root: &Path, appid: u32) -> Option<PathBuf> {
        LibraryCache::read(root).header_image(appid)
    }

    fn touch(path: &Path) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, b"jpeg").unwrap();
    }

    #[test]
    fn each_layout_is_found_and_the_newer_one_wins() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let cache = library_cache(root);
        assert_eq!(header_image(root, 244_210), None, "no cache at all");

        touch(&cache.join("244210_header.jpg"));
        assert_eq!(
            header_image(root, 244_210),
            Some(cache.join("244210_header.jpg"))
        );

        touch(&cache.join("244210/bb/header.jpg"));
        touch(&cache.join("244210/aa/header.jpg"));
        std::fs::create_dir_all(cache.join("244210/00")).unwrap();
        assert_eq!(
            header_image(root, 244_210),
            Some(cache.join("244210/aa/header.jpg")),
            "the first hashed folder holding one, over the old flat file"
        );

        touch(&cache.join("244210/header.jpg"));
        assert_eq!(
            header_image(root, 244_210),
            Some(cache.join("244210/header.jpg"))
        );
        assert_eq!(header_image(root, 805_550), None, "another game's art");
    }

    #[test]
    fn a_folder_named_header_jpg_is_not_an_image() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = library_cache(tmp.path());
        std::fs::create_dir_all(cache.join("244210/header.jpg")).unwrap();
        assert_eq!(header_image(tmp.path(), 244_210), None);
    }
}
