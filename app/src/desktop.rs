//! The app's main loop: the tray (on its own thread), and the window opened
//! with `eframe::run_native_ext` whenever asked.
//!
//! Closing the window closes it for real (the Wayland-safe way: a hidden
//! window cannot be shown again there); the app stays in the tray and opens
//! a new window on "Show window", with the same state and egui memory.
//!
//! Nothing here runs on a timer. The main loop sleeps on one channel of
//! [`ShellEvent`]s: tray clicks, and "the state changed" from the workers
//! (discovery, attach, the session registry's watcher …). While the window
//! is open, eframe owns the main thread and the same news arrives as a
//! repaint request, so an idle window draws no frames at all.

use std::cell::{Cell, RefCell};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use crate::actions::{self, Action};
use crate::auto_attach::AutoAttach;
use crate::session_watch::SessionWatch;
use crate::state::{DesktopState, Env, SharedState, lock};
use crate::tray::{Tray, TrayCommand, menu_model};
use crate::ui::{BridgekeeperApp, Tab};
use bridgekeeper_bus::Backend as _;

/// Set (to anything) to start in the tray only.
pub const HIDDEN_ENV: &str = "BRIDGEKEEPER_HIDDEN";

/// Set to a file name: the window saves a PNG screenshot there once it has
/// drawn, then the app exits (used by the smoke test).
pub const SCREENSHOT_ENV: &str = "BRIDGEKEEPER_SCREENSHOT";

/// With [`SCREENSHOT_ENV`]: the tab to show, `games` (the default),
/// `sessions`, or `inspector` (the first mapping of the first session).
pub const SCREENSHOT_TAB_ENV: &str = "BRIDGEKEEPER_SCREENSHOT_TAB";

/// With [`SCREENSHOT_ENV`]: a file to write every text the screenshot's
/// frame painted into ([`crate::ui::screen_text`]), for the screenshot test
/// to check.
pub const SCREENSHOT_TEXT_ENV: &str = "BRIDGEKEEPER_SCREENSHOT_TEXT";

/// The window's size for screenshots: AppStream's recommended 16:10.
const SCREENSHOT_SIZE: [f32; 2] = [1280.0, 800.0];

/// The frame a screenshot is taken of: a few frames for discovery and the
/// header images to land and the layout to settle.
const SCREENSHOT_FRAME: u32 = 30;

/// The tab the window opens on: `games` (the default), `sessions` or
/// `settings` (`scripts/bench-app` measures the Sessions tab with it).
pub const TAB_ENV: &str = "BRIDGEKEEPER_TAB";

/// What wakes the main loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShellEvent {
    /// A click on the tray icon or its menu.
    Tray(TrayCommand),
    /// A worker changed the state: the tray may need a new look.
    Changed,
}

/// What lives on the main thread across windows: the tray, its commands,
/// the watchers.
struct Shell {
    shared: SharedState,
    tray: RefCell<Option<Tray>>,
    events: Receiver<ShellEvent>,
    watcher: RefCell<AutoAttach>,
    quit: Cell<bool>,
    _sessions: SessionWatch,
}

impl Shell {
    /// Does what arrived on the channel (without waiting); returns the
    /// commands about the window.
    fn pump(&self) -> Vec<TrayCommand> {
        let mut window = Vec::new();
        while let Ok(event) = self.events.try_recv() {
            if let ShellEvent::Tray(command) = event {
                self.handle(command, &mut window);
            }
        }
        self.watcher.borrow_mut().sync(&self.shared);
        if let Some(tray) = self.tray.borrow_mut().as_mut() {
            let (entries, look) = menu_model::of_state(&lock(&self.shared));
            tray.update(entries, look);
        }
        window
    }

    fn handle(&self, command: TrayCommand, window: &mut Vec<TrayCommand>) {
        match command {
            TrayCommand::Attach(a) => actions::run(&self.shared, Action::Attach(a)),
            TrayCommand::Stop(a) => actions::run(&self.shared, Action::Stop(a)),
            TrayCommand::SetAutoAttach(on) => {
                actions::run(&self.shared, Action::SetAutoAttach(on));
            }
            TrayCommand::Quit => self.quit.set(true),
            TrayCommand::ShowWindow | TrayCommand::ToggleWindow => window.push(command),
        }
    }
}

/// The eframe app: the panels plus the shell's chores.
struct Window<'a> {
    app: BridgekeeperApp,
    shell: &'a Shell,
    screenshot: Option<PathBuf>,
    frames: u32,
    shot_saved: Arc<AtomicBool>,
}

