//! Copy mode: mirroring the game's sections into their files.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use super::mapping::Mapping;

/// Compared and copied as a unit: one page.
const BLOCK: usize = 4096;

/// How often the game's memory is compared with the file, in milliseconds.
const INTERVAL_MS: u32 = 1;

/// One source and destination pair.
struct Job {
    src: *const u8,
    dst: *mut u8,
    len: usize,
}

// SAFETY: the pointers are views that the `Mapping`s own, and `Copier` is
// stopped and joined before those are dropped (see `run`).
unsafe impl Send for Job {}

/// The thread that mirrors every copy-mode mapping; stopped on drop.
#[derive(Debug)]
pub struct Copier {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Copier {
    /// Starts mirroring the copy-mode mappings, if there are any.
    ///
    /// The caller must drop the `Copier` before the mappings.
    pub fn start(mappings: &[Mapping]) -> Copier {
        let jobs: Vec<Job> = mappings
            .iter()
            .filter_map(|m| {
                let mirror = m.mirror.as_ref()?;
                Some(Job {
                    src: m.view.ptr(),
                    dst: mirror.ptr(),
                    len: m.view.len().min(mirror.len()),
                })
            })
            .collect();
        let stop = Arc::new(AtomicBool::new(false));
        let thread = (!jobs.is_empty()).then(|| {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    for job in &jobs {
                        copy_changed(job);
                    }
                    // kernel32's Sleep, not std's: under Wine a plain Sleep
                    // needs no wineserver round trip, while std's
                    // high-resolution timer wait needs two per tick.
                    // SAFETY: Sleep has no preconditions.
                    unsafe { windows_sys::Win32::System::Threading::Sleep(INTERVAL_MS) };
                }
            })
        });
        Copier { stop, thread }
    }
}

impl Drop for Copier {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Copies the pages of `job.src` that differ from `job.dst`.
fn copy_changed(job: &Job) {
    let mut offset = 0;
    while offset < job.len {
        let n = BLOCK.min(job.len - offset);
        // SAFETY: both ranges lie inside live views (see `Job`). Other
        // processes may write them concurrently; a torn page is fixed on the
        // next pass, exactly as with the game's own readers.
        unsafe {
            let src = std::slice::from_raw_parts(job.src.add(offset), n);
            let dst = std::slice::from_raw_parts_mut(job.dst.add(offset), n);
            if src != dst {
                dst.copy_from_slice(src);
            }
        }
        offset += n;
    }
}
