//! The known Linux readers of bridged files (`profiles/readers.toml`,
//! compiled in) and which of them open each mapping.
//!
//! Failure mode: a reader that maps more of a file than the file holds dies
//! of `SIGBUS` (C) or refuses to start (Python); one that truncates a file
//! below the game's section loses the game's pages past the cut, and the game
//! faults. Profiles therefore record, per mapping, every known reader that
//! opens it, how much it maps, whether it truncates and whether it creates a
//! missing file ([`ReaderUse`]); the size rule ([`super::SizeBounds`]) is
//! computed from those records. This catalog says who each reader is, how to
//! recognise its process, whether it fights the bridge and what the user
//! should do, and which files it opens for which game, so that a profile
//! missing one of them is caught.

use std::collections::HashSet;
use std::sync::OnceLock;

use bridgekeeper_protocol::MappingName;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::builtin::{READERS, display_path};
use super::problem::Problem;
use super::validate::{ID_FIX, Rejection, is_valid_id, toml_problem};

/// What a reader does to a file it did not create.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fight {
    /// Cuts the file to its own size (`ftruncate`).
    Truncates,
    /// Writes zeros over it.
    Zeroes,
    /// Removes it (`shm_unlink`).
    Deletes,
}

/// How to recognise a reader's process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProcessMatch {
    /// `/proc/PID/comm`, compared on its first 15 bytes.
    pub comm: String,
    /// A word `/proc/PID/cmdline` must contain (for interpreters).
    pub cmdline: Option<String>,
    /// `Some(true)`: maps bridged files with write permission; `Some(false)`:
    /// read-only; `None`: either. Tells two modes of one program apart.
    pub writable_maps: Option<bool>,
}

impl ProcessMatch {
    /// Whether a process with this `comm`, these `cmdline` words and (when
    /// known) write permission on a mapped bridged file is this reader.
    pub fn matches(&self, comm: &str, cmdline: &[&str], writable_maps: Option<bool>) -> bool {
        let wanted = truncate_comm(&self.comm);
        truncate_comm(comm) == wanted
            && self
                .cmdline
                .as_deref()
                .is_none_or(|word| cmdline.iter().any(|arg| arg.contains(word)))
            && match (self.writable_maps, writable_maps) {
                (Some(want), Some(seen)) => want == seen,
                _ => true,
            }
    }
}

/// The first 15 bytes of `comm`, as the kernel keeps it.
fn truncate_comm(comm: &str) -> &[u8] {
    let bytes = comm.as_bytes();
    &bytes[..bytes.len().min(15)]
}

/// Files a reader opens for some games.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Opens {
    /// The games, by live exe (compared case-insensitively).
    pub exes: Vec<String>,
    /// The files, as Win32 mapping names.
    #[serde(serialize_with = "win32_names")]
    pub files: Vec<MappingName>,
}

/// A known reader.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reader {
    /// Referred to by profiles' `[[mapping.reader]]`.
    pub id: String,
    /// For people.
    pub name: String,
    /// Where its source lives (GitHub `owner/name`).
    pub project: String,
    /// The commit (and date) whose source the facts come from.
    pub version: String,
    /// How to recognise its process.
    pub process: ProcessMatch,
    /// What it does to files it did not create; empty when it never touches
    /// them.
    pub fights: Vec<Fight>,
    /// One sentence: what the user should do.
    pub fix: String,
    /// Files and lines the facts come from.
    pub source: String,
    /// Which files it opens for which games.
    pub opens: Vec<Opens>,
}

impl Reader {
    /// Whether it truncates, zeroes or deletes files it did not create.
    pub fn fights(&self) -> bool {
        !self.fights.is_empty()
    }

    /// The files it opens for a game with this live exe.
    pub fn files_for_exe<'a>(&'a self, exe: &'a str) -> impl Iterator<Item = &'a MappingName> {
        self.opens
            .iter()
            .filter(move |o| o.exes.iter().any(|e| e.eq_ignore_ascii_case(exe)))
            .flat_map(|o| &o.files)
    }
}

/// Every known reader.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReaderCatalog {
    readers: Vec<Reader>,
}

