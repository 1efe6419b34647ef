//! Record and replay of shared-memory mappings: the capture file format
//! (docs/capture-format.md) and what writes, reads and plays it.
//!
//! - [`Sampler`] polls the backing files of a live session with positional
//!   reads and finds the pages that changed; [`record`] runs it at a fixed
//!   rate, locked to the cadence of the fastest page once it is steady,
//!   until a stop flag is set.
//! - [`CaptureWriter`] turns frames into an append-only file of compressed
//!   chunks, each starting with the full state; a file cut anywhere reads
//!   back up to its last complete chunk.
//! - [`CaptureReader`] opens a capture (cut, unfinished or clean), gives its
//!   header and [`CaptureStats`], and has a cursor: seek by time or frame,
//!   step either way, read every mapping's contents at the cursor.
//! - [`Player`] plays a reader into a [`Sink`] with the recorded timing,
//!   with pause, seek and stepping; [`FileSink`] writes files with `pwrite`.
//!
//! Recording:
//!
//! ```no_run
//! use std::sync::atomic::AtomicBool;
//! use bridgekeeper_capture::{CaptureHeader, CaptureWriter, PollOptions, Sampler, SourceFile};
//!
//! let mut sampler = Sampler::new(vec![SourceFile {
//!     name: "acpmf_physics".into(),
//!     path: "/dev/shm/acpmf_physics".into(),
//!     size: 4096,
//! }]);
//! let mut header = CaptureHeader::new(sampler.mappings());
//! header.game = Some("Assetto Corsa Competizione".into());
//! header.appid = Some(805550);
//! let mut writer = CaptureWriter::create("session.bkcap".as_ref(), header)?;
//! let stop = AtomicBool::new(false); // set from a signal handler or thread
//! bridgekeeper_capture::record(&mut sampler, &mut writer, &PollOptions::default(), &stop)?;
//! writer.finish()?;
//! # Ok::<(), bridgekeeper_capture::CaptureError>(())
//! ```
//!
//! Reading:
//!
//! ```no_run
//! use std::time::Duration;
//! use bridgekeeper_capture::CaptureReader;
//!
//! let mut reader = CaptureReader::open("session.bkcap".as_ref())?;
//! print!("{}", reader.describe()?);
//! reader.seek_time(Duration::from_secs(90))?;
//! let physics: &[u8] = reader.mapping(0);
//! while let Some(frame) = reader.next_frame()? {
//!     println!("{:?}: {} changes", frame.time, frame.changes.len());
//! }
//! # Ok::<(), bridgekeeper_capture::CaptureError>(())
//! ```

mod cadence;
mod chunk;
mod clock;
mod error;
pub mod format;
mod header;
mod lateness;
mod layout;
pub mod phase;
mod player;
mod poll;
mod predict;
mod reader;
mod sampler;
mod sink;
mod stats;
mod writer;

pub use chunk::MappingCounts;
pub use error::{CaptureError, Problem};
pub use format::{FORMAT_VERSION, MappingState};
pub use header::{CaptureHeader, DEFAULT_PAGE_SIZE, MappingInfo, rfc3339_utc};
pub use lateness::Lateness;
pub use layout::CaptureEnd;
pub use player::{Command, PlayError, PlayOptions, PlayReport, Player};
pub use poll::{PollOptions, PollReport, record};
pub use reader::{CaptureReader, Change, Frame};
pub use sampler::{
    IDENTITY_CHECK, MAX_READ_INTERVAL, PATH_CHECK, SampleReport, Sampler, SourceFile,
};
pub use sink::{FileSink, Sink};
pub use stats::{CaptureStats, MappingStats, describe};
pub use writer::{CaptureOutput, CaptureWriter, Update, WriteSummary, WriterOptions};

/// The file name extension captures use.
pub const FILE_EXTENSION: &str = "bkcap";

impl CaptureReader {
    /// The header and figures as text, for `bridgekeeper record --info`.
    pub fn describe(&mut self) -> Result<String, CaptureError> {
        let stats = self.stats()?;
        Ok(describe(self.path(), self.header(), &stats))
    }
}