impl eframe::App for Window<'_> {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        {
            let mut state = lock(&self.shell.shared);
            if state.listeners.window.is_none() {
                state.listeners.window = Some(ctx.clone());
            }
        }
        for command in self.shell.pump() {
            match command {
                TrayCommand::ToggleWindow => ctx.send_viewport_cmd(egui::ViewportCommand::Close),
                _ => ctx.send_viewport_cmd(egui::ViewportCommand::Focus),
            }
        }
        if self.shell.quit.get() || self.shot_saved.load(Ordering::Relaxed) {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
        if let Some(path) = &self.screenshot {
            self.frames += 1;
            if self.frames == SCREENSHOT_FRAME {
                let (path, done, ctx2) = (path.clone(), self.shot_saved.clone(), ctx.clone());
                ctx.request_screenshot(move |image| {
                    if let Err(e) = save_png(&path, &image) {
                        eprintln!("bridgekeeper: cannot save {}: {e}", path.display());
                    }
                    done.store(true, Ordering::Relaxed);
                    ctx2.request_repaint();
                });
            }
            ctx.request_repaint_after(Duration::from_millis(30));
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.app.show(ui);
        if self.screenshot.is_some()
            && self.frames == SCREENSHOT_FRAME
            && let Some(path) = std::env::var_os(SCREENSHOT_TEXT_ENV)
        {
            let text = crate::ui::screen_text::painted_text(ui.ctx());
            if let Err(e) = std::fs::write(&path, text) {
                eprintln!(
                    "bridgekeeper: cannot write {}: {e}",
                    std::path::Path::new(&path).display()
                );
            }
        }
    }
}

/// Writes an egui image as PNG.
pub fn save_png(path: &std::path::Path, image: &egui::ColorImage) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let file = std::io::BufWriter::new(std::fs::File::create(path)?);
    let [w, h] = image.size;
    let mut encoder = png::Encoder::new(file, w as u32, h as u32);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(std::io::Error::other)?;
    let bytes: Vec<u8> = image.pixels.iter().flat_map(|p| p.to_array()).collect();
    writer
        .write_image_data(&bytes)
        .map_err(std::io::Error::other)?;
    writer.finish().map_err(std::io::Error::other)
}

/// Runs the app: tray plus window. Without a tray host bus (no D-Bus
/// session), closing the window quits.
pub fn run() -> anyhow::Result<ExitCode> {
    let mut state = DesktopState::new(Env::from_env());
    if let Ok(config) = &mut state.env.sessions {
        config.keep_files |= state.settings.keep_files;
    }
    let (tx, events) = mpsc::channel();
    let changed = tx.clone();
    state.listeners.main_loop = Some(Box::new(move || {
        let _ = changed.send(ShellEvent::Changed);
    }));
    let shared = state.shared();
    actions::reload_profiles(&shared);
    actions::run(&shared, Action::RefreshGames);
    // Once before any window, so the first frame (and a screenshot of the
    // sessions) has them; the registry's watcher keeps them current.
    actions::refresh_sessions(&shared);
    // The D-Bus interface and notifications (one owner at a time: with
    // `bridgekeeper watch` running too, whichever started first serves).
    let registry = crate::bus::DesktopBackend(shared.clone()).registry();
    let (_bus, bus_events) = crate::bus::start(
        Arc::new(crate::bus::DesktopBackend(shared.clone())),
        registry,
    );

    let (entries, look) = menu_model::of_state(&lock(&shared));
    let clicks = shared.clone();
    let on_command = move |command| {
        let _ = tx.send(ShellEvent::Tray(command));
        lock(&clicks).wake_window();
    };
    let tray = match Tray::start(on_command, entries, look) {
        Ok(t) => Some(t),
        Err(e) => {
            tracing::warn!("no tray icon ({e}); closing the window quits");
            None
        }
    };
    let screenshot = std::env::var_os(SCREENSHOT_ENV).map(PathBuf::from);
    let mut show = std::env::var_os(HIDDEN_ENV).is_none() || tray.is_none() || screenshot.is_some();
    let shell = Shell {
        shared: shared.clone(),
        tray: RefCell::new(tray),
        events,
        watcher: RefCell::new(AutoAttach::reporting_to(bus_events)),
        quit: Cell::new(false),
        _sessions: SessionWatch::start(&shared),
    };
    shell.watcher.borrow_mut().sync(&shared);
    let ctx = egui::Context::default();
    let mut first = BridgekeeperApp::new(shared.clone());
    match std::env::var(TAB_ENV).as_deref() {
        Ok("sessions") => first.tab = Tab::Sessions,
        Ok("settings") => first.tab = Tab::Settings,
        _ => {}
    }
    let mut app = Some(first);
    loop {
        if show {
            let panels = app
                .take()
                .unwrap_or_else(|| BridgekeeperApp::new(shared.clone()));
            let returned = Arc::new(parking_lot::Mutex::new(None));
            open_window(&shell, &ctx, panels, screenshot.clone(), returned.clone())?;
            app = returned.lock().take();
            if let Some(panels) = &app {
                panels.pause();
            }
            lock(&shared).listeners.window = None;
            if shell.quit.get() || shell.tray.borrow().is_none() || screenshot.is_some() {
                break;
            }
        }
        let mut window = Vec::new();
        match shell.events.recv() {
            Ok(ShellEvent::Tray(command)) => shell.handle(command, &mut window),
            Ok(ShellEvent::Changed) => {}
            Err(_) => break,
        }
        window.extend(shell.pump());
        show = !window.is_empty();
        if shell.quit.get() {
            break;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Wraps the panels so they come back when the window closes.
struct Keep<'a> {
    window: Window<'a>,
    returned: Arc<parking_lot::Mutex<Option<BridgekeeperApp>>>,
}

impl eframe::App for Keep<'_> {
    fn logic(&mut self, ctx: &egui::Context, frame: &mut eframe::Frame) {
        self.window.logic(ctx, frame);
    }

    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        self.window.ui(ui, frame);
    }
}

