//! [`Feed`]: one mapping file read on a thread of its own, for a panel.
//!
//! The panels used to read every mapping file from the window's thread, a
//! few times a frame: a FIFO put at a mapping path froze the window (a plain
//! `open` waits for a writer), and each read could copy up to 64 MiB. Now
//! each file a panel shows has a feed: a thread that reads it every
//! `period` with [`MappingReader`] (regular files only, opened without
//! blocking, at most `limit` bytes) into a [`Page`] the panel draws from.
//! The thread takes the page's lock only to store a read, never across the
//! read itself, and wakes the window only when something a panel shows
//! changed: bytes, the read's state, or the moment the data stops flowing
//! ([`QUIET`] after the last change). A feed stops when dropped (its thread
//! notices at its next tick; it is never joined, so a slow file system can
//! not stall the window either).
//!
//! A feed may also tell a listener (the session's live dashboard) after
//! each read that brought news, on the feed's thread: the dashboard decodes
//! its gauges there, from the pages the feeds already read, so no file is
//! read twice and nothing is decoded on the window's thread.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::Thread;
use std::time::{Duration, Instant};

use parking_lot::{Mutex, MutexGuard};

use bridgekeeper_profiles::{Field, Layout};
use bridgekeeper_shm::{ChangeTracker, MappingReader, ReadState};

use super::counter_rate::CounterRate;
use super::inspector::plot::FieldPlot;

/// After this long without a change, a page counts as not flowing.
pub const QUIET: Duration = Duration::from_secs(2);

/// How soon the window is woken after a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// At once (the inspector: a live view).
    AtOnce,
    /// At most this often (a table that shows rates and times).
    AtMost(Duration),
}

/// What a feed reads, how often, and what it wakes.
#[derive(Debug, Clone)]
pub struct FeedConfig {
    /// The mapping file.
    pub path: PathBuf,
    /// The most bytes a read copies.
    pub limit: u64,
    /// How often the file is read.
    pub period: Duration,
    /// How soon the window hears of a change.
    pub wake: Wake,
    /// The profile's packet counter, for the game's own update rate.
    pub counter: Option<Field>,
    /// The mapping's layout, for the plotted field.
    pub layout: Option<Layout>,
}

/// The latest reading of a file, shared by its feed and its panel.
#[derive(Debug, Default)]
pub struct Page {
    /// What the last read found.
    pub read: ReadState,
    /// The page's changes across reads.
    pub tracker: ChangeTracker,
    /// The game's update rate, when the profile names a packet counter.
    pub counter: Option<CounterRate>,
    /// The plotted field's values (the inspector's).
    pub plot: FieldPlot,
    /// Reads done.
    pub reads: u64,
}

/// The reading half of a feed, without the thread: a reader and what it
/// needs to fold each read into a [`Page`]. The feed's thread runs it; the
/// benchmarks call it directly.
#[derive(Debug)]
pub struct Sampler {
    reader: MappingReader,
    layout: Option<Layout>,
    stale_told: bool,
}

impl Sampler {
    /// A sampler for `config`.
    pub fn new(config: &FeedConfig) -> Self {
        Sampler {
            reader: MappingReader::with_limit(&config.path, config.limit),
            layout: config.layout.clone(),
            stale_told: true,
        }
    }

    /// Reads the file (no lock held: this is the part that may be slow).
    pub fn read(&mut self) -> ReadState {
        self.reader.refresh().clone()
    }

    /// Folds the last read into `page`; returns whether a panel showing it
    /// must be drawn again.
    pub fn store(&mut self, read: ReadState, page: &mut Page, now: Instant) -> bool {
        let mut news = page.reads == 0 || page.read != read;
        if let ReadState::Live { .. } = read {
            let data = self.reader.data();
            if page.tracker.update(data, now) > 0 {
                news = true;
                self.stale_told = false;
            }
            if let Some(counter) = &mut page.counter {
                counter.sample(data, now);
            }
            if let Some(layout) = &self.layout {
                page.plot.record(layout, page.tracker.data(), now);
            }
        }
        if !self.stale_told && page.tracker.is_stale(now, QUIET) {
            // The data just stopped: the panel says so.
            self.stale_told = true;
            news = true;
        }
        page.read = read;
        page.reads += 1;
        news
    }
}

/// Called on a feed's thread after a read that brought news.
pub type Listener = Arc<dyn Fn() + Send + Sync>;

struct Control {
    stop: AtomicBool,
    paused: AtomicBool,
    thread: Mutex<Option<Thread>>,
    listener: Mutex<Option<Listener>>,
}

impl std::fmt::Debug for Control {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Control")
            .field("stop", &self.stop)
            .field("paused", &self.paused)
            .field("listener", &self.listener.lock().is_some())
            .finish_non_exhaustive()
    }
}

/// A mapping file read on its own thread; see the module docs.
#[derive(Debug)]
pub struct Feed {
    path: PathBuf,
    period: Duration,
    page: Arc<Mutex<Page>>,
    control: Arc<Control>,
}

