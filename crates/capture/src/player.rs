//! [`Player`]: plays a capture into a [`Sink`] with its original timing,
//! and pauses, seeks and steps on command.
//!
//! Timing: each frame has an absolute deadline, `anchor + (frame time -
//! anchor time) / speed`, so a late frame does not delay the next. The
//! player decodes a frame first, then waits: on the command channel while
//! the deadline is more than [`COARSE_WAIT`] away (so commands are handled
//! at once), then with `clock_nanosleep(TIMER_ABSTIME)` on a thread whose
//! timer slack is lowered to 1 µs, then spins the last [`SPIN`]. It measures
//! how late each write starts ([`Lateness`]). A command that arrives while a
//! decoded frame waits takes the frame back first, so whenever a command is
//! handled the reader's cursor is exactly what the sink has received.

use std::io;
use std::sync::mpsc::{Receiver, RecvTimeoutError, TryRecvError};
use std::time::Duration;

use crate::clock::{monotonic_ns, set_timer_slack, sleep_until_ns};
use crate::error::CaptureError;
use crate::format::MappingState;
use crate::lateness::Lateness;
use crate::reader::{CaptureReader, Change, Frame};
use crate::sink::Sink;

/// Deadlines further than this are waited for on the command channel.
pub const COARSE_WAIT: Duration = Duration::from_millis(2);

/// The last stretch before a deadline is spun, not slept.
pub const SPIN: Duration = Duration::from_micros(20);

/// Slowest and fastest speeds accepted.
pub const SPEED_RANGE: (f64, f64) = (0.01, 100.0);

/// How to start playing.
#[derive(Debug, Clone, PartialEq)]
pub struct PlayOptions {
    /// Playback speed (1.0 = as recorded), from 0.01 to 100.
    pub speed: f64,
    /// Start again from the first frame at the end.
    pub looping: bool,
    /// Start paused (the sink first receives the state before frame 0).
    pub paused: bool,
}

impl Default for PlayOptions {
    fn default() -> Self {
        PlayOptions {
            speed: 1.0,
            looping: false,
            paused: false,
        }
    }
}

/// What [`Player::run`] can be told while it plays.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Command {
    /// Play from the cursor.
    Play,
    /// Stop at the cursor; the sink keeps the current frame.
    Pause,
    /// Go to the last frame at or before this time (the play state stays).
    Seek(Duration),
    /// Go to this frame (the play state stays).
    SeekFrame(u64),
    /// Pause, then play the next frame at once.
    Step,
    /// Pause, then go back one frame.
    StepBack,
    /// Change the speed (clamped to [`SPEED_RANGE`]).
    Speed(f64),
    /// Turn looping on or off.
    Loop(bool),
    /// End [`Player::run`].
    Stop,
}

/// Why playing stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum PlayError {
    /// The capture could not be read further.
    #[error(transparent)]
    Capture(#[from] CaptureError),
    /// The sink refused a write.
    #[error("cannot replay mapping {name}: {source}")]
    Sink {
        /// The mapping's name.
        name: String,
        /// The sink's error.
        #[source]
        source: io::Error,
    },
    /// A speed outside [`SPEED_RANGE`] or not a number.
    #[error("speed {0} is not from 0.01 to 100")]
    BadSpeed(f64),
}

/// What a [`Player::run`] did.
#[derive(Debug, Clone)]
pub struct PlayReport {
    /// Frames written to the sink.
    pub frames: u64,
    /// Times playback started again from the first frame.
    pub loops: u64,
    /// Whether it ended on [`Command::Stop`] (or a closed channel while
    /// paused) rather than at the end of the capture.
    pub stopped: bool,
    /// How late timed frames were written.
    pub lateness: Lateness,
}

/// Plays a capture. Drive it with [`Player::run`] on its own thread and a
/// channel of [`Command`]s, or call [`Player::step`], [`Player::seek`] and
/// friends directly (the desktop Inspector stepping a paused replay).
#[derive(Debug)]
pub struct Player {
    reader: CaptureReader,
    speed: f64,
    looping: bool,
    paused: bool,
    /// (monotonic ns, capture time) that deadlines count from.
    anchor: Option<(u64, Duration)>,
    lateness: Lateness,
    frames: u64,
    loops: u64,
    observer: Observer,
}

/// Called with the cursor (frame number, time) whenever the sink changed.
type CursorFn = Box<dyn FnMut(Option<u64>, Duration) + Send>;

#[derive(Default)]
struct Observer(Option<CursorFn>);

impl std::fmt::Debug for Observer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Observer(set)"
        } else {
            "Observer(none)"
        })
    }
}

enum Flow {
    Continue,
    Stop,
}

