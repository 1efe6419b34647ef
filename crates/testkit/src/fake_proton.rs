//! The programs of a fake Steam tree that run a game the way Steam and
//! Proton do, in the same order, but with Debian's Wine.
//!
//! Failure mode: a fake `proton` that only runs `wine game.exe` hides what
//! Bridgekeeper meets on a real machine: Steam's reaper adopting every
//! Wine process, Proton's start-up time before Wine, the wineserver
//! starting before the game, and Proton's `steam.exe` between Wine and the
//! game, carrying the game's path as an argument and waiting for every
//! program in the prefix. A watcher, a wrapper or a bridge that only works
//! without them passes such tests and fails for users. So each step is
//! here, in the real order (docs/steam-internals.md, "The launch chain",
//! says what the real programs do and where):
//!
//! 1. [`REAPER`]: `reaper SteamLaunch AppId=N -- COMMAND`, a child
//!    subreaper that waits for every process COMMAND leaves behind;
//! 2. [`ENTRY_POINT`]: the Steam Linux Runtime's `_v2-entry-point`, which
//!    runs its command (no container here);
//! 3. [`PROTON`]: the `proton` script: interpreter start-up
//!    ([`STARTUP_ENV`], default [`DEFAULT_STARTUP`]), Wine's environment,
//!    the prefix set-up under `pfx.lock` (which installs `steam.exe` in the
//!    prefix), `wineserver -w` for `waitforexitandrun`, then
//!    `wine STEAM_EXE GAME ARGS` ([`STEAM_EXE`]), whose Wine starts the
//!    prefix's wineserver first;
//! 4. `steam.exe`: the test game under that name (tests/testgame,
//!    `steam_exe.rs`), which starts the game and waits;
//! 5. the game's exe (or its launcher, which starts the game's exe).

use std::time::Duration;

/// Environment variable that sets the fake `proton` script's start-up
/// pause in whole milliseconds, for one launch.
pub const STARTUP_ENV: &str = "BRIDGEKEEPER_FAKE_PROTON_STARTUP_MS";

/// The fake `proton` script's start-up pause when [`STARTUP_ENV`] is unset:
/// about what Python takes to start Proton's script and import its modules.
pub const DEFAULT_STARTUP: Duration = Duration::from_millis(150);

/// Where the fake Proton keeps its `steam.exe` (and the DLL it needs), as
/// Proton keeps its Windows programs; the script installs them in the
/// prefix at [`STEAM_EXE`]'s folder.
pub const WINDOWS_PROGRAMS_DIR: &str = "files/lib64/wine/x86_64-windows";

/// The `steam.exe` the fake runs. Proton runs its built-in one in
/// `system32`, which needs no DLL; the test program needs
/// `bcryptprimitives.dll` beside it, and in `system32` that DLL would serve
/// every program of the prefix and hide a bridge missing its own copy. So
/// the fake uses the other place Proton puts a `steam.exe` and runs it from
/// for a few games: Steam's folder in the prefix.
pub const STEAM_EXE: &str = r"c:\Program Files (x86)\Steam\steam.exe";

/// [`STEAM_EXE`]'s folder, under the prefix.
pub const STEAM_EXE_DIR: &str = "drive_c/Program Files (x86)/Steam";

/// Files the script installs from [`WINDOWS_PROGRAMS_DIR`] into the prefix.
pub const PREFIX_FILES: [&str; 2] = ["steam.exe", "bcryptprimitives.dll"];

/// The fake `proton` script; `@STARTUP_MS@` is replaced by the default
/// start-up pause ([`proton_script`]).
const PROTON: &str = r#"#!/bin/sh
# A stand-in for Proton's `proton` script that runs Debian's Wine, doing
# what the real one does, in its order (docs/steam-internals.md, "The
# launch chain"; crates/testkit/src/fake_proton.rs).
proton=$(cd "$(dirname "$0")" && pwd)