impl Feed {
    /// Starts reading `config.path`; `ctx` is woken as `config.wake` says.
    pub fn start(config: FeedConfig, ctx: egui::Context) -> Feed {
        let page = Arc::new(Mutex::new(Page {
            counter: config.counter.as_ref().and_then(CounterRate::of),
            ..Page::default()
        }));
        let control = Arc::new(Control {
            stop: AtomicBool::new(false),
            paused: AtomicBool::new(false),
            thread: Mutex::new(None),
            listener: Mutex::new(None),
        });
        let path = config.path.clone();
        let period = config.period;
        let (shared, ctl) = (page.clone(), control.clone());
        let spawned = std::thread::Builder::new()
            .name("mapping-feed".into())
            .spawn(move || run(&config, &shared, &ctl, &ctx));
        match spawned {
            Ok(handle) => *control.thread.lock() = Some(handle.thread().clone()),
            Err(e) => {
                page.lock().read = ReadState::Failed(format!("cannot start a reader thread: {e}"));
            }
        }
        Feed {
            path,
            period,
            page,
            control,
        }
    }

    /// How often the file is read.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// The page itself, for a reader on another thread (a dashboard).
    pub fn shared_page(&self) -> Arc<Mutex<Page>> {
        self.page.clone()
    }

    /// Sets (or clears) the listener told after each read with news.
    pub fn set_listener(&self, listener: Option<Listener>) {
        *self.control.listener.lock() = listener;
    }

    /// The file read.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The latest reading (locked: keep it for one frame at most).
    pub fn page(&self) -> MutexGuard<'_, Page> {
        self.page.lock()
    }

    /// Stops or resumes reading; the page keeps its last reading.
    pub fn set_paused(&self, paused: bool) {
        self.control.paused.store(paused, Ordering::Relaxed);
    }
}

impl Drop for Feed {
    fn drop(&mut self) {
        self.control.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.control.thread.lock().as_ref() {
            thread.unpark();
        }
    }
}

fn run(config: &FeedConfig, page: &Mutex<Page>, control: &Control, ctx: &egui::Context) {
    let mut sampler = Sampler::new(config);
    while !control.stop.load(Ordering::Relaxed) {
        if !control.paused.load(Ordering::Relaxed) {
            let read = sampler.read();
            let news = sampler.store(read, &mut page.lock(), Instant::now());
            if news && !control.stop.load(Ordering::Relaxed) {
                match config.wake {
                    Wake::AtOnce => ctx.request_repaint(),
                    Wake::AtMost(delay) => ctx.request_repaint_after(delay),
                }
                let listener = control.listener.lock().clone();
                if let Some(listener) = listener {
                    listener();
                }
            }
        }
        std::thread::park_timeout(config.period);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(path: &Path) -> FeedConfig {
        FeedConfig {
            path: path.to_path_buf(),
            limit: 1 << 20,
            period: Duration::from_millis(5),
            wake: Wake::AtOnce,
            counter: None,
            layout: None,
        }
    }

    #[test]
    fn a_change_and_the_end_of_the_flow_are_news_and_a_steady_page_is_not() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("page");
        std::fs::write(&path, [0u8; 64]).unwrap();
        let mut sampler = Sampler::new(&config(&path));
        let mut page = Page::default();
        let t0 = Instant::now();
        let read = sampler.read();
        assert!(sampler.store(read, &mut page, t0), "the first read");
        let read = sampler.read();
        assert!(!sampler.store(read, &mut page, t0), "nothing changed");

        std::fs::write(&path, [1u8; 64]).unwrap();
        let read = sampler.read();
        assert!(sampler.store(read, &mut page, t0), "bytes changed");
        let later = t0 + QUIET / 2;
        let read = sampler.read();
        assert!(!sampler.store(read, &mut page, later), "still flowing");
        let stopped = t0 + QUIET + Duration::from_millis(1);
        let read = sampler.read();
        assert!(sampler.store(read, &mut page, stopped), "the flow stopped");
        let read = sampler.read();
        assert!(!sampler.store(read, &mut page, stopped), "told once");

        std::fs::remove_file(&path).unwrap();
        let read = sampler.read();
        assert!(sampler.store(read, &mut page, stopped), "the file went");
        assert_eq!(page.read, ReadState::Vanished);
        assert_eq!(page.tracker.data(), &[1u8; 64], "the last bytes stay");
    }

    #[test]
    fn a_feed_reads_on_its_thread_and_pauses() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("page");
        std::fs::write(&path, [3u8; 8]).unwrap();
        let feed = Feed::start(config(&path), egui::Context::default());
        let seen = |feed: &Feed, byte: u8| {
            bridgekeeper_testkit::wait_for(Duration::from_secs(10), || {
                (feed.page().tracker.data().first() == Some(&byte)).then_some(())
            })
            .is_some()
        };
        assert!(seen(&feed, 3));
        feed.set_paused(true);
        let reads = feed.page().reads;
        std::thread::sleep(Duration::from_millis(50));
        let paused_reads = feed.page().reads;
        assert!(paused_reads <= reads + 1, "{reads} → {paused_reads}");
        feed.set_paused(false);
        std::fs::write(&path, [4u8; 8]).unwrap();
        assert!(seen(&feed, 4));
    }
}
