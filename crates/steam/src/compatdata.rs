//! Wine prefixes: `steamapps/compatdata/<appid>/` in any library, and the
//! `config_info` file Proton leaves there.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::fsutil;
use super::model::PrefixState;
use super::warning::Warning;

/// The prefix chosen for one app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefixFound {
    /// The chosen `compatdata/<appid>` directory, if any exists.
    pub compat_data: Option<PathBuf>,
    /// Its `pfx/` directory, if it exists.
    pub pfx: Option<PathBuf>,
    /// Whether the prefix is set up.
    pub state: PrefixState,
    /// Other `compatdata/<appid>` directories holding a `pfx/` that lost.
    pub others: Vec<PathBuf>,
}

/// The `compatdata/<appid>` folders of every library, each `compatdata`
/// listed once. Looking each app up in each library instead cost a failed
/// `stat` per app and library: 2 000 of them for 500 apps in five
/// libraries, most of `bridgekeeper games`' time.
#[derive(Debug, Clone, Default)]
pub struct CompatIndex {
    /// Each library's `steamapps` folder and the appids named in its
    /// `compatdata`.
    libraries: Vec<(PathBuf, HashSet<u32>)>,
}

impl CompatIndex {
    /// Lists `compatdata` in each of `steamapps`, in order; a library
    /// without one holds no prefix.
    pub fn read(steamapps: &[&Path]) -> CompatIndex {
        let libraries = steamapps
            .iter()
            .map(|apps| {
                let ids = std::fs::read_dir(apps.join("compatdata"))
                    .map(|entries| {
                        entries
                            .flatten()
                            .filter_map(|e| e.file_name().to_str()?.parse().ok())
                            .collect()
                    })
                    .unwrap_or_default();
                (apps.to_path_buf(), ids)
            })
            .collect();
        CompatIndex { libraries }
    }

    /// The `compatdata/<appid>` folders of `appid`, in library order.
    fn folders(&self, appid: u32) -> impl Iterator<Item = PathBuf> + '_ {
        self.libraries
            .iter()
            .filter(move |(_, ids)| ids.contains(&appid))
            .map(move |(apps, _)| apps.join("compatdata").join(appid.to_string()))
    }
}

/// Finds the prefix of `appid` among the libraries' `compatdata` folders.
/// When several libraries hold one, the one whose `pfx.lock` is newest wins
/// (protontricks' rule); `running` (the game's `STEAM_COMPAT_DATA_PATH`)
/// overrides the search.
pub fn find_prefix(appid: u32, index: &CompatIndex, running: Option<&Path>) -> PrefixFound {
    if let Some(dir) = running {
        let (pfx, state) = inspect(dir);
        return PrefixFound {
            compat_data: Some(dir.to_path_buf()),
            pfx,
            state,
            others: Vec::new(),
        };
    }
    let mut with_pfx = Vec::new();
    let mut first_dir = None;
    for dir in index.folders(appid) {
        if !dir.is_dir() {
            continue;
        }
        if dir.join("pfx").is_dir() {
            let lock = std::fs::metadata(dir.join("pfx.lock"))
                .ok()
                .filter(|m| m.is_file());
            let lock_time = lock.as_ref().and_then(|m| m.modified().ok());
            with_pfx.push((lock.is_some(), lock_time, dir));
        } else if first_dir.is_none() {
            first_dir = Some(dir);
        }
    }
    // Newest lock first; a prefix with a lock beats one without.
    with_pfx.sort_by_key(|(has_lock, time, _)| std::cmp::Reverse((*has_lock, *time)));
    let mut iter = with_pfx.into_iter();
    match iter.next() {
        Some((has_lock, _, dir)) => PrefixFound {
            pfx: Some(dir.join("pfx")),
            state: if has_lock {
                PrefixState::Ready
            } else {
                PrefixState::Incomplete
            },
            compat_data: Some(dir),
            others: iter.map(|(_, _, dir)| dir).collect(),
        },
        None => PrefixFound {
            compat_data: first_dir,
            pfx: None,
            state: PrefixState::None,
            others: Vec::new(),
        },
    }
}

fn inspect(compat_data: &Path) -> (Option<PathBuf>, PrefixState) {
    let pfx = compat_data.join("pfx");
    if !pfx.is_dir() {
        return (None, PrefixState::None);
    }
    let state = if compat_data.join("pfx.lock").is_file() {
        PrefixState::Ready
    } else {
        PrefixState::Incomplete
    };
    (Some(pfx), state)
}

