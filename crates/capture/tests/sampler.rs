//! The sampler against real files in /dev/shm: pages written in place, a
//! file removed and created again (a new inode), replaced by a rename,
//! shortened, missing, or not a regular file; and the poll loop recording a
//! file another thread changes.

use std::fs::OpenOptions;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bridgekeeper_capture::{
    CaptureHeader, CaptureReader, CaptureWriter, IDENTITY_CHECK, MAX_READ_INTERVAL, MappingState,
    PollOptions, Sampler, SourceFile, WriterOptions,
};

const SIZE: u64 = 4096 + 100;

fn shm_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("bk-capture-test-")
        .tempdir_in("/dev/shm")
        .expect("a directory in /dev/shm")
}

fn sources(dir: &Path) -> Vec<SourceFile> {
    vec![
        SourceFile {
            name: "phys".into(),
            path: dir.join("phys"),
            size: SIZE,
        },
        SourceFile {
            name: "other".into(),
            path: dir.join("other"),
            size: 4096,
        },
    ]
}

fn pattern(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| seed.wrapping_add((i % 251) as u8))
        .collect()
}

#[test]
fn files_that_change_vanish_come_back_and_shrink_are_recorded_as_such() {
    let dir = shm_dir();
    let phys: PathBuf = dir.path().join("phys");
    let mut sampler = Sampler::new(sources(dir.path()));
    let header = CaptureHeader::new(sampler.mappings());
    let mut writer = CaptureWriter::new(
        Vec::new(),
        Path::new("mem"),
        header,
        WriterOptions::default(),
    )
    .unwrap();
    // What the phys file should hold at each frame, and its state.
    let mut expected: Vec<(Vec<u8>, MappingState)> = Vec::new();
    // Polls IDENTITY_CHECK apart: each checks that the open file was not
    // removed or replaced.
    let mut t = Duration::ZERO;
    let mut poll = |sampler: &mut Sampler, writer: &mut CaptureWriter<Vec<u8>>| {
        t += IDENTITY_CHECK;
        sampler.sample(writer, t).unwrap()
    };

    // Nothing there yet: the initial state, no frame.
    let report = poll(&mut sampler, &mut writer);
    assert!(!report.frame_written);
    assert!(sampler.states().all(|s| s == MappingState::Missing));
    assert_eq!(sampler.error(0), None);

    // The file appears.
    let first = pattern(1, SIZE as usize);
    std::fs::write(&phys, &first).unwrap();
    let report = poll(&mut sampler, &mut writer);
    assert!(report.frame_written);
    assert_eq!(report.pages_changed, 2);
    expected.push((first.clone(), MappingState::Live));

    // A write in place to the second page only, through a handle kept open.
    let file = OpenOptions::new().write(true).open(&phys).unwrap();
    file.write_all_at(b"telemetry", 4100).unwrap();
    let report = poll(&mut sampler, &mut writer);
    assert_eq!(report.pages_changed, 1);
    let mut now = first.clone();
    now[4100..4109].copy_from_slice(b"telemetry");
    expected.push((now.clone(), MappingState::Live));

    // Unchanged: no frame.
    assert!(!poll(&mut sampler, &mut writer).frame_written);

    // The session restarts: the file is removed and a new one created.
    std::fs::remove_file(&phys).unwrap();
    poll(&mut sampler, &mut writer);
    assert_eq!(sampler.states().next(), Some(MappingState::Missing));
    expected.push((now.clone(), MappingState::Missing));
    let second = pattern(77, SIZE as usize);
    std::fs::write(&phys, &second).unwrap();
    poll(&mut sampler, &mut writer);
    expected.push((second.clone(), MappingState::Live));

    // Replaced by a rename while the old file is still written to: the new
    // inode is what counts.
    let third = pattern(150, SIZE as usize);
    std::fs::write(dir.path().join("phys.new"), &third).unwrap();
    std::fs::rename(dir.path().join("phys.new"), &phys).unwrap();
    file.write_all_at(b"stale", 0).unwrap();
    poll(&mut sampler, &mut writer);
    assert_eq!(sampler.contents(0), third.as_slice());
    expected.push((third.clone(), MappingState::Live));

    // Shortened: the rest reads as zeros.
    OpenOptions::new()
        .write(true)
        .open(&phys)
        .unwrap()
        .set_len(100)
        .unwrap();
    poll(&mut sampler, &mut writer);
    let mut short = third[..100].to_vec();
    short.resize(SIZE as usize, 0);
    expected.push((short.clone(), MappingState::Short { len: 100 }));

    // Emptied, then not a regular file: both without a panic.
    OpenOptions::new()
        .write(true)
        .open(&phys)
        .unwrap()
        .set_len(0)
        .unwrap();
    poll(&mut sampler, &mut writer);
    expected.push((vec![0; SIZE as usize], MappingState::Short { len: 0 }));
    std::fs::remove_file(&phys).unwrap();
    std::fs::create_dir(&phys).unwrap();
    poll(&mut sampler, &mut writer);
    assert!(sampler.error(0).unwrap().contains("not a regular file"));
    expected.push((vec![0; SIZE as usize], MappingState::Missing));
    std::fs::remove_dir(&phys).unwrap();
    std::os::unix::fs::symlink(dir.path().join("other"), &phys).unwrap();
    std::fs::write(dir.path().join("other"), pattern(9, 4096)).unwrap();
    poll(&mut sampler, &mut writer);
    assert!(sampler.error(0).unwrap().contains("not a regular file"));
    // The other file, missing for many polls, is read less often now.
    (1..=MAX_READ_INTERVAL)
        .find(|_| {
            poll(&mut sampler, &mut writer);
            sampler.states().nth(1) == Some(MappingState::Live)
        })
        .expect("the other file is seen");

    let (bytes, _) = writer.finish_into_inner().unwrap();
    let mut reader = CaptureReader::from_bytes(Path::new("mem"), bytes).unwrap();
    for (i, (image, state)) in expected.iter().enumerate() {
        let frame = reader.next_frame().unwrap().unwrap();
        assert_eq!(reader.state(0), *state, "frame {i} ({:?})", frame.changes);
        assert!(reader.mapping(0) == image.as_slice(), "frame {i}: contents");
    }
    // The last frame: the other file appeared.
    reader.next_frame().unwrap().unwrap();
    assert_eq!(reader.mapping(1), pattern(9, 4096).as_slice());
    assert!(reader.next_frame().unwrap().is_none());
}

