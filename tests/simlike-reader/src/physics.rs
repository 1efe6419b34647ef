//! Decoding the first 32 bytes of a read file into a [`Sample`].
//!
//! Offsets are those of the Kunos physics page (`acpmf_physics`) as listed
//! in profiles/assetto-corsa-competizione.toml: packetId i32 at 0, gear i32
//! at 16, rpms i32 at 20, speedKmh f32 at 28. Every file also gets its first
//! eight u32 words, so a test game with another layout can be checked too.

use crate::report::Sample;

/// Bytes read from the start of every file.
pub const HEAD_LEN: usize = 32;

fn word(head: &[u8], offset: usize) -> Option<[u8; 4]> {
    head.get(offset..offset + 4)?.try_into().ok()
}

/// Decodes `head` (up to [`HEAD_LEN`] bytes of `file`).
pub fn decode(file: &str, head: &[u8], is_physics: bool) -> Sample {
    let words = head
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes(c.try_into().expect("chunks of 4")))
        .collect();
    let i32_at = |offset| word(head, offset).map(i32::from_le_bytes);
    let physics = is_physics && head.len() >= HEAD_LEN;
    Sample {
        file: file.to_string(),
        words,
        packet_id: physics.then(|| i32_at(0)).flatten(),
        gear: physics.then(|| i32_at(16)).flatten(),
        rpms: physics.then(|| i32_at(20)).flatten(),
        speed_kmh: physics
            .then(|| word(head, 28).map(f32::from_le_bytes))
            .flatten(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_physics_fields() {
        let mut head = [0u8; HEAD_LEN];
        head[0..4].copy_from_slice(&77i32.to_le_bytes());
        head[16..20].copy_from_slice(&3i32.to_le_bytes());
        head[20..24].copy_from_slice(&6500i32.to_le_bytes());
        head[28..32].copy_from_slice(&123.5f32.to_le_bytes());
        let s = decode("acpmf_physics", &head, true);
        assert_eq!(s.packet_id, Some(77));
        assert_eq!(s.gear, Some(3));
        assert_eq!(s.rpms, Some(6500));
        assert_eq!(s.speed_kmh, Some(123.5));
        assert_eq!(s.words.len(), 8);
        assert_eq!(s.words[5], 6500);
    }

    #[test]
    fn other_files_and_short_maps_get_words_only() {
        let head = [1u8, 0, 0, 0, 2, 0, 0, 0];
        let s = decode("$R3E", &head, false);
        assert_eq!(s.words, vec![1, 2]);
        assert_eq!(s.packet_id, None);
        let s = decode("acpmf_physics", &head, true);
        assert_eq!(s.packet_id, None);
        assert_eq!(s.speed_kmh, None);
    }
}
