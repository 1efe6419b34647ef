//! Non-Steam shortcuts from `userdata/<user>/config/shortcuts.vdf` (binary
//! KeyValues), with our own defensive reader.

use std::path::{Path, PathBuf};

use super::binary_vdf::{self, BinValue, Cursor, Keys};
use super::warning::Warning;

/// One non-Steam shortcut.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shortcut {
    /// The 32-bit shortcut appid (stored, or derived for old entries).
    pub appid: u32,
    /// The name shown in Steam.
    pub name: String,
    /// The target executable, without surrounding quotes.
    pub exe: String,
    /// The start directory, without surrounding quotes.
    pub start_dir: Option<PathBuf>,
    /// The file it came from.
    pub file: PathBuf,
}

/// Reads the shortcuts of every user under `<root>/userdata`, each appid
/// once.
pub fn read_all(root: &Path, warnings: &mut Vec<Warning>) -> Vec<Shortcut> {
    let userdata = root.join("userdata");
    let entries = match std::fs::read_dir(&userdata) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(err) => {
            warnings.push(Warning::io(&userdata, &err));
            return Vec::new();
        }
    };
    let mut users: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    users.sort();
    let mut out: Vec<Shortcut> = Vec::new();
    for user in users {
        let file = user.join("config").join("shortcuts.vdf");
        let bytes = match std::fs::read(&file) {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => continue,
            Err(err) => {
                warnings.push(Warning::io(&file, &err));
                continue;
            }
        };
        for shortcut in parse(&bytes, &file, warnings) {
            if !out.iter().any(|s| s.appid == shortcut.appid) {
                out.push(shortcut);
            }
        }
    }
    out
}

/// Parses a `shortcuts.vdf`. Entries before any damage are kept; the damage
/// becomes a warning. Never panics.
pub fn parse(bytes: &[u8], file: &Path, warnings: &mut Vec<Warning>) -> Vec<Shortcut> {
    let (root, err) = binary_vdf::read_object_partial(&mut Cursor::new(bytes), Keys::Inline);
    if let Some(err) = err {
        warnings.push(Warning::new(
            file,
            format!("is damaged ({err}); shortcuts after that point are skipped"),
        ));
    }
    let list = root.get("shortcuts").unwrap_or(&root);
    let mut out = Vec::new();
    for (_, entry) in list.children() {
        let text = |key: &str| {
            entry
                .get(key)
                .and_then(BinValue::as_str)
                .map(|s| s.trim().trim_matches('"').to_owned())
        };
        let name = text("AppName").unwrap_or_default();
        let exe = text("Exe").unwrap_or_default();
        if name.is_empty() && exe.is_empty() {
            continue;
        }
        let stored = entry.get("appid").and_then(BinValue::as_u32_bits);
        let raw_exe = entry.get("Exe").and_then(BinValue::as_str).unwrap_or("");
        let appid = stored
            .filter(|&id| id != 0)
            .unwrap_or_else(|| legacy_appid(raw_exe, &name));
        out.push(Shortcut {
            appid,
            name: if name.is_empty() { exe.clone() } else { name },
            exe,
            start_dir: text("StartDir")
                .filter(|d| !d.is_empty())
                .map(PathBuf::from),
            file: file.to_path_buf(),
        });
    }
    out
}

/// The appid Steam gives a shortcut without a stored one:
/// `crc32(exe + name) | 0x8000_0000` (protontricks `get_appid_from_shortcut`).
pub fn legacy_appid(exe: &str, name: &str) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in exe.as_bytes().iter().chain(name.as_bytes()) {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc | 0x8000_0000
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn entry(out: &mut Vec<u8>, index: &str, appid: Option<u32>, name: &str, exe: &str) {
        out.push(0);
        out.extend_from_slice(index.as_bytes());
        out.push(0);
        if let Some(id) = appid {
            out.extend_from_slice(b"\x02appid\x00");
            out.extend_from_slice(&id.to_le_bytes());
        }
        out.extend_from_slice(b"\x01AppName\x00");
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"\x00\x01Exe\x00");
        out.extend_from_slice(exe.as_bytes());
        out.extend_from_slice(b"\x00\x01StartDir\x00\"/opt/sim hub/\"\x00");
        out.extend_from_slice(b"\x00tags\x00\x010\x00fav\x00\x08");
        out.push(8);
    }

    #[test]
    fn reads_entries_and_derives_missing_appids() {
        let mut data = b"\x00shortcuts\x00".to_vec();
        entry(
            &mut data,
            "0",
            Some(0xC000_0001),
            "SimHub",
            "\"/opt/sim hub/SimHub.exe\"",
        );
        entry(&mut data, "1", None, "Old", "\"/x.exe\"");
        data.extend_from_slice(b"\x08\x08");
        let mut w = Vec::new();
        let s = parse(&data, Path::new("/s.vdf"), &mut w);
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].appid, 0xC000_0001);
        assert_eq!(s[0].exe, "/opt/sim hub/SimHub.exe");
        assert_eq!(s[0].start_dir, Some(PathBuf::from("/opt/sim hub/")));
        assert_eq!(s[1].appid, legacy_appid("\"/x.exe\"", "Old"));
        assert!(s[1].appid & 0x8000_0000 != 0);
    }

    #[test]
    fn truncated_file_keeps_leading_entries() {
        let mut data = b"\x00shortcuts\x00".to_vec();
        entry(&mut data, "0", Some(0x8000_0005), "A", "/a");
        entry(&mut data, "1", Some(0x8000_0006), "B", "/b");
        let cut = &data[..data.len() - 30];
        let mut w = Vec::new();
        let s = parse(cut, Path::new("/s.vdf"), &mut w);
        assert_eq!(s[0].name, "A");
        assert_eq!(w.len(), 1);
    }

    #[test]
    fn crc_matches_reference() {
        // crc32("123456789") is 0xCBF43926.
        assert_eq!(legacy_appid("1234", "56789"), 0xCBF4_3926 | 0x8000_0000);
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let mut w = Vec::new();
            let _ = parse(&bytes, Path::new("/s.vdf"), &mut w);
        }
    }
}
