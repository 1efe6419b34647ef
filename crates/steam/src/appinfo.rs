//! Valve's per-app Proton defaults from the binary `appcache/appinfo.vdf`.
//!
//! Only app 891390 ("SteamPlay 2.0 Manifests") is decoded: its
//! `extended/app_mappings/<appid>/tool` is Valve's default tool per app and
//! `extended/compat_tools/<name>/appid` (with `aliases`) maps Valve tool
//! names to appids. Other entries are skipped by their size field without
//! being read, so a large file costs little. Every read is bounds-checked;
//! anything unexpected becomes a warning.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use super::binary_vdf::{self, BinValue, Cursor, Keys};
use super::warning::Warning;

/// The appid of "SteamPlay 2.0 Manifests".
pub const STEAM_PLAY_MANIFESTS: u32 = 891_390;

const MAGIC_V27: u32 = 0x0756_4427;
const MAGIC_V28: u32 = 0x0756_4428;
const MAGIC_V29: u32 = 0x0756_4429;

/// Largest entry or key table read into memory (real ones are far smaller).
const MAX_CHUNK: u64 = 64 * 1024 * 1024;

/// What app 891390 says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SteamPlayManifests {
    /// Valve's default tool name per appid.
    pub app_mappings: HashMap<u32, String>,
    /// Valve tool names and aliases (lower-case) to their appids.
    pub compat_tools: HashMap<String, u32>,
}