#[test]
fn the_poll_loop_records_a_page_another_thread_changes() {
    let dir = shm_dir();
    let phys = dir.path().join("phys");
    let path = dir.path().join("capture.bkcap");
    std::fs::write(&phys, vec![0u8; SIZE as usize]).unwrap();
    let mut sampler = Sampler::new(sources(dir.path()));
    let header = CaptureHeader::new(sampler.mappings());
    let mut writer = CaptureWriter::create(&path, header).unwrap();
    let stop = AtomicBool::new(false);
    let last = std::thread::scope(|s| {
        let changer = s.spawn(|| {
            let file = OpenOptions::new().write(true).open(&phys).unwrap();
            // Give the loop its first look at the file as found.
            std::thread::sleep(Duration::from_millis(30));
            let mut counter = 0u64;
            while counter < 150 {
                counter += 1;
                file.write_all_at(&counter.to_le_bytes(), 8).unwrap();
                std::thread::sleep(Duration::from_millis(3));
            }
            // Let the loop see the last value, then stop it.
            std::thread::sleep(Duration::from_millis(50));
            stop.store(true, Ordering::Relaxed);
            counter
        });
        let report =
            bridgekeeper_capture::record(&mut sampler, &mut writer, &PollOptions::default(), &stop)
                .unwrap();
        assert!(report.polls > 100, "{report:?}");
        changer.join().unwrap()
    });
    writer.finish().unwrap();

    let mut reader = CaptureReader::open(&path).unwrap();
    let mut seen = Vec::new();
    while reader.next_frame().unwrap().is_some() {
        let page = reader.mapping(0);
        seen.push(u64::from_le_bytes(page[8..16].try_into().unwrap()));
    }
    // The file as found (0), unless a loaded machine let the writer start
    // before the loop's first look; every frame is a value the file held.
    assert!(
        seen.first().is_some_and(|&first| first <= 2),
        "the first frame is the file as found, or nearly: {seen:?}"
    );
    assert_eq!(seen.last(), Some(&last));
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    assert_eq!(
        reader.state(1),
        MappingState::Missing,
        "the other file never existed"
    );
}

#[test]
fn a_quiet_file_is_read_less_often_and_at_every_poll_again_once_it_changes() {
    let dir = shm_dir();
    let phys = dir.path().join("phys");
    std::fs::write(&phys, vec![0u8; SIZE as usize]).unwrap();
    let mut sampler = Sampler::new(sources(dir.path()));
    let header = CaptureHeader::new(sampler.mappings());
    let mut writer = CaptureWriter::new(
        Vec::new(),
        Path::new("mem"),
        header,
        WriterOptions::default(),
    )
    .unwrap();
    let file = OpenOptions::new().write(true).open(&phys).unwrap();
    let mut t = 0;
    let mut poll = |sampler: &mut Sampler, writer: &mut CaptureWriter<Vec<u8>>| {
        t += 1;
        sampler
            .sample(writer, Duration::from_millis(t))
            .unwrap()
            .frame_written
    };
    assert!(poll(&mut sampler, &mut writer), "the file as found");
    for _ in 0..1000 {
        assert!(!poll(&mut sampler, &mut writer));
    }
    // Quiet for a second: the change is seen within MAX_READ_INTERVAL polls,
    // but not necessarily at once.
    file.write_all_at(&[1], 0).unwrap();
    let polls = (1..=MAX_READ_INTERVAL)
        .find(|_| poll(&mut sampler, &mut writer))
        .expect("the change is seen");
    assert!(polls > 1, "a quiet file is not read at every poll");
    // Changing again: each change is seen at the next poll.
    for value in 2..50u8 {
        file.write_all_at(&[value], 0).unwrap();
        assert!(poll(&mut sampler, &mut writer), "change {value}");
    }
}