# 1. Python's start-up and the script's imports.
startup_ms=${BRIDGEKEEPER_FAKE_PROTON_STARTUP_MS:-@STARTUP_MS@}
case $startup_ms in
    '' | *[!0-9]*)
        echo "fake proton: BRIDGEKEEPER_FAKE_PROTON_STARTUP_MS is '$startup_ms'; give whole milliseconds, e.g. 150" >&2
        exit 2 ;;
esac
sleep "$((startup_ms / 1000)).$(printf %03d $((startup_ms % 1000)))"

# 2. Nothing runs without the app's compatdata folder.
if [ -z "$STEAM_COMPAT_DATA_PATH" ]; then
    echo "fake proton: No compat data path?" >&2
    exit 1
fi

# 3. Wine's environment (Session.init_wine, Session.init_session).
export WINEPREFIX="$STEAM_COMPAT_DATA_PATH/pfx"
export PATH="$proton/files/bin:$PATH"
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
if [ "${PROTON_NO_ESYNC:-0}" != 0 ]; then unset WINEESYNC; else export WINEESYNC=1; fi
if [ "${PROTON_NO_FSYNC:-0}" != 0 ]; then unset WINEFSYNC; else export WINEFSYNC=1; fi

# 4. The prefix set-up, holding pfx.lock (CompatData.setup_prefix):
# Proton's Windows programs go into the prefix.
(
    flock 9 || exit 1
    mkdir -p "$WINEPREFIX/@STEAM_EXE_DIR@" || exit 1
    for file in @PREFIX_FILES@; do
        from="$proton/@WINDOWS_PROGRAMS_DIR@/$file"
        to="$WINEPREFIX/@STEAM_EXE_DIR@/$file"
        if ! cmp -s "$from" "$to"; then
            cp "$from" "$to.new" && mv -f "$to.new" "$to" || exit 1
        fi
    done
) 9>"$STEAM_COMPAT_DATA_PATH/pfx.lock" || {
    echo "fake proton: cannot set up the prefix $WINEPREFIX" >&2
    exit 1
}

# 5. The verb (__main__): wait for the prefix's last wineserver to end,
# then start steam.exe with the game's command line and wait for it.
verb=$1
[ $# -gt 0 ] && shift
case $verb in
    waitforexitandrun) "$proton/files/bin/wineserver" -w ;;
    run) ;;
    *)
        echo "fake proton: Need a verb." >&2
        exit 1 ;;
esac
"$proton/files/bin/wine" '@STEAM_EXE@' "$@"
"#;

/// The fake `proton` script, pausing `startup` unless [`STARTUP_ENV`] says
/// otherwise.
pub fn proton_script(startup: Duration) -> String {
    PROTON
        .replace("@STARTUP_MS@", &startup.as_millis().to_string())
        .replace("@PREFIX_FILES@", &PREFIX_FILES.join(" "))
        .replace("@WINDOWS_PROGRAMS_DIR@", WINDOWS_PROGRAMS_DIR)
        .replace("@STEAM_EXE_DIR@", STEAM_EXE_DIR)
        .replace("@STEAM_EXE@", STEAM_EXE)
}

/// The fake Proton's `files/bin/wine`: Debian's.
pub const WINE: &str = "#!/bin/sh\nexec /usr/bin/wine \"$@\"\n";

/// Debian's wineserver, which the fake Proton's `files/bin/wineserver`
/// links to.
pub const WINESERVER: &str = "/usr/lib/wine/wineserver64";

/// Steam's `ubuntu12_32/reaper`, in Perl (which every Debian has) because
/// a shell cannot become a subreaper.
pub const REAPER: &str = r#"#!/usr/bin/perl
# Stands in for Steam's reaper: `reaper SteamLaunch AppId=N -- COMMAND ARGS`.
# A child subreaper, as the real one: it runs COMMAND, adopts the processes
# COMMAND leaves behind (Wine's programs and the wineserver leave their
# parents), and ends when the last of them has ended, with COMMAND's status.
use strict;
use warnings;
use Config;
my ($SYS_prctl, $PR_SET_CHILD_SUBREAPER) = (157, 36);
$Config{archname} =~ /^x86_64/
    or die "fake reaper: prctl's system call number here is x86_64's, not $Config{archname}'s\n";