impl ReaderCatalog {
    /// The compiled-in catalog (`profiles/readers.toml`). Should it ever fail
    /// to load (the crate's tests keep it valid), the failure is logged and
    /// the catalog is empty, so every profile naming a reader is rejected
    /// with a message rather than the program stopping.
    pub fn builtin() -> &'static ReaderCatalog {
        static CATALOG: OnceLock<ReaderCatalog> = OnceLock::new();
        CATALOG.get_or_init(|| {
            ReaderCatalog::parse(&display_path("readers.toml"), READERS).unwrap_or_else(|r| {
                for problem in &r.problems {
                    tracing::error!("{problem}");
                }
                ReaderCatalog::default()
            })
        })
    }

    /// Parses and validates a readers file. `file` is only used in messages.
    pub fn parse(file: &str, text: &str) -> Result<ReaderCatalog, Rejection> {
        let raw: RawCatalog = toml::from_str(text).map_err(|err| Rejection {
            id: None,
            problems: vec![toml_problem(file, text, &err)],
        })?;
        let mut problems = Vec::new();
        let mut report = |at: usize, message: String, fix: &str| {
            problems.push(Problem::new(file, text, Some(at), message, fix));
        };
        let mut seen = HashSet::new();
        let mut readers = Vec::new();
        for r in raw.readers {
            let id = r.id.get_ref();
            if !is_valid_id(id) {
                report(
                    r.id.span().start,
                    format!("reader id {id:?} is not a valid id"),
                    ID_FIX,
                );
            } else if !seen.insert(id.clone()) {
                report(
                    r.id.span().start,
                    format!("reader {id:?} is defined twice"),
                    "give each [[reader]] its own id",
                );
            }
            for (key, value) in [
                ("name", &r.name),
                ("project", &r.project),
                ("version", &r.version),
                ("fix", &r.fix),
                ("source", &r.source),
            ] {
                if value.get_ref().trim().is_empty() {
                    report(
                        value.span().start,
                        format!("reader {id:?}: `{key}` is empty"),
                        "fill it in: readers are facts with a version and a source",
                    );
                }
            }
            let comm = r.process.comm.get_ref();
            if comm.is_empty() || comm.len() > 15 || comm.contains('/') {
                report(
                    r.process.comm.span().start,
                    format!("reader {id:?}: comm {comm:?} is not a process name"),
                    "give /proc/PID/comm as the kernel shows it: 1 to 15 bytes, no '/'",
                );
            }
            let mut opens = Vec::new();
            for o in r.opens {
                let mut files = Vec::new();
                for f in &o.files {
                    match MappingName::parse(f.get_ref()) {
                        Ok(name) => files.push(name),
                        Err(err) => report(
                            f.span().start,
                            format!("reader {id:?} opens {:?}: {err}", f.get_ref()),
                            "use the file's Win32 mapping name, as profiles do",
                        ),
                    }
                }
                if o.exes.is_empty() || o.exes.iter().any(|e| e.get_ref().trim().is_empty()) {
                    report(
                        o.files
                            .first()
                            .map_or(r.id.span().start, |f| f.span().start),
                        format!("reader {id:?}: an [[reader.opens]] has no exe or an empty one"),
                        "list the live exes of the games for which it opens these files",
                    );
                }
                opens.push(Opens {
                    exes: o.exes.into_iter().map(Spanned::into_inner).collect(),
                    files,
                });
            }
            readers.push(Reader {
                id: r.id.into_inner(),
                name: r.name.into_inner(),
                project: r.project.into_inner(),
                version: r.version.into_inner(),
                process: ProcessMatch {
                    comm: r.process.comm.into_inner(),
                    cmdline: r.process.cmdline,
                    writable_maps: r.process.writable_maps,
                },
                fights: r.fights,
                fix: r.fix.into_inner(),
                source: r.source.into_inner(),
                opens,
            });
        }
        if readers.is_empty() && problems.is_empty() {
            problems.push(Problem::new(
                file,
                text,
                None,
                "the file has no [[reader]]",
                "add the known readers",
            ));
        }
        problems.sort_by_key(|p| (p.line, p.column));
        if problems.is_empty() {
            Ok(ReaderCatalog { readers })
        } else {
            Err(Rejection { id: None, problems })
        }
    }

    /// Every reader, in file order.
    pub fn readers(&self) -> &[Reader] {
        &self.readers
    }

    /// The reader with this id.
    pub fn get(&self, id: &str) -> Option<&Reader> {
        self.readers.iter().find(|r| r.id == id)
    }

    /// The reader a process is, from its `comm`, its command line words and,
    /// when it maps a bridged file, whether it maps it with write permission.
    pub fn identify(
        &self,
        comm: &str,
        cmdline: &[&str],
        writable_maps: Option<bool>,
    ) -> Option<&Reader> {
        self.readers
            .iter()
            .find(|r| r.process.matches(comm, cmdline, writable_maps))
    }

    /// The ids, comma-separated, for messages.
    pub(crate) fn ids(&self) -> String {
        let ids: Vec<&str> = self.readers.iter().map(|r| r.id.as_str()).collect();
        ids.join(", ")
    }
}

/// One reader's use of one mapping: a `[[mapping.reader]]` entry of a
/// profile (an entry naming several readers becomes one use per reader).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReaderUse {
    /// A [`Reader`] id of the catalog.
    pub reader: String,
    /// Bytes it maps (`mmap` length).
    pub maps: u64,
    /// The length it truncates the file to, if it does.
    pub truncates_to: Option<u64>,
    /// Whether it creates the file, empty, when it is missing.
    pub creates: bool,
    /// Where these facts come from.
    pub source: String,
}

