//! Opening and mapping files exactly the way simd does, faults included.
//!
//! simd opens every file with `O_RDWR | O_CREAT` (glibc's `shm_open` adds
//! `O_NOFOLLOW`), mode 0600 before the umask. In memmap mode it then
//! `ftruncate`s its compat files to fixed sizes, whatever size the file had,
//! and maps them writable; it maps each game page read-only for the length of
//! its struct, without looking at the file's size. A page of such a mapping
//! that lies wholly past the end of the file raises `SIGBUS` when read, and
//! simd has no handler: the process dies. This module reproduces all of it
//! on purpose and keeps nothing that would soften it (no size check before
//! mapping, no signal handler), because the tests that use this reader must
//! see what a real simd would do to a bridged game.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use memmap2::{Mmap, MmapMut, MmapOptions};

use crate::physics::HEAD_LEN;

/// Why a file could not be opened or mapped.
#[derive(Debug, thiserror::Error)]
pub enum MapError {
    #[error(
        "cannot open {path:?} read-write (O_RDWR|O_CREAT): {source}; the directory must exist and be writable by you"
    )]
    Open { path: PathBuf, source: io::Error },
    #[error("cannot read the size of {path:?}: {source}")]
    Stat { path: PathBuf, source: io::Error },
    #[error("cannot truncate {path:?} to {size} bytes: {source}")]
    Truncate {
        path: PathBuf,
        size: u64,
        source: io::Error,
    },
    #[error("cannot map {len} bytes of {path:?}: {source}")]
    Map {
        path: PathBuf,
        len: u64,
        source: io::Error,
    },
    #[error("map length {len} of {path:?} does not fit in memory on this machine")]
    TooLong { path: PathBuf, len: u64 },
}

/// Opens `path` the way simd's `shm_open(name, O_RDWR | O_CREAT, 0600)`
/// does; says whether the file was created.
fn open_like_simd(path: &Path, mode: u32) -> Result<(File, bool), MapError> {
    let existed = path.symlink_metadata().is_ok();
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .mode(mode)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .map_err(|source| MapError::Open {
            path: path.to_path_buf(),
            source,
        })?;
    Ok((file, !existed))
}

fn file_size(file: &File, path: &Path) -> Result<u64, MapError> {
    file.metadata()
        .map(|m| m.len())
        .map_err(|source| MapError::Stat {
            path: path.to_path_buf(),
            source,
        })
}

fn map_len(len: u64, path: &Path) -> Result<usize, MapError> {
    usize::try_from(len).map_err(|_| MapError::TooLong {
        path: path.to_path_buf(),
        len,
    })
}

/// A file simd owns in memmap mode: truncated to `size` and mapped writable.
#[derive(Debug)]
pub struct CompatFile {
    /// File name inside the directory.
    pub name: String,
    /// Full path.
    pub path: PathBuf,
    /// Whether this reader created it.
    pub created: bool,
    /// Size before the truncation (0 when created).
    pub size_before: u64,
    /// Size after the truncation.
    pub size: u64,
    map: MmapMut,
}

impl CompatFile {
    /// Opens, truncates to `size` and maps `size` bytes writable
    /// (simapi `simapi_compatmap_open`).
    pub fn open(name: String, path: PathBuf, size: u64, mode: u32) -> Result<Self, MapError> {
        let (file, created) = open_like_simd(&path, mode)?;
        let size_before = file_size(&file, &path)?;
        file.set_len(size).map_err(|source| MapError::Truncate {
            path: path.clone(),
            size,
            source,
        })?;
        let len = map_len(size, &path)?;
        // SAFETY: a shared mapping of a file other processes write; it is only
        // written through `zero` and read by nobody here, as in simd.
        let map = unsafe { MmapOptions::new().len(len).map_mut(&file) }.map_err(|source| {
            MapError::Map {
                path: path.clone(),
                len: size,
                source,
            }
        })?;
        Ok(CompatFile {
            name,
            path,
            created,
            size_before,
            size,
            map,
        })
    }

    /// Writes zeros over the whole mapping, as simd does when it thinks a
    /// session ended (simapi `simapi_compatmap_clear`). If someone shrank
    /// the file meanwhile, this raises `SIGBUS`, as it would in simd.
    pub fn zero(&mut self) {
        let ptr = self.map.as_mut_ptr();
        for offset in 0..self.map.len() {
            // SAFETY: `offset` is inside the mapping; volatile because the
            // game writes the same memory from another process.
            unsafe { ptr.add(offset).write_volatile(0) };
        }
    }

    /// Unmaps and deletes the file, as simd does at exit
    /// (simapi `simapi_compatmap_free`: munmap, then shm_unlink).
    pub fn delete(self) -> Result<String, (String, io::Error)> {
        let CompatFile {
            name, path, map, ..
        } = self;
        drop(map);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(name),
            Err(e) => Err((name, e)),
        }
    }
}

/// A game page simd reads: opened with `O_CREAT` and mapped read-only for
/// the length of simapi's struct, whatever the file's size.
#[derive(Debug)]
pub struct ReadFile {
    /// File name inside the directory.
    pub name: String,
    /// Whether this reader created it (an empty file).
    pub created: bool,
    /// Size of the file when it was mapped.
    pub file_size: u64,
    /// Bytes mapped.
    pub map_len: u64,
    map: Mmap,
    _file: File,
}

impl ReadFile {
    /// Opens and maps `len` bytes read-only (simapi `simapi_init`).
    pub fn open(name: String, path: PathBuf, len: u64, mode: u32) -> Result<Self, MapError> {
        let (file, created) = open_like_simd(&path, mode)?;
        let file_size = file_size(&file, &path)?;
        let map_bytes = map_len(len, &path)?;
        // SAFETY: read-only shared mapping; bytes are only read with volatile
        // reads. Pages past the end of the file are mapped on purpose.
        let map = unsafe { MmapOptions::new().len(map_bytes).map(&file) }.map_err(|source| {
            MapError::Map {
                path: path.clone(),
                len,
                source,
            }
        })?;
        Ok(ReadFile {
            name,
            created,
            file_size,
            map_len: len,
            map,
            _file: file,
        })
    }

    /// Reads one byte of every mapped page and the last byte, as simd's
    /// first pass over a page's fields may. A page wholly past the end of
    /// the file raises `SIGBUS` here.
    pub fn touch_every_page(&self) -> u8 {
        let ptr = self.map.as_ptr();
        let len = self.map.len();
        let mut sum = 0u8;
        let last = len.saturating_sub(1);
        for offset in (0..len).step_by(page_size()).chain([last]) {
            // SAFETY: `offset < len`, inside the mapping.
            sum = sum.wrapping_add(unsafe { ptr.add(offset).read_volatile() });
        }
        sum
    }

    /// Copies the first (up to) [`HEAD_LEN`] bytes.
    pub fn head(&self) -> Vec<u8> {
        let ptr = self.map.as_ptr();
        (0..self.map.len().min(HEAD_LEN))
            // SAFETY: inside the mapping; volatile because another process
            // writes it.
            .map(|offset| unsafe { ptr.add(offset).read_volatile() })
            .collect()
    }
}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(size)
        .ok()
        .filter(|&s| s > 0)
        .unwrap_or(4096)
}
