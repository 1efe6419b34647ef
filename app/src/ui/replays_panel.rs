//! Replays: open a capture file (or the built-in demo) and play it into
//! /dev/shm as a session, with play, pause, frame steps, seek, speed and
//! loop; and the recordings made with the Sessions tab's Record buttons.
//!
//! The replay itself is `bridgekeeper_sessions::replay`, the same code as
//! `bridgekeeper replay` and `demo`: a session in the registry, so the
//! Sessions tab and the Inspector show it like a game's; stepping a paused
//! replay rewrites the files frame by frame, and the Inspector shows each.
//! Opening a file and creating the session touch the disk, so they run on
//! a worker thread; the panel keeps the handle once it is up, and dropping
//! the panel (the app quits) stops the replay and removes its files.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::Duration;

use bridgekeeper_capture::{CaptureReader, Command, PlayOptions};
use bridgekeeper_sessions::Registry;
use bridgekeeper_sessions::replay::{ReplayHandle, ReplayPlan};

use super::recordings::Recordings;

/// A replay under way.
#[derive(Debug)]
pub struct Playing {
    /// Its handle (stops the replay when dropped).
    pub handle: ReplayHandle,
    /// What is played.
    pub name: String,
    /// Frames in the capture.
    pub frames: u64,
    /// Length of the capture.
    pub duration: Duration,
    /// Whether it was paused from here.
    pub paused: bool,
}

/// What to play.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A capture file.
    File(PathBuf),
    /// The built-in demo capture.
    Demo,
}

/// The Replays panel's state.
#[derive(Debug)]
pub struct ReplaysPanel {
    /// The capture file typed in.
    pub path: String,
    /// Speed for the next play (and the one playing).
    pub speed: f64,
    /// Loop at the end.
    pub looping: bool,
    /// The replay playing, if any.
    pub playing: Option<Playing>,
    /// A replay being started on a worker thread.
    starting: Option<Receiver<Result<Playing, String>>>,
    /// The last problem, in a sentence.
    pub error: Option<String>,
    /// How the last replay ended.
    pub ended: Option<String>,
    /// The Record buttons' recordings.
    pub recordings: Recordings,
}

impl Default for ReplaysPanel {
    fn default() -> Self {
        ReplaysPanel {
            path: String::new(),
            speed: 1.0,
            looping: true,
            playing: None,
            starting: None,
            error: None,
            ended: None,
            recordings: Recordings::default(),
        }
    }
}

/// Where replays go: the app's session registry and backing-file folder.
#[derive(Debug, Clone)]
pub struct Target {
    /// The session registry.
    pub registry: Registry,
    /// The folder of the files (the sessions' `/dev/shm`).
    pub dir: PathBuf,
}

/// Opens `source` and starts its replay session in the registry.
pub fn start(target: &Target, source: &Source, options: &PlayOptions) -> Result<Playing, String> {
    let (reader, plan, name) = match source {
        Source::File(path) => {
            let reader = CaptureReader::open(path).map_err(|e| e.to_string())?;
            let plan = ReplayPlan::new(path, reader.header(), &target.dir);
            (reader, plan, path.display().to_string())
        }
        Source::Demo => {
            let reader = crate::demo_sim::demo_reader().map_err(|e| e.to_string())?;
            let plan = crate::demo_sim::demo_plan(&ReplayPlan::new(
                Path::new(crate::demo_sim::DEMO_NAME),
                reader.header(),
                &target.dir,
            ));
            (reader, plan, "the built-in demo".to_string())
        }
    };
    let catalog =
        bridgekeeper_profiles::Catalog::load(bridgekeeper_profiles::default_user_dir().as_deref());
    let plan = plan.with_profile_rules(&catalog);
    let (frames, duration) = (reader.frame_count(), reader.duration());
    let handle =
        ReplayHandle::start(&target.registry, &plan, reader, options).map_err(|e| e.to_string())?;
    Ok(Playing {
        handle,
        name,
        frames,
        duration,
        paused: options.paused,
    })
}

impl ReplaysPanel {
    /// Starts playing `source` (stopping what plays now) on a worker thread.
    pub fn play(&mut self, target: Target, source: Source) {
        self.playing = None;
        self.error = None;
        self.ended = None;
        let options = PlayOptions {
            speed: self.speed,
            looping: self.looping,
            paused: false,
        };
        let (sender, receiver) = std::sync::mpsc::channel();
        self.starting = Some(receiver);
        std::thread::spawn(move || {
            let _ = sender.send(start(&target, &source, &options));
        });
    }

    /// Waits for a replay being started (tests and the demo button).
    pub fn wait_started(&mut self, timeout: Duration) {
        if let Some(receiver) = self.starting.take() {
            match receiver.recv_timeout(timeout) {
                Ok(started) => self.started(started),
                Err(_) => self.error = Some("the replay did not start in time".into()),
            }
        }
    }

    fn started(&mut self, started: Result<Playing, String>) {
        match started {
            Ok(playing) => self.playing = Some(playing),
            Err(err) => self.error = Some(err),
        }
    }

    /// Sends `command` to the replay playing.
    pub fn send(&mut self, command: Command) {
        if let Some(playing) = &mut self.playing {
            match command {
                Command::Pause | Command::Step | Command::StepBack => playing.paused = true,
                Command::Play => playing.paused = false,
                _ => {}
            }
            playing.handle.send(command);
        }
    }

