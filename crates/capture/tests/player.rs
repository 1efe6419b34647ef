//! The player writes every frame into real files (the pwrite sink in
//! /dev/shm): stepping, seeking, gaps that remove and recreate files,
//! commands while playing, looping and stopping.

mod common;

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use bridgekeeper_capture::{
    CaptureReader, Command, FileSink, MappingState, PlayOptions, Player, WriterOptions,
};
use common::{Expected, Op, small_capture, small_header, write_model};

fn shm_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("bk-capture-play-")
        .tempdir_in("/dev/shm")
        .unwrap()
}

/// Asserts that the sink's files hold `expected`: present mappings have
/// their contents, missing ones have no file.
fn assert_files(sink: &FileSink, expected: &Expected, what: &str) {
    for (m, image) in expected.images.iter().enumerate() {
        let path = sink.path(m);
        match expected.states[m] {
            MappingState::Missing => assert!(!path.exists(), "{what}: mapping {m} has a file"),
            _ => {
                let bytes = std::fs::read(path).unwrap();
                assert!(bytes == *image, "{what}: file of mapping {m} differs");
            }
        }
    }
}

fn player(bytes: Vec<u8>, options: &PlayOptions) -> Player {
    let reader = CaptureReader::from_bytes(Path::new("mem"), bytes).unwrap();
    Player::new(reader, options).unwrap()
}

#[test]
fn stepping_and_seeking_leave_each_frame_in_the_files() {
    let (bytes, expected) = small_capture();
    let dir = shm_dir();
    let mut player = player(bytes, &PlayOptions::default());
    let mut sink = FileSink::new(dir.path(), player.reader().header()).unwrap();
    player.sync(&mut sink).unwrap();
    for m in 0..3 {
        assert!(
            !sink.path(m).exists(),
            "nothing exists before the first frame"
        );
    }
    for (i, e) in expected.iter().enumerate() {
        let frame = player.step(&mut sink).unwrap().unwrap();
        assert_eq!(frame.index, i as u64);
        assert_files(&sink, e, &format!("step to frame {i}"));
    }
    assert!(player.step(&mut sink).unwrap().is_none());
    for i in (0..expected.len() - 1).rev() {
        player.step_back(&mut sink).unwrap();
        assert_files(&sink, &expected[i], &format!("step back to frame {i}"));
    }
    for i in [20usize, 3, 11, 10, 14, 0, 23] {
        player.seek_frame(i as u64, &mut sink).unwrap();
        assert_files(&sink, &expected[i], &format!("seek to frame {i}"));
        player.seek(expected[i].time, &mut sink).unwrap();
        assert_files(
            &sink,
            &expected[i],
            &format!("seek to {:?}", expected[i].time),
        );
    }
}

#[test]
fn commands_sent_up_front_are_played_in_order_to_the_end() {
    let (bytes, expected) = small_capture();
    let dir = shm_dir();
    let options = PlayOptions {
        paused: true,
        ..PlayOptions::default()
    };
    let mut player = player(bytes, &options);
    let mut sink = FileSink::new(dir.path(), player.reader().header()).unwrap();
    let (tx, rx) = mpsc::channel();
    for command in [
        Command::Step,
        Command::Step,
        Command::Step,
        Command::StepBack,
        Command::SeekFrame(20),
        Command::Speed(20.0),
        Command::Play,
    ] {
        tx.send(command).unwrap();
    }
    let report = player.run(&mut sink, &rx).unwrap();
    assert!(!report.stopped, "it ends at the end of the capture");
    // Three steps, then frames 21, 22 and 23 played on time.
    assert_eq!(report.frames, 6);
    assert_eq!(report.lateness.count(), 3);
    assert_eq!(player.reader().position(), Some(23));
    assert_files(&sink, &expected[23], "the end");
}

/// A capture of `frames` frames `gap` apart, one mapping changing each.
fn spaced_capture(frames: u64, gap: Duration) -> (Vec<u8>, Vec<Expected>) {
    let header = small_header(&[512]);
    let steps: Vec<_> = (0..frames)
        .map(|i| {
            let mut ops = vec![Op::Page {
                mapping: 0,
                page: (i % 2) as usize,
                seed: i + 1,
                flips: 4,
            }];
            if i == 0 {
                ops.push(Op::State {
                    mapping: 0,
                    state: MappingState::Live,
                });
            }
            (gap, ops)
        })
        .collect();
    write_model(&header, WriterOptions::default(), &steps)
}

#[test]
fn a_pause_while_a_frame_waits_keeps_the_cursor_on_what_the_files_hold() {
    let (bytes, expected) = spaced_capture(40, Duration::from_millis(50));
    let dir = shm_dir();
    let mut player = player(bytes, &PlayOptions::default());
    let mut sink = FileSink::new(dir.path(), player.reader().header()).unwrap();
    let (tx, rx) = mpsc::channel();
    let sender = std::thread::spawn(move || {
        // Mid-way between two frames: one is decoded and waiting.
        std::thread::sleep(Duration::from_millis(175));
        tx.send(Command::Pause).unwrap();
        std::thread::sleep(Duration::from_millis(100));
        tx.send(Command::Stop).unwrap();
    });
    let report = player.run(&mut sink, &rx).unwrap();
    sender.join().unwrap();
    assert!(report.stopped);
    let position = player.reader().position().expect("some frames played") as usize;
    assert!(position < 39, "paused before the end");
    assert_eq!(report.frames as usize, position + 1);
    assert_files(&sink, &expected[position], "paused");
}

#[test]
fn looping_plays_again_until_stopped() {
    let (bytes, expected) = small_capture();
    let dir = shm_dir();
    let options = PlayOptions {
        looping: true,
        speed: 4.0,
        ..PlayOptions::default()
    };
    let mut player = player(bytes, &options);
    let mut sink = FileSink::new(dir.path(), player.reader().header()).unwrap();
    let (tx, rx) = mpsc::channel();
    let sender = std::thread::spawn(move || {
        // The capture lasts 48 ms, 12 ms at this speed.
        std::thread::sleep(Duration::from_millis(150));
        tx.send(Command::Stop).unwrap();
    });
    let report = player.run(&mut sink, &rx).unwrap();
    sender.join().unwrap();
    assert!(report.stopped);
    assert!(report.loops >= 1, "{report:?}");
    assert!(report.frames > expected.len() as u64);
    let position = player.reader().position();
    match position {
        Some(i) => assert_files(&sink, &expected[i as usize], "stopped"),
        None => assert!(!sink.path(0).exists()),
    }
}

#[test]
fn a_bad_speed_is_refused() {
    let (bytes, _) = small_capture();
    let reader = CaptureReader::from_bytes(Path::new("mem"), bytes).unwrap();
    let options = PlayOptions {
        speed: 0.0,
        ..PlayOptions::default()
    };
    let err = Player::new(reader, &options).unwrap_err().to_string();
    assert_eq!(err, "speed 0 is not from 0.01 to 100");
}