fn win32_names<S: serde::Serializer>(names: &[MappingName], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(names.iter().map(MappingName::win32))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalog {
    #[serde(default, rename = "reader")]
    readers: Vec<RawReader>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReader {
    id: Spanned<String>,
    name: Spanned<String>,
    project: Spanned<String>,
    version: Spanned<String>,
    fights: Vec<Fight>,
    fix: Spanned<String>,
    source: Spanned<String>,
    process: RawProcess,
    #[serde(default)]
    opens: Vec<RawOpens>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProcess {
    comm: Spanned<String>,
    #[serde(default)]
    cmdline: Option<String>,
    #[serde(default)]
    writable_maps: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOpens {
    exes: Vec<Spanned<String>>,
    files: Vec<Spanned<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_catalog_loads() {
        let catalog = ReaderCatalog::parse("profiles/readers.toml", READERS)
            .unwrap_or_else(|r| panic!("{:#?}", r.problems));
        let ids: Vec<&str> = catalog.readers().iter().map(|r| r.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "simd",
                "simd-nomemmap",
                "monocoque",
                "simmonitor",
                "tinypedal"
            ]
        );
        let simd = catalog.get("simd").unwrap();
        assert!(simd.fights());
        assert!(simd.fix.contains("--nomemmap") && simd.fix.contains("ignores"));
        assert!(!catalog.get("tinypedal").unwrap().fights());
        let crewchief: Vec<&str> = simd.files_for_exe("acr.exe").map(|n| n.win32()).collect();
        assert!(crewchief.contains(&"acpmf_crewchief"), "{crewchief:?}");
        assert_eq!(ReaderCatalog::builtin(), &catalog);
    }

    #[test]
    fn processes_are_told_apart_by_comm_cmdline_and_map_permission() {
        let catalog = ReaderCatalog::builtin();
        let id = |comm, cmdline: &[&str], writable| {
            catalog
                .identify(comm, cmdline, writable)
                .map(|r| r.id.as_str())
        };
        assert_eq!(id("simd", &["simd"], Some(true)), Some("simd"));
        assert_eq!(
            id("simd", &["simd", "-h"], Some(false)),
            Some("simd-nomemmap")
        );
        assert_eq!(id("simd", &["simd"], None), Some("simd"));
        assert_eq!(
            id("monocoque", &["monocoque", "play"], None),
            Some("monocoque")
        );
        assert_eq!(
            id("python3", &["/usr/bin/python3", "./run.py"], Some(true)),
            Some("tinypedal")
        );
        assert_eq!(id("python3", &["python3", "other.py"], None), None);
        assert_eq!(id("bash", &["bash"], None), None);
        let long = ProcessMatch {
            comm: "AC2-Win64-Shipping.exe".into(),
            cmdline: None,
            writable_maps: None,
        };
        assert!(long.matches("AC2-Win64-Shipp", &[], None));
    }

    #[test]
    fn bad_catalogs_are_rejected_with_their_line() {
        let good = "[[reader]]\nid = \"r\"\nname = \"R\"\nproject = \"o/r\"\nversion = \"1\"\nfights = []\nfix = \"f\"\nsource = \"s\"\n[reader.process]\ncomm = \"r\"\n";
        ReaderCatalog::parse("r.toml", good).unwrap();
        let shown = |text: &str| {
            let r = ReaderCatalog::parse("r.toml", text).unwrap_err();
            r.problems[0].to_string()
        };
        let s = shown(&good.replace("id = \"r\"", "id = \"R R\""));
        assert!(s.starts_with("r.toml:2:6: reader id \"R R\""), "{s}");
        let s = shown(&good.replace("fights = []", "fights = [\"eats\"]"));
        assert!(
            s.starts_with("r.toml:6:") && s.contains("unknown variant"),
            "{s}"
        );
        let s = shown(&good.replace("comm = \"r\"", "comm = \"a-very-long-process-name\""));
        assert!(
            s.starts_with("r.toml:10:8:") && s.contains("not a process name"),
            "{s}"
        );
        let s = shown(&format!(
            "{good}[[reader.opens]]\nexes = [\"g.exe\"]\nfiles = [\"a/b\"]\n"
        ));
        assert!(
            s.starts_with("r.toml:13:10:") && s.contains("contains '/'"),
            "{s}"
        );
        let s = shown(&format!("{good}{good}"));
        assert!(s.contains("defined twice"), "{s}");
        let s = shown(&good.replace("fix = \"f\"", "fix = \" \""));
        assert!(
            s.starts_with("r.toml:7:7:") && s.contains("`fix` is empty"),
            "{s}"
        );
    }
}