    /// Picks up what the worker threads finished.
    fn poll(&mut self) {
        if let Some(receiver) = &self.starting {
            match receiver.try_recv() {
                Ok(started) => {
                    self.starting = None;
                    self.started(started);
                }
                Err(TryRecvError::Empty) => {}
                Err(TryRecvError::Disconnected) => self.starting = None,
            }
        }
        if self
            .playing
            .as_ref()
            .is_some_and(|p| p.handle.is_finished())
            && let Some(playing) = self.playing.take()
        {
            self.ended = Some(match playing.handle.wait() {
                Ok(report) => format!(
                    "{} ended: {} frames played; its files are removed",
                    playing.name, report.frames
                ),
                Err(err) => format!("{} stopped: {err}", playing.name),
            });
        }
        self.recordings.poll();
    }

    /// Draws the panel.
    pub fn ui(&mut self, ui: &mut egui::Ui, target: &Target) {
        self.poll();
        ui.heading("Replays");
        ui.label(
            "Play a capture (bridgekeeper record, or the Record button of a session) into \
             /dev/shm as a session of its own: dashboards and the Inspector see it like the game.",
        );
        ui.horizontal_wrapped(|ui| {
            ui.label("Capture file:");
            ui.add(
                egui::TextEdit::singleline(&mut self.path)
                    .hint_text("/path/to/session.bkcap")
                    .desired_width(320.0),
            );
            let path = self.path.trim().to_string();
            if ui
                .add_enabled(!path.is_empty(), egui::Button::new("Open and play"))
                .clicked()
            {
                self.play(target.clone(), Source::File(PathBuf::from(path)));
            }
            if ui.button("Play the demo").clicked() {
                self.play(target.clone(), Source::Demo);
            }
        });
        ui.horizontal(|ui| {
            let speed = ui.add(
                egui::Slider::new(&mut self.speed, 0.1..=10.0)
                    .logarithmic(true)
                    .text("speed"),
            );
            if speed.changed() {
                let speed = self.speed;
                self.send(Command::Speed(speed));
            }
            if ui.checkbox(&mut self.looping, "Loop").changed() {
                let looping = self.looping;
                self.send(Command::Loop(looping));
            }
        });
        if self.starting.is_some() {
            ui.label("Starting…");
            ui.ctx().request_repaint_after(Duration::from_millis(50));
        }
        if let Some(error) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
        if let Some(ended) = &self.ended {
            ui.label(ended);
        }
        self.controls(ui);
        self.recordings_ui(ui, target);
    }

    fn controls(&mut self, ui: &mut egui::Ui) {
        let Some(playing) = &self.playing else {
            return;
        };
        let position = playing.handle.position();
        let frame = position.frame.load(Ordering::Relaxed);
        let time = Duration::from_nanos(position.time_ns.load(Ordering::Relaxed));
        let (paused, total) = (playing.paused, playing.duration);
        let mut command = None;
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.strong(format!(
                "{} · session {}",
                playing.name,
                playing.handle.record().id
            ));
            ui.label(format!(
                "frame {frame} of {} · {:.2} s of {:.2} s{}",
                playing.frames,
                time.as_secs_f64(),
                total.as_secs_f64(),
                if paused { " · paused" } else { "" }
            ));
            ui.horizontal(|ui| {
                command = step_buttons(ui, paused);
                if ui.button("Stop replay").clicked() {
                    command = Some(Command::Stop);
                }
            });
            let mut seconds = time.as_secs_f64();
            let seek = ui.add(
                egui::Slider::new(&mut seconds, 0.0..=total.as_secs_f64().max(0.001))
                    .text("s")
                    .show_value(true),
            );
            if seek.changed() {
                command = Some(Command::Seek(Duration::from_secs_f64(seconds.max(0.0))));
            }
        });
        if let Some(command) = command {
            self.send(command);
        }
        if !paused {
            ui.ctx().request_repaint_after(Duration::from_millis(100));
        }
    }

    /// A one-line strip over the Inspector while a replay plays: the
    /// frame, Play or Pause, and frame steps, so a paused replay can be
    /// examined frame by frame where its bytes are shown.
    pub fn inspector_strip(&mut self, ui: &mut egui::Ui) {
        self.poll();
        let Some(playing) = &self.playing else {
            return;
        };
        let frame = playing.handle.position().frame.load(Ordering::Relaxed);
        let paused = playing.paused;
        let mut command = None;
        ui.horizontal(|ui| {
            ui.label(format!("Replay: frame {frame} of {}", playing.frames));
            command = step_buttons(ui, paused);
        });
        if let Some(command) = command {
            self.send(command);
        }
    }

    fn recordings_ui(&mut self, ui: &mut egui::Ui, target: &Target) {
        if self.recordings.done.is_empty() {
            return;
        }
        ui.separator();
        ui.strong("Recordings of this run");
        let mut open = None;
        for (file, outcome) in &self.recordings.done {
            ui.horizontal_wrapped(|ui| {
                ui.label(format!("{} · {outcome}", file.display()));
                if ui.button("Play").clicked() {
                    open = Some(file.clone());
                }
            });
        }
        if let Some(file) = open {
            self.path = file.display().to_string();
            self.play(target.clone(), Source::File(file));
        }
    }
}

/// Play or Pause, Previous frame, Next frame; the command pressed.
fn step_buttons(ui: &mut egui::Ui, paused: bool) -> Option<Command> {
    let mut command = None;
    if paused {
        if ui.button("Play").clicked() {
            command = Some(Command::Play);
        }
    } else if ui.button("Pause").clicked() {
        command = Some(Command::Pause);
    }
    if ui
        .button("Previous frame")
        .on_hover_text("pause and go back one frame")
        .clicked()
    {
        command = Some(Command::StepBack);
    }
    if ui
        .button("Next frame")
        .on_hover_text("pause and play one frame")
        .clicked()
    {
        command = Some(Command::Step);
    }
    command
}