impl Drop for Keep<'_> {
    fn drop(&mut self) {
        let panels = std::mem::replace(
            &mut self.window.app,
            BridgekeeperApp::new(self.window.shell.shared.clone()),
        );
        *self.returned.lock() = Some(panels);
    }
}

/// Opens the tab [`SCREENSHOT_TAB_ENV`] names.
fn show_for_screenshot(panels: &mut BridgekeeperApp, shared: &SharedState) {
    panels.tab = Tab::Games;
    match std::env::var(SCREENSHOT_TAB_ENV).as_deref() {
        Ok("sessions") => panels.tab = Tab::Sessions,
        Ok("inspector") => {
            let first = lock(shared).sessions.iter().find_map(|s| {
                let m = s.mappings.first()?;
                Some((m.name.clone(), m.file.clone(), s.profile.clone()))
            });
            match first {
                Some((title, file, profile)) => panels.inspect(&title, file, &profile),
                None => tracing::warn!("no session to inspect; showing the games"),
            }
        }
        _ => {}
    }
}

/// The app icon for the window (the desktop file's icon is used where the
/// compositor matches the app ID; X11 window managers read this one).
fn window_icon() -> egui::IconData {
    match crate::tray::icons::decode(crate::tray::icons::APP_ICON_PNG) {
        Ok(icon) => egui::IconData {
            rgba: icon.rgba,
            width: icon.width,
            height: icon.height,
        },
        Err(e) => {
            tracing::warn!("no window icon: {e}");
            egui::IconData::default()
        }
    }
}

fn open_window(
    shell: &Shell,
    ctx: &egui::Context,
    mut panels: BridgekeeperApp,
    screenshot: Option<PathBuf>,
    returned: Arc<parking_lot::Mutex<Option<BridgekeeperApp>>>,
) -> anyhow::Result<()> {
    if screenshot.is_some() {
        show_for_screenshot(&mut panels, &shell.shared);
    }
    let options = eframe::NativeOptions {
        renderer: eframe::Renderer::Glow,
        viewport: egui::ViewportBuilder::default()
            .with_title("Bridgekeeper")
            .with_app_id(bridgekeeper_host::program::APP_ID)
            .with_icon(window_icon())
            .with_inner_size(if screenshot.is_some() {
                SCREENSHOT_SIZE
            } else {
                [1200.0, 800.0]
            }),
        ..Default::default()
    };
    let window = Window {
        app: panels,
        shell,
        screenshot,
        frames: 0,
        shot_saved: Arc::new(AtomicBool::new(false)),
    };
    tracing::info!("window opened");
    let result = eframe::run_native_ext(
        "Bridgekeeper",
        options,
        Some(ctx.clone()),
        Box::new(move |_cc| Ok(Box::new(Keep { window, returned }))),
    )
    .map_err(|e| {
        anyhow::anyhow!(
            "cannot open the window: {e}. Is DISPLAY or WAYLAND_DISPLAY set? Without a desktop, \
             `bridgekeeper watch` attaches to games with no window (see `bridgekeeper --help`)"
        )
    });
    tracing::info!("window closed");
    result
}
