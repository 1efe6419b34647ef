//! The command line, and the defaults that make the reader behave like simd
//! watching Assetto Corsa Competizione.
//!
//! Every file is named `NAME=SIZE` with the same validation the bridge uses
//! (`bridgekeeper_protocol::MappingSpec`), so a name can never reach a path
//! with `/` or `..` in it. Giving `--compat` or `--read` once replaces that
//! whole default set: a test names exactly the files it means.

use std::path::PathBuf;
use std::time::Duration;

use bridgekeeper_protocol::{MappingSpec, SpecError, find_duplicate};
use clap::{Parser, ValueEnum};

/// The files simd creates, sizes with `ftruncate` and maps at start in its
/// default "memmap" mode, in its order (simapi `simapi_compatmap_open`).
pub const SIMD_COMPAT_SET: [(&str, u64); 6] = [
    ("$pcars2$", 102_288),
    ("$R3E", 64_000),
    ("acpmf_physics", 2048),
    ("acpmf_graphics", 2048),
    ("acpmf_static", 2048),
    ("acpmf_crewchief", 16_000),
];

/// The files simd opens (`O_RDWR | O_CREAT`, mode 0600) and maps read-only
/// when it finds an Assetto Corsa family game, with the length it maps (the
/// size of simapi's struct for each page), in its order (simapi
/// `simapi_init`, Assetto Corsa case).
pub const SIMD_ACC_READ_SET: [(&str, u64); 4] = [
    ("acpmf_physics", 800),
    ("acpmf_static", 720),
    ("acpmf_graphics", 564),
    ("acpmf_crewchief", 15_660),
];

/// How simd treats the game's files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    /// simd's default: create, truncate and map the compat set at start,
    /// zero it when a session ends, delete it at exit.
    Memmap,
    /// `simd --nomemmap`: only open and map the read set.
    Nomemmap,
}

/// Command line of `bridgekeeper-simlike-reader`.
#[derive(Debug, Parser)]
#[command(
    name = "bridgekeeper-simlike-reader",
    about = "Reads bridged game files the way simd does (truncates, zeroes and deletes them in memmap mode), printing JSON lines",
    after_help = "Signals: SIGUSR1 = a session ended (memmap mode zeroes the compat files); \
                  SIGTERM or SIGINT = exit cleanly (memmap mode deletes the compat files)."
)]
pub struct Args {
    /// simd's mode: memmap (its default) or nomemmap.
    #[arg(long, value_enum, default_value = "memmap")]
    pub mode: Mode,

    /// Directory of the backing files (simd always uses /dev/shm).
    #[arg(long, default_value = "/dev/shm")]
    pub dir: PathBuf,

    /// A file simd truncates to SIZE and maps in memmap mode (repeatable;
    /// default: $pcars2$=102288 $R3E=64000 acpmf_physics=2048
    /// acpmf_graphics=2048 acpmf_static=2048 acpmf_crewchief=16000).
    #[arg(long = "compat", value_name = "NAME=SIZE", value_parser = MappingSpec::parse)]
    pub compat: Vec<MappingSpec>,

    /// A file simd opens with O_CREAT and maps SIZE bytes of, read-only
    /// (repeatable; default: the ACC set acpmf_physics=800 acpmf_static=720
    /// acpmf_graphics=564 acpmf_crewchief=15660).
    #[arg(long = "read", value_name = "NAME=SIZE", value_parser = MappingSpec::parse)]
    pub read: Vec<MappingSpec>,

    /// Permission bits for files it creates, in octal, before the umask
    /// (simd: 600).
    #[arg(long, value_name = "OCTAL", default_value = "600", value_parser = parse_file_mode)]
    pub file_mode: u32,

    /// The read file whose packetId, gear, rpms and speedKmh are printed
    /// (offsets of the Kunos physics page).
    #[arg(long, value_name = "NAME", default_value = "acpmf_physics")]
    pub physics: String,

    /// Sampling period (simd maps data every 16 ms).
    #[arg(long, value_name = "MS", default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=60_000))]
    pub interval_ms: u64,

    /// Behave as if a session ended this long after start (as SIGUSR1 does).
    #[arg(long, value_name = "MS")]
    pub session_end_after_ms: Option<u64>,

    /// Exit cleanly this long after start (as SIGTERM does).
    #[arg(long, value_name = "MS")]
    pub run_ms: Option<u64>,

    /// Refuse to start while this file exists, create it, and remove it on a
    /// clean exit (simd uses /tmp/simd.pid; a crash leaves it behind).
    #[arg(long, value_name = "PATH")]
    pub pid_file: Option<PathBuf>,

