//! The loaded set of profiles: built-ins, overridden or extended by the
//! user's directory.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::RwLock;

use serde::Serialize;

use super::builtin::{BUILTIN, display_path};
use super::problem::Problem;
use super::profile::{Profile, exe_basename};
use super::validate::{Parsed, Rejection, Strictness, parse_profile_with};

/// Largest profile file read, in bytes; bigger files are rejected unread.
pub const MAX_FILE_BYTES: u64 = 1 << 20;

/// Environment variable naming the user profile directory.
pub const DIR_ENV: &str = "BRIDGEKEEPER_PROFILES_DIR";

/// Where a profile file comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// Shipped in the binary.
    BuiltIn,
    /// The user's profile directory.
    User,
}

/// A profile that loaded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    /// Built-in or user.
    pub origin: Origin,
    /// The file, as shown in messages.
    pub file: String,
    /// The built-in file this user profile replaces, by id.
    pub overrides: Option<String>,
    /// The profile.
    pub profile: Profile,
    /// What the user should still look at: breaches of the size rule and
    /// pages a known reader opens that the profile lacks (user profiles
    /// only; built-ins with such problems do not load).
    pub warnings: Vec<Problem>,
}

/// A profile file that did not load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectedFile {
    /// Built-in or user.
    pub origin: Origin,
    /// The file, as shown in messages.
    pub file: String,
    /// Its id, when it got far enough to have one.
    pub id: Option<String>,
    /// What is wrong with it.
    pub problems: Vec<Problem>,
}

/// The profiles in use, plus the files that were rejected.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Catalog {
    entries: Vec<Entry>,
    rejected: Vec<RejectedFile>,
}

/// A catalog shared with a [`super::CatalogReloader`], which replaces it when
/// the user directory changes.
pub type SharedCatalog = Arc<RwLock<Catalog>>;

/// The user profile directory: `$BRIDGEKEEPER_PROFILES_DIR` when set, else
/// `$XDG_CONFIG_HOME/bridgekeeper/profiles` (`~/.config/...`). `None` when
/// there is no home directory.
pub fn default_user_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(DIR_ENV).filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    directories::BaseDirs::new().map(|b| b.config_dir().join("bridgekeeper").join("profiles"))
}

/// A profile file that loaded, with its warnings.
pub type CheckedFile = Parsed;

/// Reads and validates one user profile file, as `bridgekeeper profiles
/// --check` does: breaches of the reader rules are warnings.
pub fn check_file(path: &Path) -> Result<CheckedFile, RejectedFile> {
    check_file_with(path, Strictness::User)
}

/// Reads and validates one profile file with the reader rules applied as
/// `strictness` says (`--check --builtin` applies them as to built-ins).
pub fn check_file_with(path: &Path, strictness: Strictness) -> Result<CheckedFile, RejectedFile> {
    let file = path.display().to_string();
    let reject = |id, problems| RejectedFile {
        origin: Origin::User,
        file: file.clone(),
        id,
        problems,
    };
    let text = read_limited(path).map_err(|p| reject(None, vec![p]))?;
    parse_profile_with(&file, &text, strictness)
        .map_err(|Rejection { id, problems }| reject(id, problems))
}

fn read_limited(path: &Path) -> Result<String, Problem> {
    let file = path.display().to_string();
    let unreadable = |err: std::io::Error| {
        Problem::new(
            &file,
            "",
            None,
            format!("cannot read the file: {err}"),
            "check that it exists and is readable",
        )
    };
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(unreadable)?
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(Problem::new(
            &file,
            "",
            None,
            format!("the file is larger than {MAX_FILE_BYTES} bytes"),
            "a profile is a short TOML file; check that this is the right file",
        ));
    }
    String::from_utf8(bytes).map_err(|err| {
        let at = err.utf8_error().valid_up_to();
        let text = String::from_utf8_lossy(err.as_bytes()).into_owned();
        Problem::new(
            &file,
            &text,
            Some(at),
            "the file is not valid UTF-8",
            "save it as UTF-8",
        )
    })
}

impl Catalog {
    /// Only the built-in profiles.
    pub fn builtin() -> Self {
        Self::load(None)
    }

    /// The built-in profiles plus the `*.toml` files of `user_dir` (not
    /// recursive; hidden files are skipped). A user profile replaces the
    /// built-in one with the same id. A missing directory simply adds
    /// nothing; every bad file is kept in [`Catalog::rejected`] and the
    /// others still load.
    pub fn load(user_dir: Option<&Path>) -> Self {
        Self::load_dirs(user_dir)
    }

