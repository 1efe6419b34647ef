//! App manifests: `steamapps/appmanifest_<appid>.acf`.
//!
//! This reader keeps what it can of a damaged manifest and says what it
//! could not read.

use std::path::Path;

use super::model::InstallState;
use super::vdf;
use super::warning::Warning;

/// `StateFlags` bits (Steamworks `EAppState`).
const UNINSTALLED: u64 = 1;
const UPDATE_REQUIRED: u64 = 2;
const FULLY_INSTALLED: u64 = 4;

/// What an app manifest says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// The appid (from the file name when the file disagrees or lacks it).
    pub appid: u32,
    /// The store name, if recorded.
    pub name: Option<String>,
    /// The directory under `steamapps/common/`.
    pub installdir: Option<String>,
    /// The raw `StateFlags`, if readable.
    pub state_flags: Option<u64>,
    /// `LastUpdated` (unix time), if readable.
    pub last_updated: Option<u64>,
}

impl Manifest {
    /// True if Steam marks the app uninstalled (such apps are skipped).
    pub fn is_uninstalled(&self) -> bool {
        self.state_flags.is_some_and(|f| f & UNINSTALLED != 0)
    }

    /// The install state: ready only when "fully installed" is set and
    /// "uninstalled" and "update required" are clear.
    pub fn state(&self) -> InstallState {
        match self.state_flags {
            None => InstallState::Unknown,
            Some(f) if f & UNINSTALLED != 0 => InstallState::Busy,
            Some(f) if f & UPDATE_REQUIRED != 0 => InstallState::UpdateRequired,
            Some(f) if f & FULLY_INSTALLED != 0 => InstallState::Ready,
            Some(_) => InstallState::Busy,
        }
    }
}

/// The appid in a manifest file name, `appmanifest_<appid>.acf`.
pub fn appid_from_file_name(name: &str) -> Option<u32> {
    name.strip_prefix("appmanifest_")?
        .strip_suffix(".acf")?
        .parse()
        .ok()
}

/// Parses a manifest's bytes. `file_appid` is the appid in its file name;
/// `path` ties warnings to the file. `None` means nothing usable.
pub fn parse(
    bytes: &[u8],
    file_appid: u32,
    path: &Path,
    warnings: &mut Vec<Warning>,
) -> Option<Manifest> {
    let doc = vdf::parse(bytes, path, warnings)?;
    let Some(state) = vdf::root_obj(&doc, "AppState") else {
        warnings.push(Warning::new(path, "has no InstallState section; skipped"));
        return None;
    };
    match vdf::get_str(state, "appid").map(|s| s.trim().parse::<u32>()) {
        Some(Ok(id)) if id == file_appid => {}
        Some(Ok(id)) => warnings.push(Warning::new(
            path,
            format!("says appid {id} but its name says {file_appid}; using {file_appid}"),
        )),
        Some(Err(_)) => warnings.push(Warning::new(path, "has an unreadable appid")),
        None => {}
    }
    let name = vdf::get_str(state, "name")
        .or_else(|| vdf::get_obj(state, "UserConfig").and_then(|u| vdf::get_str(u, "name")))
        .filter(|n| !n.is_empty())
        .map(str::to_owned);
    let installdir = vdf::get_str(state, "installdir")
        .filter(|d| !d.is_empty())
        .map(str::to_owned);
    // A folder name inside `steamapps/common`, as Steam writes it: a path
    // that leaves it would point discovery (and the Wine it runs) elsewhere.
    let installdir = match installdir {
        Some(dir) if !is_folder_name(&dir) => {
            warnings.push(Warning::new(
                path,
                format!(
                    "has installdir {dir:?}, which is not a folder name inside steamapps/common; \
                     ignored (let Steam verify the game's files to rewrite it)"
                ),
            ));
            None
        }
        Some(dir) => Some(dir),
        None => {
            warnings.push(Warning::new(path, "has no installdir"));
            None
        }
    };
    let state_flags = match vdf::get_str(state, "StateFlags").map(|s| s.trim().parse::<u64>()) {
        Some(Ok(f)) => Some(f),
        Some(Err(_)) => {
            warnings.push(Warning::new(path, "has an unreadable StateFlags"));
            None
        }
        None => None,
    };
    let last_updated = vdf::get_str(state, "LastUpdated").and_then(|s| s.trim().parse().ok());
    Some(Manifest {
        appid: file_appid,
        name,
        installdir,
        state_flags,
        last_updated,
    })
}