syscall($SYS_prctl, $PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    or die "fake reaper: prctl(PR_SET_CHILD_SUBREAPER): $!\n";
shift @ARGV while @ARGV && $ARGV[0] ne '--';
shift @ARGV;
@ARGV or die "fake reaper: no command after --\n";
defined(my $child = fork()) or die "fake reaper: fork: $!\n";
if ($child == 0) {
    exec { $ARGV[0] } @ARGV;
    die "fake reaper: cannot run $ARGV[0]: $!\n";
}
my $status = 0;
while ((my $pid = waitpid(-1, 0)) > 0) {
    $status = $? if $pid == $child;
}
exit(($status & 127) ? 128 + ($status & 127) : $status >> 8);
"#;

/// The runtime's `_v2-entry-point --verb=VERB -- COMMAND`: drops its own
/// arguments up to `--` and runs the rest in its place.
pub const ENTRY_POINT: &str = r#"#!/bin/sh
# Stands in for the Steam Linux Runtime's entry point: drops its own
# arguments up to `--` and runs the rest (no container here).
while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do shift; done
shift
exec "$@"
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_gets_its_default_and_its_file_list() {
        let script = proton_script(Duration::from_millis(250));
        assert!(script.contains("BRIDGEKEEPER_FAKE_PROTON_STARTUP_MS:-250}"));
        assert!(script.contains("for file in steam.exe bcryptprimitives.dll; do"));
        for placeholder in [
            "@STARTUP_MS@",
            "@PREFIX_FILES@",
            "@WINDOWS_PROGRAMS_DIR@",
            "@STEAM_EXE_DIR@",
            "@STEAM_EXE@",
        ] {
            assert!(!script.contains(placeholder), "{placeholder} is filled");
        }
        assert!(script.contains(STARTUP_ENV));
    }

    fn syntax_check(program: &str, flag: &str, text: &str) {
        let dir = crate::scratch::ScratchDir::new("syntax");
        let file = dir.path().join("script");
        std::fs::write(&file, text).unwrap();
        let output = std::process::Command::new(program)
            .arg(flag)
            .arg(&file)
            .output()
            .unwrap_or_else(|err| panic!("running {program}: {err}"));
        assert!(
            output.status.success(),
            "{program} {flag}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    #[test]
    fn the_scripts_parse() {
        syntax_check("sh", "-n", &proton_script(DEFAULT_STARTUP));
        syntax_check("sh", "-n", ENTRY_POINT);
        syntax_check("sh", "-n", WINE);
        syntax_check("perl", "-c", REAPER);
    }

    /// Runs the reaper on `command`; returns its exit code and how long it ran.
    fn reap(command: &[&str]) -> (Option<i32>, Duration) {
        let dir = crate::scratch::ScratchDir::new("reaper");
        let reaper = dir.path().join("reaper");
        std::fs::write(&reaper, REAPER).unwrap();
        let started = std::time::Instant::now();
        let status = std::process::Command::new("perl")
            .arg(&reaper)
            .args(["SteamLaunch", "AppId=1", "--"])
            .args(command)
            .status()
            .unwrap();
        (status.code(), started.elapsed())
    }

    #[test]
    fn the_reaper_waits_for_what_its_command_leaves_behind_and_keeps_its_status() {
        let (code, took) = reap(&["sh", "-c", "sleep 1 & exit 3"]);
        assert_eq!(code, Some(3));
        assert!(
            took >= Duration::from_secs(1),
            "the reaper ended after {took:?}, before the orphaned sleep"
        );
    }

    #[test]
    fn the_reaper_reports_a_command_killed_by_a_signal() {
        let (code, _) = reap(&["sh", "-c", "kill -9 $$"]);
        assert_eq!(code, Some(128 + 9));
        let (code, _) = reap(&["/nonexistent/program"]);
        assert_ne!(code, Some(0));
    }
}