    /// Do not read every page of the read set at start. simd reads fields
    /// spread over each page on its first pass; by default this reader reads
    /// one byte of every mapped page, so a page past the end of a file kills
    /// it with SIGBUS exactly where simd's reads could.
    #[arg(long)]
    pub no_touch: bool,
}

/// Why the permission bits were rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileModeError {
    #[error("--file-mode {0:?} is not an octal number such as 600")]
    NotOctal(String),
    #[error("--file-mode {0:o} has bits outside 777; give permission bits only, such as 600")]
    TooWide(u32),
}

/// Why a valid-looking command line still cannot run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArgsError {
    #[error("--compat: {0}")]
    DuplicateCompat(SpecError),
    #[error("--read: {0}")]
    DuplicateRead(SpecError),
}

/// Parses permission bits written in octal (`600`, `0600`, `0o600`).
pub fn parse_file_mode(text: &str) -> Result<u32, FileModeError> {
    let digits = text.trim();
    let digits = digits.strip_prefix("0o").unwrap_or(digits);
    let mode = u32::from_str_radix(digits, 8).map_err(|_| FileModeError::NotOctal(text.into()))?;
    if mode > 0o777 {
        return Err(FileModeError::TooWide(mode));
    }
    Ok(mode)
}

/// What the reader does, with the defaults applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// simd's mode.
    pub mode: Mode,
    /// Directory of the backing files.
    pub dir: PathBuf,
    /// Files truncated and mapped at start (memmap mode only).
    pub compat: Vec<MappingSpec>,
    /// Files opened and mapped read-only.
    pub read: Vec<MappingSpec>,
    /// Permission bits of created files.
    pub file_mode: u32,
    /// File name of the physics page.
    pub physics: String,
    /// Sampling period.
    pub interval: Duration,
    /// When to behave as if a session ended.
    pub session_end_after: Option<Duration>,
    /// When to exit.
    pub run_for: Option<Duration>,
    /// simd-like pid file.
    pub pid_file: Option<PathBuf>,
    /// Read every mapped page at start.
    pub touch: bool,
}

fn default_specs(set: &[(&str, u64)]) -> Vec<MappingSpec> {
    set.iter()
        .map(|(name, size)| {
            MappingSpec::parse(&format!("{name}={size}")).expect("built-in specs are valid")
        })
        .collect()
}