/// True for one plain folder name: no `/`, not `.` or `..`, no NUL.
fn is_folder_name(dir: &str) -> bool {
    !dir.contains(['/', '\0']) && dir != "." && dir != ".."
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::path::PathBuf;

    fn p() -> PathBuf {
        PathBuf::from("/appmanifest_10.acf")
    }

    #[test]
    fn reads_fields_with_any_key_case() {
        let mut w = Vec::new();
        let m = parse(
            br#""AppState" { "appID" "10" "name" "A B" "installdir" "AB" "StateFlags" "4" "LastUpdated" "17" }"#,
            10,
            &p(),
            &mut w,
        )
        .unwrap();
        assert_eq!(m.name.as_deref(), Some("A B"));
        assert_eq!(m.installdir.as_deref(), Some("AB"));
        assert_eq!(m.state(), InstallState::Ready);
        assert_eq!(m.last_updated, Some(17));
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn old_name_location_and_states() {
        let mut w = Vec::new();
        let m = parse(
            br#""AppState" { "appid" "10" "UserConfig" { "name" "Old" } "installdir" "o" "StateFlags" "6" }"#,
            10,
            &p(),
            &mut w,
        )
        .unwrap();
        assert_eq!(m.name.as_deref(), Some("Old"));
        assert_eq!(m.state(), InstallState::UpdateRequired);
        let flags = |f| Manifest {
            state_flags: Some(f),
            ..m.clone()
        };
        assert!(flags(1).is_uninstalled());
        assert_eq!(flags(1028).state(), InstallState::Ready);
        assert_eq!(flags(1026).state(), InstallState::UpdateRequired);
        assert_eq!(flags(0).state(), InstallState::Busy);
    }

    #[test]
    fn an_installdir_that_leaves_common_is_ignored_with_a_warning() {
        for dir in ["../../x", "/opt/x", "a/b", ".."] {
            let mut w = Vec::new();
            let text = format!(r#""AppState" {{ "appid" "10" "installdir" "{dir}" }}"#);
            let m = parse(text.as_bytes(), 10, &p(), &mut w).unwrap();
            assert_eq!(m.installdir, None, "{dir}");
            let said = format!("{w:?}");
            assert!(said.contains("not a folder name"), "{dir}: {said}");
        }
    }

    #[test]
    fn wrong_appid_is_reported() {
        let mut w = Vec::new();
        let m = parse(
            br#""AppState" { "appid" "11" "installdir" "x" }"#,
            10,
            &p(),
            &mut w,
        )
        .unwrap();
        assert_eq!(m.appid, 10);
        assert_eq!(w.len(), 1);
    }

    #[test]
    fn file_names() {
        assert_eq!(appid_from_file_name("appmanifest_244210.acf"), Some(244210));
        assert_eq!(appid_from_file_name("appmanifest_x.acf"), None);
        assert_eq!(appid_from_file_name("appmanifest_1.acf.tmp"), None);
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let mut w = Vec::new();
            let _ = parse(&bytes, 1, &p(), &mut w);
        }

        #[test]
        fn arbitrary_field_values_never_panic(
            appid in "[0-9a-z\"\\\\ ]{0,12}",
            flags in "[0-9a-z\"\\\\ -]{0,12}",
            name in "\\PC{0,16}",
        ) {
            let text = format!(
                "\"AppState\" {{ \"appid\" \"{appid}\" \"name\" \"{name}\" \"StateFlags\" \"{flags}\" }}"
            );
            let mut w = Vec::new();
            let _ = parse(text.as_bytes(), 1, &p(), &mut w);
        }
    }
}