/// What `compatdata/<appid>/config_info` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigInfo {
    /// The file it came from.
    pub file: PathBuf,
    /// The prefix schema version (line 1), e.g. `9.0-203`.
    pub prefix_version: String,
    /// The Proton directory that last set the prefix up.
    pub proton_dir: PathBuf,
}

/// Reads `config_info` in `compat_data`. A missing file gives `None` with no
/// warning (the app never ran, or an old Proton ran it).
pub fn read_config_info(compat_data: &Path, warnings: &mut Vec<Warning>) -> Option<ConfigInfo> {
    let file = compat_data.join("config_info");
    let text = match fsutil::read_lossy(&file) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return None,
        Err(err) => {
            warnings.push(Warning::io(&file, &err));
            return None;
        }
    };
    let info = parse_config_info(&text, &file);
    if info.is_none() {
        warnings.push(Warning::new(
            &file,
            "does not name the Proton directory that last ran the prefix; ignored",
        ));
    }
    info
}

/// Parses `config_info` text: line 1 is the prefix version, line 2 the
/// Proton's `files/share/fonts/` (older builds: `dist/`), lines 3 and 4 its
/// `lib` directories, used when line 2 does not fit.
pub fn parse_config_info(text: &str, file: &Path) -> Option<ConfigInfo> {
    let mut lines = text.lines();
    let prefix_version = lines.next()?.trim().to_owned();
    const SUFFIXES: [&str; 6] = [
        "/files/share/fonts",
        "/dist/share/fonts",
        "/files/lib",
        "/dist/lib",
        "/files/lib64",
        "/dist/lib64",
    ];
    let proton_dir = lines.take(3).find_map(|line| {
        let line = line.trim_end_matches(['\r', '\n']).trim_end_matches('/');
        SUFFIXES
            .iter()
            .find_map(|s| line.strip_suffix(s))
            .filter(|dir| dir.starts_with('/'))
            .map(PathBuf::from)
    })?;
    Some(ConfigInfo {
        file: file.to_path_buf(),
        prefix_version,
        proton_dir,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::time::{Duration, SystemTime};

    #[test]
    fn parses_proton_9_config_info() {
        let text = "9.0-203\n/s/steamapps/common/Proton 9.0 (Beta)/files/share/fonts/\n/s/steamapps/common/Proton 9.0 (Beta)/files/lib/\n";
        let info = parse_config_info(text, Path::new("/c")).unwrap();
        assert_eq!(info.prefix_version, "9.0-203");
        assert_eq!(
            info.proton_dir,
            PathBuf::from("/s/steamapps/common/Proton 9.0 (Beta)")
        );
        let old = "5.0-10\n/p/Proton 5.0/dist/share/fonts/\n";
        assert_eq!(
            parse_config_info(old, Path::new("/c")).unwrap().proton_dir,
            PathBuf::from("/p/Proton 5.0")
        );
        assert!(parse_config_info("9.0\ngarbage\n", Path::new("/c")).is_none());
        assert!(parse_config_info("", Path::new("/c")).is_none());
    }

    #[test]
    fn newest_lock_wins() {
        let tmp = tempfile::tempdir().unwrap();
        let a = tmp.path().join("a/steamapps");
        let b = tmp.path().join("b/steamapps");
        for (lib, age) in [(&a, 100), (&b, 10)] {
            let dir = lib.join("compatdata/7");
            std::fs::create_dir_all(dir.join("pfx")).unwrap();
            let lock = std::fs::File::create(dir.join("pfx.lock")).unwrap();
            lock.set_modified(SystemTime::now() - Duration::from_secs(age))
                .unwrap();
        }
        let index = CompatIndex::read(&[&a, &b]);
        let found = find_prefix(7, &index, None);
        assert_eq!(found.pfx, Some(b.join("compatdata/7/pfx")));
        assert_eq!(found.state, PrefixState::Ready);
        assert_eq!(found.others, vec![a.join("compatdata/7")]);
        let none = find_prefix(8, &index, None);
        assert_eq!(none.state, PrefixState::None);
        assert_eq!(none.pfx, None);
    }

    proptest! {
        #[test]
        fn config_info_never_panics(text in "\\PC{0,300}") {
            let _ = parse_config_info(&text, Path::new("/c"));
        }
    }
}