    /// Like [`Catalog::load`], with several user directories read in order.
    /// A profile id defined in two user files is kept from the first and the
    /// second file is rejected with a problem that names both.
    pub fn load_dirs<'a>(user_dirs: impl IntoIterator<Item = &'a Path>) -> Self {
        let mut catalog = Catalog::default();
        for (name, text) in BUILTIN {
            catalog.add(Origin::BuiltIn, display_path(name), Ok((*text).to_string()));
        }
        for dir in user_dirs {
            for (file, text) in read_user_dir(dir, &mut catalog.rejected) {
                catalog.add(Origin::User, file, text);
            }
        }
        catalog
            .entries
            .sort_by(|a, b| a.profile.id.cmp(&b.profile.id));
        catalog
    }

    fn add(&mut self, origin: Origin, file: String, text: Result<String, Problem>) {
        let parsed = text
            .map_err(|p| Rejection {
                id: None,
                problems: vec![p],
            })
            .and_then(|text| {
                let strictness = match origin {
                    Origin::BuiltIn => Strictness::BuiltIn,
                    Origin::User => Strictness::User,
                };
                parse_profile_with(&file, &text, strictness)
            });
        let Parsed { profile, warnings } = match parsed {
            Ok(parsed) => parsed,
            Err(Rejection { id, problems }) => {
                self.rejected.push(RejectedFile {
                    origin,
                    file,
                    id,
                    problems,
                });
                return;
            }
        };
        let same_id = self.entries.iter().position(|e| e.profile.id == profile.id);
        match same_id {
            Some(i) if self.entries[i].origin == Origin::BuiltIn && origin == Origin::User => {
                let replaced = std::mem::replace(
                    &mut self.entries[i],
                    Entry {
                        origin,
                        file,
                        overrides: None,
                        profile,
                        warnings,
                    },
                );
                self.entries[i].overrides = Some(replaced.file);
            }
            Some(i) => {
                let other = self.entries[i].file.clone();
                let problem = Problem::new(
                    &file,
                    "",
                    None,
                    format!("profile id {:?} is already defined in {other}", profile.id),
                    "give one of the two profiles another id, or remove one file",
                );
                self.rejected.push(RejectedFile {
                    origin,
                    file,
                    id: Some(profile.id),
                    problems: vec![problem],
                });
            }
            None => self.entries.push(Entry {
                origin,
                file,
                overrides: None,
                profile,
                warnings,
            }),
        }
    }

    /// The profiles in use, sorted by id.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The files that did not load, with their problems.
    pub fn rejected(&self) -> &[RejectedFile] {
        &self.rejected
    }

    /// The profile with this id.
    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.profile.id == id)
    }

    /// The profile listing this Steam appid. User profiles win over
    /// built-ins when both list it.
    pub fn by_appid(&self, appid: u32) -> Option<&Entry> {
        self.preferring_user(|p| p.appids.contains(&appid))
    }

    /// The profile whose live exe (or else launcher exe) is `exe`, a
    /// basename or path compared case-insensitively. User profiles win over
    /// built-ins when both list it.
    pub fn by_exe(&self, exe: &str) -> Option<&Entry> {
        let base = exe_basename(exe);
        self.preferring_user(|p| p.is_live_exe(base))
            .or_else(|| self.preferring_user(|p| p.matches_exe(base)))
    }

    fn preferring_user(&self, want: impl Fn(&Profile) -> bool) -> Option<&Entry> {
        let mut matches = self.entries.iter().filter(|e| want(&e.profile));
        let first = matches.next()?;
        if first.origin == Origin::User {
            return Some(first);
        }
        matches.find(|e| e.origin == Origin::User).or(Some(first))
    }
}

/// `(display path, text or problem)` of each `*.toml` file in `dir`, sorted
/// by file name. A directory that cannot be listed is recorded in `rejected`.
fn read_user_dir(
    dir: &Path,
    rejected: &mut Vec<RejectedFile>,
) -> Vec<(String, Result<String, Problem>)> {
    let listing = match std::fs::read_dir(dir) {
        Ok(listing) => listing,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(err) => {
            let file = dir.display().to_string();
            rejected.push(RejectedFile {
                origin: Origin::User,
                problems: vec![Problem::new(
                    &file,
                    "",
                    None,
                    format!("cannot list the profile directory: {err}"),
                    "check that it is a readable directory",
                )],
                file,
                id: None,
            });
            return Vec::new();
        }
    };
    let mut paths: Vec<PathBuf> = listing
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| is_profile_file(path) && path.is_file())
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| (path.display().to_string(), read_limited(&path)))
        .collect()
}

