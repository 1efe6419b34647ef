//! Copy mode: a thread that copies each copy-mode mapping's source into
//! its destination about every millisecond, changed words only, with
//! volatile accesses (see [`crate::volatile_copy`] for why).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use super::mapping::{Direction, Mapping};
use crate::volatile_copy::copy_changed;

/// How often the source is compared with the destination, in milliseconds.
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

/// The thread that keeps every copy-mode mapping's destination up to date;
/// stopped on drop.
#[derive(Debug)]
pub struct Copier {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Copier {
    /// Starts copying the copy-mode mappings, if there are any.
    ///
    /// The caller must drop the `Copier` before the mappings.
    pub fn start(mappings: &[Mapping]) -> Copier {
        let jobs: Vec<Job> = mappings
            .iter()
            .filter_map(|m| {
                let mirror = m.mirror.as_ref()?;
                let (section, file) = (m.view.ptr(), mirror.file_view.ptr());
                let (src, dst) = match mirror.direction {
                    Direction::SectionToFile => (section, file),
                    Direction::FileToSection => (file, section),
                };
                Some(Job {
                    src,
                    dst,
                    len: m.view.len().min(mirror.file_view.len()),
                })
            })
            .collect();
        let stop = Arc::new(AtomicBool::new(false));
        let thread = (!jobs.is_empty()).then(|| {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    for job in &jobs {
                        // SAFETY: see `Job`; views are page-aligned.
                        unsafe { copy_changed(job.src, job.dst, job.len) };
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