impl Player {
    /// A player of `reader` from its cursor.
    pub fn new(reader: CaptureReader, options: &PlayOptions) -> Result<Player, PlayError> {
        let speed = check_speed(options.speed)?;
        Ok(Player {
            reader,
            speed,
            looping: options.looping,
            paused: options.paused,
            anchor: None,
            lateness: Lateness::default(),
            frames: 0,
            loops: 0,
            observer: Observer::default(),
        })
    }

    /// The capture's header.
    pub fn header(&self) -> &crate::CaptureHeader {
        self.reader.header()
    }

    /// Calls `observer` with the cursor (frame number, or `None` before
    /// the first frame; capture time) each time the sink was written: a
    /// frame played, a seek, a step. It runs on the playing thread, so it
    /// must be quick (store into atomics).
    pub fn on_frame(&mut self, observer: impl FnMut(Option<u64>, Duration) + Send + 'static) {
        self.observer = Observer(Some(Box::new(observer)));
    }

    fn notify(&mut self) {
        if let Some(observer) = &mut self.observer.0 {
            observer(
                self.reader.position(),
                self.reader.time().unwrap_or_default(),
            );
        }
    }

    /// The reader; its cursor is the frame the sink has received.
    pub fn reader(&self) -> &CaptureReader {
        &self.reader
    }

    /// Whether the player is paused.
    pub fn is_paused(&self) -> bool {
        self.paused
    }

    /// The current speed.
    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// How late timed frames were written so far.
    pub fn lateness(&self) -> &Lateness {
        &self.lateness
    }

    /// Gives the sink every mapping's state and full contents at the cursor.
    pub fn sync(&mut self, sink: &mut dyn Sink) -> Result<(), PlayError> {
        for m in 0..self.reader.header().mappings.len() {
            let state = self.reader.state(m);
            self.sink(m, sink.state(m, state))?;
            if state != MappingState::Missing {
                self.sink(m, sink.write(m, 0, self.reader.mapping(m)))?;
            }
        }
        self.notify();
        Ok(())
    }

    /// Plays the next frame now, untimed. `None` at the end.
    pub fn step(&mut self, sink: &mut dyn Sink) -> Result<Option<Frame>, PlayError> {
        let Some(frame) = self.reader.next_frame()? else {
            return Ok(None);
        };
        self.write_frame(&frame, sink)?;
        Ok(Some(frame))
    }

    /// Goes back one frame and syncs the sink. `None` when that is before
    /// the first frame.
    pub fn step_back(&mut self, sink: &mut dyn Sink) -> Result<Option<Frame>, PlayError> {
        let frame = self.reader.step_back()?;
        self.sync(sink)?;
        Ok(frame)
    }

    /// Goes to the last frame at or before `time` and syncs the sink.
    pub fn seek(
        &mut self,
        time: Duration,
        sink: &mut dyn Sink,
    ) -> Result<Option<Frame>, PlayError> {
        let frame = self.reader.seek_time(time)?;
        self.sync(sink)?;
        self.anchor = Some((monotonic_ns(), time));
        Ok(frame)
    }

    /// Goes to frame `index` and syncs the sink.
    pub fn seek_frame(&mut self, index: u64, sink: &mut dyn Sink) -> Result<Frame, PlayError> {
        let frame = self.reader.seek_frame(index)?;
        self.sync(sink)?;
        self.anchor = Some((monotonic_ns(), frame.time));
        Ok(frame)
    }

    /// Plays until the end (or forever when looping) or [`Command::Stop`].
    /// First syncs the sink to the cursor. Lowers this thread's timer slack.
    /// A closed channel while playing is no command; while paused, a stop.
    pub fn run(
        &mut self,
        sink: &mut dyn Sink,
        commands: &Receiver<Command>,
    ) -> Result<PlayReport, PlayError> {
        set_timer_slack(1000);
        self.sync(sink)?;
        self.anchor = None;
        let mut connected = true;
        loop {
            while connected {
                match commands.try_recv() {
                    Ok(command) => {
                        if let Flow::Stop = self.handle(command, sink)? {
                            return Ok(self.report(true));
                        }
                    }
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => connected = false,
                }
            }
            if self.paused {
                let Ok(command) = commands.recv() else {
                    return Ok(self.report(true));
                };
                if let Flow::Stop = self.handle(command, sink)? {
                    return Ok(self.report(true));
                }
                continue;
            }
            let Some(frame) = self.reader.next_frame()? else {
                if !self.looping || self.reader.frame_count() == 0 {
                    return Ok(self.report(false));
                }
                self.reader.rewind();
                self.sync(sink)?;
                self.anchor = None;
                self.loops += 1;
                continue;
            };
            let (anchor_ns, anchor_time) = *self.anchor.get_or_insert((monotonic_ns(), frame.time));
            let offset = frame.time.saturating_sub(anchor_time).as_nanos() as f64 / self.speed;
            let deadline = anchor_ns + offset as u64;
            if connected {
                match wait_for_command(commands, deadline) {
                    Waited::Deadline => {}
                    Waited::Disconnected => connected = false,
                    Waited::Command(command) => {
                        // Take the frame back: the sink has not seen it.
                        self.reader.step_back()?;
                        if let Flow::Stop = self.handle(command, sink)? {
                            return Ok(self.report(true));
                        }
                        continue;
                    }
                }
            }
            wait_precisely(deadline);
            self.lateness
                .record(monotonic_ns().saturating_sub(deadline));
            self.write_frame(&frame, sink)?;
        }
    }