/// A visible file named `*.toml`.
pub(crate) fn is_profile_file(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    !name.starts_with('.')
        && path
            .extension()
            .is_some_and(|ext| ext.eq_ignore_ascii_case("toml"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_profile_loads() {
        let catalog = Catalog::builtin();
        assert!(catalog.rejected().is_empty(), "{:#?}", catalog.rejected());
        assert_eq!(catalog.entries().len(), BUILTIN.len());
        for entry in catalog.entries() {
            assert_eq!(entry.origin, Origin::BuiltIn);
            assert!(!entry.profile.live_exes.is_empty(), "{}", entry.profile.id);
            assert!(!entry.profile.appids.is_empty(), "{}", entry.profile.id);
            for m in &entry.profile.mappings {
                assert!(
                    !m.source.is_empty(),
                    "{} {}: no source",
                    entry.profile.id,
                    m.name
                );
                assert_eq!(m.size.bytes() % 4096, 0, "{} {}", entry.profile.id, m.name);
            }
        }
    }

    #[test]
    fn the_builtin_list_covers_the_profiles_directory() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../profiles");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".toml") && n != "readers.toml")
            .collect();
        on_disk.sort();
        let mut listed: Vec<String> = BUILTIN.iter().map(|(n, _)| n.to_string()).collect();
        listed.sort();
        assert_eq!(on_disk, listed);
    }

    #[test]
    fn builtins_keep_the_reader_rules_and_user_copies_only_warn() {
        let text = BUILTIN
            .iter()
            .find(|(name, _)| *name == "assetto-corsa-rally.toml")
            .unwrap()
            .1
            .replacen("size = 4096", "size = 8192", 1);
        let rejected = parse_profile_with("profiles/x.toml", &text, Strictness::BuiltIn)
            .expect_err("a built-in above simd's ceiling is rejected");
        assert_eq!(rejected.problems.len(), 1, "{:#?}", rejected.problems);
        let parsed = parse_profile_with("x.toml", &text, Strictness::User).unwrap();
        assert_eq!(parsed.warnings.len(), 1, "{:#?}", parsed.warnings);
        assert_eq!(parsed.warnings[0], {
            let mut p = rejected.problems[0].clone();
            p.file = "x.toml".into();
            p
        });
    }

    #[test]
    fn lookups_by_appid_and_exe() {
        let catalog = Catalog::builtin();
        assert_eq!(
            catalog.by_appid(244210).unwrap().profile.id,
            "assetto-corsa"
        );
        assert_eq!(
            catalog.by_appid(1786210).unwrap().profile.id,
            "automobilista-2"
        );
        assert!(catalog.by_appid(42).is_none());
        assert_eq!(
            catalog.by_exe("ACS.EXE").unwrap().profile.id,
            "assetto-corsa"
        );
        assert_eq!(
            catalog.by_exe("assettocorsa.exe").unwrap().profile.id,
            "assetto-corsa"
        );
        assert_eq!(
            catalog
                .by_exe("C:\\Games\\LMU\\le mans ultimate.exe")
                .unwrap()
                .profile
                .id,
            "le-mans-ultimate"
        );
        assert_eq!(
            catalog.by_exe("/x/pcars2avx.exe").unwrap().profile.id,
            "project-cars-2"
        );
        assert!(catalog.by_exe("notepad.exe").is_none());
        assert!(catalog.get("rfactor-2").is_some());
    }

    #[test]
    fn files_are_read_with_limits() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.toml");
        std::fs::write(&big, vec![b' '; MAX_FILE_BYTES as usize + 1]).unwrap();
        let err = check_file(&big).unwrap_err();
        assert!(err.problems[0].message.contains("larger than"));
        let latin1 = dir.path().join("latin1.toml");
        std::fs::write(&latin1, b"id = \"x\"\nname = \"caf\xe9\"\n").unwrap();
        let err = check_file(&latin1).unwrap_err();
        assert_eq!(err.problems[0].line, Some(2));
        assert!(err.problems[0].message.contains("UTF-8"));
        let missing = check_file(&dir.path().join("missing.toml")).unwrap_err();
        assert!(missing.problems[0].message.contains("cannot read"));
    }

    #[test]
    fn only_visible_toml_files_count() {
        assert!(is_profile_file(Path::new("/a/x.toml")));
        assert!(is_profile_file(Path::new("/a/x.TOML")));
        assert!(!is_profile_file(Path::new("/a/.#x.toml")));
        assert!(!is_profile_file(Path::new("/a/x.toml.swp")));
        assert!(!is_profile_file(Path::new("/a/x.toml~")));
    }
}
