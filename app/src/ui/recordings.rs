//! The Record buttons' recordings: one `bridgekeeper_sessions::recording`
//! run per session, each on its own thread, stopped by a flag.
//!
//! A recording must never hold the window up (it polls files a thousand
//! times a second) nor die with a panel that is not drawn: the thread owns
//! the writer, the panel only a stop flag and the join handle. A recording
//! still running when the app quits is stopped and its file closed cleanly
//! ([`Recordings`]'s `Drop`); one whose thread failed says why in
//! [`Recordings::done`].

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use bridgekeeper_sessions::Registry;
use bridgekeeper_sessions::recording::{self, RecordError, RecordSummary};

/// A recording under way.
#[derive(Debug)]
struct Active {
    session: String,
    output: PathBuf,
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Result<RecordSummary, RecordError>>,
}

/// The recordings of this run of the app.
#[derive(Debug, Default)]
pub struct Recordings {
    active: Vec<Active>,
    /// Ended recordings: the file and a sentence on how it went.
    pub done: Vec<(PathBuf, String)>,
}

impl Recordings {
    /// Starts recording session `id` of `registry` into a new file in the
    /// capture folder; returns the file's path.
    pub fn start(&mut self, registry: &Registry, id: &str) -> Result<PathBuf, String> {
        let session = recording::find_session(registry, id).map_err(|e| e.to_string())?;
        let dir = recording::default_capture_dir()
            .ok_or_else(|| "no home folder to keep recordings in; set HOME".to_string())?;
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let output = recording::capture_name(&dir, &session);
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (registry, output, stop) = (registry.clone(), output.clone(), stop.clone());
            std::thread::Builder::new()
                .name("record".into())
                .spawn(move || {
                    recording::record_session(&registry, &session, &output, None, &stop, |e| {
                        tracing::info!("recording: {e:?}")
                    })
                })
                .map_err(|e| format!("cannot start the recorder: {e}"))?
        };
        self.active.push(Active {
            session: id.to_string(),
            output: output.clone(),
            stop,
            thread,
        });
        Ok(output)
    }

    /// True while session `id` is being recorded.
    pub fn is_recording(&self, id: &str) -> bool {
        self.active.iter().any(|a| a.session == id)
    }

    /// The ids of the sessions being recorded.
    pub fn recording_ids(&self) -> Vec<String> {
        self.active.iter().map(|a| a.session.clone()).collect()
    }

    /// Stops the recording of session `id` and waits for its file to be
    /// closed (at most one poll and one chunk).
    pub fn stop(&mut self, id: &str) {
        if let Some(at) = self.active.iter().position(|a| a.session == id) {
            let active = self.active.remove(at);
            active.stop.store(true, Ordering::Relaxed);
            self.finished(active);
        }
    }

    /// Collects recordings that ended by themselves (a write error).
    pub fn poll(&mut self) {
        let (ended, running): (Vec<Active>, Vec<Active>) = std::mem::take(&mut self.active)
            .into_iter()
            .partition(|a| a.thread.is_finished());
        self.active = running;
        for active in ended {
            self.finished(active);
        }
    }

    fn finished(&mut self, active: Active) {
        let outcome = match active.thread.join() {
            Ok(Ok(summary)) => format!(
                "{} frames, {:.1} s, {} bytes",
                summary.written.frames,
                summary.written.duration.as_secs_f64(),
                summary.written.bytes
            ),
            Ok(Err(err)) => format!("failed: {err}"),
            Err(_) => "failed: the recorder stopped abnormally".into(),
        };
        self.done.push((active.output, outcome));
    }
}

impl Drop for Recordings {
    fn drop(&mut self) {
        for id in self.recording_ids() {
            self.stop(&id);
        }
    }
}
