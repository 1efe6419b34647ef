//! The reader's life, in simd's order.
//!
//! 1. pid file (optional): refuse to start while it exists, as simd does
//!    with /tmp/simd.pid, and leave it behind on a crash;
//! 2. memmap mode: open, truncate and map the compat set (simd does this at
//!    start, before any game is seen);
//! 3. open and map the read set, then read every page (SIGBUS here when a
//!    page lies past the end of a file, as in simd's first pass);
//! 4. sample every `interval`; on SIGUSR1 or `--session-end-after-ms`,
//!    memmap mode zeroes the compat set;
//! 5. on SIGTERM, SIGINT or `--run-ms`: memmap mode deletes the compat set,
//!    the pid file is removed, exit code 0.

use std::fs::OpenOptions;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::args::{Config, Mode};
use crate::maps::{CompatFile, MapError, ReadFile};
use crate::physics;
use crate::report::{Event, Sample, emit};
use crate::signals::{Signal, Signals};

/// Why the reader stopped before behaving like simd.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("cannot block SIGTERM, SIGINT and SIGUSR1: {0}")]
    Signals(io::Error),
    #[error(
        "cannot create the pid file {path:?}: {source}; its directory must exist and be writable"
    )]
    PidFile { path: PathBuf, source: io::Error },
    #[error(transparent)]
    Map(#[from] MapError),
}

/// How the run ended without an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exited on a signal or `--run-ms`.
    Exited,
    /// The pid file existed; nothing was touched.
    AlreadyRunning,
}

fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Memmap => "memmap",
        Mode::Nomemmap => "nomemmap",
    }
}

/// Creates the pid file like simd: `O_WRONLY | O_CREAT | O_EXCL`, empty.
fn claim_pid_file(path: &Path) -> Result<bool, RunError> {
    match OpenOptions::new().write(true).create_new(true).open(path) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(source) => Err(RunError::PidFile {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Runs the reader until a signal or `--run-ms`.
pub fn run(config: &Config) -> Result<Outcome, RunError> {
    let signals = Signals::block().map_err(RunError::Signals)?;
    if let Some(pid_file) = &config.pid_file
        && !claim_pid_file(pid_file)?
    {
        emit(&Event::AlreadyRunning {
            pid_file: pid_file.display().to_string(),
        });
        return Ok(Outcome::AlreadyRunning);
    }
    emit(&Event::Started {
        mode: mode_name(config.mode),
        dir: config.dir.display().to_string(),
        pid: std::process::id(),
    });
    let start = Instant::now();

    let mut compat = Vec::new();
    for spec in &config.compat {
        let name = spec.name.file_name();
        let path = config.dir.join(&name);
        let file = CompatFile::open(name, path, spec.size.bytes(), config.file_mode)?;
        emit(&Event::Compat {
            file: file.name.clone(),
            created: file.created,
            size_before: file.size_before,
            size: file.size,
        });
        compat.push(file);
    }

    let mut read = Vec::new();
    for spec in &config.read {
        let name = spec.name.file_name();
        let path = config.dir.join(&name);
        let file = ReadFile::open(name, path, spec.size.bytes(), config.file_mode)?;
        emit(&Event::Opened {
            file: file.name.clone(),
            created: file.created,
            file_size: file.file_size,
            map_len: file.map_len,
        });
        read.push(file);
    }
    if config.touch {
        for file in &read {
            emit(&Event::Touching {
                file: file.name.clone(),
                file_size: file.file_size,
                map_len: file.map_len,
            });
            std::hint::black_box(file.touch_every_page());
        }
    }

    let mut last: Vec<Option<Sample>> = vec![None; read.len()];
    let mut session_end_pending = config.session_end_after;
    let reason = loop {
        for (file, last) in read.iter().zip(last.iter_mut()) {
            let sample = physics::decode(&file.name, &file.head(), file.name == config.physics);
            if last.as_ref() != Some(&sample) {
                emit(&Event::Sample(sample.clone()));
                *last = Some(sample);
            }
        }
        let elapsed = start.elapsed();
        if config.run_for.is_some_and(|d| elapsed >= d) {
            break "run-ms";
        }
        let mut session_ended = false;
        if session_end_pending.is_some_and(|d| elapsed >= d) {
            session_end_pending = None;
            session_ended = true;
        }
        match signals.wait(config.interval) {
            Some(Signal::Terminate(name)) => break name,
            Some(Signal::SessionEnded) => session_ended = true,
            None => {}
        }
        if session_ended {
            for file in &mut compat {
                file.zero();
            }
            emit(&Event::SessionEnded {
                zeroed: compat.iter().map(|f| f.name.clone()).collect(),
            });
        }
    };

    for file in compat {
        match file.delete() {
            Ok(file) => emit(&Event::Deleted { file }),
            Err((file, e)) => emit(&Event::DeleteFailed {
                file,
                error: e.to_string(),
            }),
        }
    }
    drop(read);
    if let Some(pid_file) = &config.pid_file {
        let _ = std::fs::remove_file(pid_file);
    }
    emit(&Event::Exit { reason });
    Ok(Outcome::Exited)
}