    fn handle(&mut self, command: Command, sink: &mut dyn Sink) -> Result<Flow, PlayError> {
        match command {
            Command::Play => {
                self.paused = false;
                self.reanchor();
            }
            Command::Pause => self.paused = true,
            Command::Seek(time) => {
                self.seek(time, sink)?;
            }
            Command::SeekFrame(index) => {
                // A frame past the end goes to the last one.
                let last = self.reader.frame_count().saturating_sub(1);
                if self.reader.frame_count() > 0 {
                    self.seek_frame(index.min(last), sink)?;
                }
            }
            Command::Step => {
                self.paused = true;
                self.step(sink)?;
            }
            Command::StepBack => {
                self.paused = true;
                self.step_back(sink)?;
            }
            Command::Speed(speed) => {
                self.speed = speed.clamp(SPEED_RANGE.0, SPEED_RANGE.1);
                if speed.is_nan() {
                    self.speed = 1.0;
                }
                self.reanchor();
            }
            Command::Loop(looping) => self.looping = looping,
            Command::Stop => return Ok(Flow::Stop),
        }
        Ok(Flow::Continue)
    }

    /// Deadlines count from now and the cursor's time (the next frame
    /// plays at once when the cursor is before the first).
    fn reanchor(&mut self) {
        self.anchor = self.reader.time().map(|t| (monotonic_ns(), t));
    }

    fn write_frame(&mut self, frame: &Frame, sink: &mut dyn Sink) -> Result<(), PlayError> {
        let page_size = self.reader.header().page_size as usize;
        let mut whole = Vec::new();
        for change in &frame.changes {
            match *change {
                Change::State { mapping, state } => {
                    self.sink(mapping, sink.state(mapping, state))?;
                    if state.is_present() {
                        whole.push(mapping);
                    }
                }
                Change::Page { mapping, page } if !whole.contains(&mapping) => {
                    let image = self.reader.mapping(mapping);
                    let start = page * page_size;
                    let end = (start + page_size).min(image.len());
                    self.sink(mapping, sink.write(mapping, start, &image[start..end]))?;
                }
                Change::Page { .. } => {}
            }
        }
        for mapping in whole {
            self.sink(
                mapping,
                sink.write(mapping, 0, self.reader.mapping(mapping)),
            )?;
        }
        self.frames += 1;
        self.notify();
        Ok(())
    }

    fn sink(&self, mapping: usize, result: io::Result<()>) -> Result<(), PlayError> {
        result.map_err(|source| PlayError::Sink {
            name: self.reader.header().mappings[mapping].name.clone(),
            source,
        })
    }

    fn report(&self, stopped: bool) -> PlayReport {
        PlayReport {
            frames: self.frames,
            loops: self.loops,
            stopped,
            lateness: self.lateness.clone(),
        }
    }
}

fn check_speed(speed: f64) -> Result<f64, PlayError> {
    if (SPEED_RANGE.0..=SPEED_RANGE.1).contains(&speed) {
        Ok(speed)
    } else {
        Err(PlayError::BadSpeed(speed))
    }
}

enum Waited {
    Deadline,
    Command(Command),
    Disconnected,
}

/// Waits on the channel until [`COARSE_WAIT`] before `deadline`.
fn wait_for_command(commands: &Receiver<Command>, deadline: u64) -> Waited {
    let coarse = COARSE_WAIT.as_nanos() as u64;
    loop {
        let now = monotonic_ns();
        if deadline.saturating_sub(now) <= coarse {
            return Waited::Deadline;
        }
        let wait = Duration::from_nanos(deadline - now - coarse / 2);
        match commands.recv_timeout(wait) {
            Ok(command) => return Waited::Command(command),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return Waited::Disconnected,
        }
    }
}

/// Sleeps until [`SPIN`] before `deadline`, then spins to it.
fn wait_precisely(deadline: u64) {
    let spin = SPIN.as_nanos() as u64;
    if deadline > monotonic_ns() + spin {
        sleep_until_ns(deadline - spin);
    }
    while monotonic_ns() < deadline {
        std::hint::spin_loop();
    }
}