/// Reads `<root>/appcache/appinfo.vdf`. A missing file gives `None` without
/// a warning.
pub fn read(root: &Path, warnings: &mut Vec<Warning>) -> Option<SteamPlayManifests> {
    let file = root.join("appcache").join("appinfo.vdf");
    let mut f = match std::fs::File::open(&file) {
        Ok(f) => f,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return None,
        Err(err) => {
            warnings.push(Warning::io(&file, &err));
            return None;
        }
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    match parse(&mut std::io::BufReader::new(&mut f), len) {
        Ok(found) => found,
        Err(message) => {
            warnings.push(Warning::new(&file, message));
            None
        }
    }
}

/// Parses appinfo data of `len` bytes from `reader`. `Ok(None)` when the
/// file is fine but has no entry for app 891390.
pub fn parse<R: Read + Seek>(
    reader: &mut R,
    len: u64,
) -> Result<Option<SteamPlayManifests>, String> {
    let magic = read_u32(reader).ok_or("is too short for an appinfo header")?;
    let (header_len, entry_prefix) = match magic {
        MAGIC_V27 => (8u64, 40u64),
        MAGIC_V28 => (8, 60),
        MAGIC_V29 => (16, 60),
        other => {
            return Err(format!(
                "has an unknown appinfo format (magic 0x{other:08x}); Valve's per-app defaults not read"
            ));
        }
    };
    let _universe = read_u32(reader).ok_or("is too short for an appinfo header")?;
    let key_table = if magic == MAGIC_V29 {
        let offset = read_u64(reader).ok_or("is too short for an appinfo header")?;
        Some(read_key_table(reader, offset, len)?)
    } else {
        None
    };
    let mut pos = header_len;
    reader
        .seek(SeekFrom::Start(pos))
        .map_err(|e| format!("cannot be read: {e}"))?;
    loop {
        let appid = read_u32(reader).ok_or("ends without its end marker")?;
        if appid == 0 {
            return Ok(None);
        }
        let size = u64::from(read_u32(reader).ok_or("ends inside an entry header")?);
        pos += 8;
        if pos.saturating_add(size) > len {
            return Err(format!(
                "entry for app {appid} runs past the end of the file"
            ));
        }
        if appid != STEAM_PLAY_MANIFESTS {
            pos += size;
            reader
                .seek(SeekFrom::Start(pos))
                .map_err(|e| format!("cannot be read: {e}"))?;
            continue;
        }
        if size > MAX_CHUNK || size < entry_prefix {
            return Err(format!(
                "entry for app {appid} has an implausible size {size}"
            ));
        }
        let mut buf = vec![0u8; usize::try_from(size).map_err(|_| "entry too large")?];
        reader
            .read_exact(&mut buf)
            .map_err(|e| format!("cannot be read: {e}"))?;
        let kv = buf
            .get(usize::try_from(entry_prefix).unwrap_or(usize::MAX)..)
            .unwrap_or_default();
        let keys = match &key_table {
            Some(table) => Keys::Table(table),
            None => Keys::Inline,
        };
        let value = binary_vdf::read_object(&mut Cursor::new(kv), keys)
            .map_err(|e| format!("entry for app {appid} is damaged ({e})"))?;
        return Ok(Some(extract(&value)));
    }
}

fn extract(value: &BinValue) -> SteamPlayManifests {
    let info = value.get("appinfo").unwrap_or(value);
    let mut out = SteamPlayManifests::default();
    if let Some(mappings) = info.get_path(&["extended", "app_mappings"]) {
        for (key, entry) in mappings.children() {
            let appid = entry
                .get("appid")
                .and_then(BinValue::as_u32)
                .or_else(|| key.parse().ok());
            let tool = entry.get("tool").and_then(BinValue::as_str);
            if let (Some(appid), Some(tool)) = (appid, tool.filter(|t| !t.is_empty())) {
                out.app_mappings.insert(appid, tool.to_owned());
            }
        }
    }
    if let Some(tools) = info.get_path(&["extended", "compat_tools"]) {
        for (name, entry) in tools.children() {
            let Some(appid) = entry.get("appid").and_then(BinValue::as_u32) else {
                continue;
            };
            out.compat_tools.insert(name.to_ascii_lowercase(), appid);
            if let Some(aliases) = entry.get("aliases").and_then(BinValue::as_str) {
                for alias in aliases.split(',').map(str::trim).filter(|a| !a.is_empty()) {
                    out.compat_tools.insert(alias.to_ascii_lowercase(), appid);
                }
            }
        }
    }
    out
}

fn read_key_table<R: Read + Seek>(
    reader: &mut R,
    offset: u64,
    len: u64,
) -> Result<Vec<String>, String> {
    if offset < 16 || offset >= len || len - offset > MAX_CHUNK {
        return Err(format!("has an implausible key table offset {offset}"));
    }
    reader
        .seek(SeekFrom::Start(offset))
        .map_err(|e| format!("cannot be read: {e}"))?;
    let mut buf = Vec::new();
    reader
        .take(len - offset)
        .read_to_end(&mut buf)
        .map_err(|e| format!("cannot be read: {e}"))?;
    let mut cur = Cursor::new(&buf);
    let count = cur.u32().map_err(|e| format!("key table damaged ({e})"))?;
    let mut keys = Vec::new();
    for _ in 0..count {
        match cur.cstr() {
            Ok(key) => keys.push(key),
            Err(e) => return Err(format!("key table damaged ({e})")),
        }
    }
    Ok(keys)
}

fn read_u32<R: Read>(reader: &mut R) -> Option<u32> {
    let mut b = [0u8; 4];
    reader.read_exact(&mut b).ok()?;
    Some(u32::from_le_bytes(b))
}

fn read_u64<R: Read>(reader: &mut R) -> Option<u64> {
    let mut b = [0u8; 8];
    reader.read_exact(&mut b).ok()?;
    Some(u64::from_le_bytes(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Builds a v28 or v29 appinfo file with an unrelated app and app 891390.
    fn sample(v29: bool) -> Vec<u8> {
        let mut table: Vec<String> = Vec::new();
        let mut key = |out: &mut Vec<u8>, k: &str| {
            if v29 {
                let i = table.iter().position(|t| t == k).unwrap_or_else(|| {
                    table.push(k.to_owned());
                    table.len() - 1
                });
                out.extend_from_slice(&(i as u32).to_le_bytes());
            } else {
                out.extend_from_slice(k.as_bytes());
                out.push(0);
            }
        };
        let mut kv = Vec::new();
        kv.push(0);
        key(&mut kv, "appinfo");
        kv.push(0);
        key(&mut kv, "extended");
        kv.push(0);
        key(&mut kv, "app_mappings");
        kv.push(0);
        key(&mut kv, "244210");
        kv.push(1);
        key(&mut kv, "appid");
        kv.extend_from_slice(b"244210\0");
        kv.push(1);
        key(&mut kv, "tool");
        kv.extend_from_slice(b"proton_8\0");
        kv.extend_from_slice(&[8, 8]);
        kv.push(0);
        key(&mut kv, "compat_tools");
        kv.push(0);
        key(&mut kv, "proton_8");
        kv.push(2);
        key(&mut kv, "appid");
        kv.extend_from_slice(&2_348_590i32.to_le_bytes());
        kv.push(1);
        key(&mut kv, "aliases");
        kv.extend_from_slice(b"proton-8.0-1,proton_80\0");
        kv.extend_from_slice(&[8, 8, 8, 8, 8]);

        let mut out = Vec::new();
        out.extend_from_slice(&(if v29 { MAGIC_V29 } else { MAGIC_V28 }).to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
        let table_offset_at = out.len();
        if v29 {
            out.extend_from_slice(&0u64.to_le_bytes());
        }
        for (appid, body) in [(10u32, vec![0xAAu8; 70]), (STEAM_PLAY_MANIFESTS, kv)] {
            out.extend_from_slice(&appid.to_le_bytes());
            let mut entry = vec![0u8; 60];
            entry.extend_from_slice(&body);
            out.extend_from_slice(&(entry.len() as u32).to_le_bytes());
            out.extend_from_slice(&entry);
        }
        out.extend_from_slice(&0u32.to_le_bytes());
        if v29 {
            let offset = out.len() as u64;
            out[table_offset_at..table_offset_at + 8].copy_from_slice(&offset.to_le_bytes());
            out.extend_from_slice(&(table.len() as u32).to_le_bytes());
            for t in &table {
                out.extend_from_slice(t.as_bytes());
                out.push(0);
            }
        }
        out
    }

    #[test]
    fn reads_v28_and_v29() {
        for v29 in [false, true] {
            let data = sample(v29);
            let found = parse(&mut std::io::Cursor::new(&data), data.len() as u64)
                .unwrap()
                .unwrap();
            assert_eq!(
                found.app_mappings.get(&244_210).map(String::as_str),
                Some("proton_8")
            );
            assert_eq!(found.compat_tools.get("proton_80"), Some(&2_348_590));
            assert_eq!(found.compat_tools.get("proton_8"), Some(&2_348_590));
        }
    }

    #[test]
    fn bad_magic_and_truncation_are_errors() {
        let data = sample(false);
        assert!(parse(&mut std::io::Cursor::new(b"abcdefgh"), 8).is_err());
        let cut = &data[..data.len() - 20];
        assert!(parse(&mut std::io::Cursor::new(cut), cut.len() as u64).is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = parse(&mut std::io::Cursor::new(&bytes), bytes.len() as u64);
        }

        #[test]
        fn mutated_files_never_panic(v29 in any::<bool>(), flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8)) {
            let mut data = sample(v29);
            for (at, byte) in flips {
                let i = at % data.len();
                data[i] = byte;
            }
            let _ = parse(&mut std::io::Cursor::new(&data), data.len() as u64);
        }
    }
}