impl Args {
    /// Applies the defaults and checks that no file is named twice.
    pub fn into_config(self) -> Result<Config, ArgsError> {
        let compat = match self.mode {
            Mode::Nomemmap => Vec::new(),
            Mode::Memmap if self.compat.is_empty() => default_specs(&SIMD_COMPAT_SET),
            Mode::Memmap => self.compat,
        };
        let read = if self.read.is_empty() {
            default_specs(&SIMD_ACC_READ_SET)
        } else {
            self.read
        };
        if let Some(e) = find_duplicate(compat.iter().map(|s| &s.name)) {
            return Err(ArgsError::DuplicateCompat(e));
        }
        if let Some(e) = find_duplicate(read.iter().map(|s| &s.name)) {
            return Err(ArgsError::DuplicateRead(e));
        }
        Ok(Config {
            mode: self.mode,
            dir: self.dir,
            compat,
            read,
            file_mode: self.file_mode,
            physics: self.physics,
            interval: Duration::from_millis(self.interval_ms),
            session_end_after: self.session_end_after_ms.map(Duration::from_millis),
            run_for: self.run_ms.map(Duration::from_millis),
            pid_file: self.pid_file,
            touch: !self.no_touch,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(args: &[&str]) -> Result<Config, String> {
        let mut argv = vec!["bridgekeeper-simlike-reader"];
        argv.extend_from_slice(args);
        let args = Args::try_parse_from(argv).map_err(|e| e.to_string())?;
        args.into_config().map_err(|e| e.to_string())
    }

    fn files(specs: &[MappingSpec]) -> Vec<(String, u64)> {
        specs
            .iter()
            .map(|s| (s.name.file_name(), s.size.bytes()))
            .collect()
    }

    #[test]
    fn defaults_are_simd_in_memmap_mode_watching_acc() {
        let c = config(&[]).unwrap();
        assert_eq!(c.mode, Mode::Memmap);
        assert_eq!(c.dir, PathBuf::from("/dev/shm"));
        assert_eq!(
            files(&c.compat),
            vec![
                ("$pcars2$".to_string(), 102_288),
                ("$R3E".to_string(), 64_000),
                ("acpmf_physics".to_string(), 2048),
                ("acpmf_graphics".to_string(), 2048),
                ("acpmf_static".to_string(), 2048),
                ("acpmf_crewchief".to_string(), 16_000),
            ]
        );
        assert_eq!(
            files(&c.read),
            vec![
                ("acpmf_physics".to_string(), 800),
                ("acpmf_static".to_string(), 720),
                ("acpmf_graphics".to_string(), 564),
                ("acpmf_crewchief".to_string(), 15_660),
            ]
        );
        assert_eq!(c.file_mode, 0o600);
        assert_eq!(c.physics, "acpmf_physics");
        assert_eq!(c.interval, Duration::from_millis(16));
        assert_eq!(c.session_end_after, None);
        assert_eq!(c.run_for, None);
        assert_eq!(c.pid_file, None);
        assert!(c.touch);
    }

    #[test]
    fn nomemmap_has_no_compat_set_even_when_one_is_given() {
        let c = config(&["--mode", "nomemmap"]).unwrap();
        assert_eq!(c.mode, Mode::Nomemmap);
        assert!(c.compat.is_empty());
        assert_eq!(c.read.len(), 4);
        let c = config(&["--mode", "nomemmap", "--compat", "x=1"]).unwrap();
        assert!(c.compat.is_empty());
    }

    #[test]
    fn given_files_replace_the_defaults() {
        let c = config(&[
            "--dir",
            "/dev/shm/t",
            "--compat",
            "acpmf_physics=2048",
            "--read",
            "Local\\acpmf_physics=800",
            "--read",
            "$R3E=0x1000",
            "--file-mode",
            "0644",
            "--interval-ms",
            "5",
            "--session-end-after-ms",
            "300",
            "--run-ms",
            "900",
            "--pid-file",
            "/tmp/x.pid",
            "--no-touch",
        ])
        .unwrap();
        assert_eq!(c.dir, PathBuf::from("/dev/shm/t"));
        assert_eq!(files(&c.compat), vec![("acpmf_physics".to_string(), 2048)]);
        assert_eq!(
            files(&c.read),
            vec![
                ("acpmf_physics".to_string(), 800),
                ("$R3E".to_string(), 4096)
            ]
        );
        assert_eq!(c.file_mode, 0o644);
        assert_eq!(c.interval, Duration::from_millis(5));
        assert_eq!(c.session_end_after, Some(Duration::from_millis(300)));
        assert_eq!(c.run_for, Some(Duration::from_millis(900)));
        assert_eq!(c.pid_file, Some(PathBuf::from("/tmp/x.pid")));
        assert!(!c.touch);
    }

    #[test]
    fn bad_files_are_refused_with_the_value_and_the_rule() {
        let e = config(&["--read", "acpmf_physics"]).unwrap_err();
        assert!(e.contains("is not NAME=SIZE"), "{e}");
        let e = config(&["--read", "../etc/passwd=10"]).unwrap_err();
        assert!(e.contains("'/'"), "{e}");
        let e = config(&["--compat", "a..b=10"]).unwrap_err();
        assert!(e.contains("'..'"), "{e}");
        let e = config(&["--read", "x=0"]).unwrap_err();
        assert!(e.contains("size 0 is not allowed"), "{e}");
        let e = config(&["--read", "x=4k"]).unwrap_err();
        assert!(e.contains("not a whole number"), "{e}");
        let e = config(&["--read", "a=1", "--read", "Local\\a=2"]).unwrap_err();
        assert!(e.contains("--read") && e.contains("same section"), "{e}");
        let e = config(&["--compat", "a=1", "--compat", "a=2"]).unwrap_err();
        assert!(e.contains("--compat") && e.contains("same section"), "{e}");
    }

    #[test]
    fn bad_options_are_refused() {
        let e = config(&["--mode", "fast"]).unwrap_err();
        assert!(e.contains("fast"), "{e}");
        let e = config(&["--interval-ms", "0"]).unwrap_err();
        assert!(e.contains("interval-ms"), "{e}");
        let e = config(&["--run-ms", "soon"]).unwrap_err();
        assert!(e.contains("soon"), "{e}");
        let e = config(&["--unknown"]).unwrap_err();
        assert!(e.contains("--unknown"), "{e}");
    }

    #[test]
    fn file_modes() {
        assert_eq!(parse_file_mode("600"), Ok(0o600));
        assert_eq!(parse_file_mode("0777"), Ok(0o777));
        assert_eq!(parse_file_mode("0o640"), Ok(0o640));
        assert_eq!(
            parse_file_mode("689"),
            Err(FileModeError::NotOctal("689".into()))
        );
        assert_eq!(
            parse_file_mode("rw-------"),
            Err(FileModeError::NotOctal("rw-------".into()))
        );
        assert_eq!(parse_file_mode("4755"), Err(FileModeError::TooWide(0o4755)));
        let e = config(&["--file-mode", "9"]).unwrap_err();
        assert!(e.contains("not an octal number"), "{e}");
    }
}
