//! The command Steam runs for a game, as `bridgekeeper run %command%` sees
//! it, and its rewrite with the bridge in launcher mode.
//!
//! Steam expands `%command%` into something like
//!
//! ```text
//! …/reaper SteamLaunch AppId=244210 -- …/steam-launch-wrapper --
//!     …/SteamLinuxRuntime_sniper/_v2-entry-point --verb=waitforexitandrun --
//!     …/Proton 9.0/proton waitforexitandrun …/AssettoCorsa.exe -arg
//! ```
//!
//! in either of two orders, possibly with other wrappers (gamemoderun,
//! mangohud) around it. It is parsed by pattern, never by position: the
//! `proton` script followed by its verb, and `AppId=` anywhere.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Proton's verb for games: wait for the prefix to be idle, then run.
pub const GAME_VERB: &str = "waitforexitandrun";

/// Where the parts of a Steam launch command are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SteamCommand {
    /// The appid from `AppId=N`, if the command has one.
    pub appid: Option<u32>,
    /// Index of the `proton` script.
    pub proton: usize,
    /// Index of the game's exe (right after the verb).
    pub game: usize,
}

/// Why a command cannot be rewritten.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("the command is empty; set the launch options to `bridgekeeper run %command%`")]
    Empty,
    #[error(
        "no `proton {GAME_VERB} <game.exe>` in the command; is this game set to run with Proton?"
    )]
    NoProton,
    #[error("`proton {GAME_VERB}` is not followed by the game's exe")]
    NoGame,
}

impl SteamCommand {
    /// Finds the Proton call and the appid in `args`.
    pub fn parse(args: &[OsString]) -> Result<SteamCommand, CommandError> {
        if args.is_empty() {
            return Err(CommandError::Empty);
        }
        let proton = args
            .windows(2)
            .position(|pair| is_proton(&pair[0]) && pair[1] == GAME_VERB)
            .ok_or(CommandError::NoProton)?;
        let game = proton + 2;
        if game >= args.len() {
            return Err(CommandError::NoGame);
        }
        Ok(SteamCommand {
            appid: args.iter().find_map(|a| app_id(a)),
            proton,
            game,
        })
    }

    /// The Proton directory (where the `proton` script is).
    pub fn proton_dir<'a>(&self, args: &'a [OsString]) -> Option<&'a Path> {
        Path::new(&args[self.proton]).parent()
    }

    /// The game's exe as Steam gave it.
    pub fn game_exe<'a>(&self, args: &'a [OsString]) -> &'a OsStr {
        &args[self.game]
    }

    /// `args` with the bridge and its arguments, then `--`, placed between
    /// Proton's verb and the game. Every other argument is kept byte for byte.
    pub fn with_bridge(
        &self,
        args: &[OsString],
        bridge: &Path,
        bridge_args: &[OsString],
    ) -> Vec<OsString> {
        let mut out = Vec::with_capacity(args.len() + bridge_args.len() + 2);
        out.extend_from_slice(&args[..self.game]);
        out.push(bridge.as_os_str().to_os_string());
        out.extend_from_slice(bridge_args);
        out.push("--".into());
        out.extend_from_slice(&args[self.game..]);
        out
    }
}

fn is_proton(arg: &OsStr) -> bool {
    Path::new(arg).file_name() == Some(OsStr::new("proton"))
}

fn app_id(arg: &OsStr) -> Option<u32> {
    let digits = arg.as_bytes().strip_prefix(b"AppId=")?;
    std::str::from_utf8(digits).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &[&str]) -> Vec<OsString> {
        line.iter().map(OsString::from).collect()
    }

    const PROTON: &str = "/home/u/.local/share/Steam/steamapps/common/Proton 9.0 (Beta)/proton";

    #[test]
    fn reaper_first() {
        let line = args(&[
            "/s/ubuntu12_32/reaper",
            "SteamLaunch",
            "AppId=244210",
            "--",
            "/s/ubuntu12_32/steam-launch-wrapper",
            "--",
            "/s/SteamLinuxRuntime_sniper/_v2-entry-point",
            "--verb=waitforexitandrun",
            "--",
            PROTON,
            "waitforexitandrun",
            "/g/AssettoCorsa.exe",
            "-a",
            "b c",
        ]);
        let parsed = SteamCommand::parse(&line).unwrap();
        assert_eq!(parsed.appid, Some(244_210));
        assert_eq!(parsed.game_exe(&line), "/g/AssettoCorsa.exe");
        assert_eq!(
            parsed.proton_dir(&line).unwrap(),
            Path::new(PROTON).parent().unwrap()
        );
        let rewritten =
            parsed.with_bridge(&line, Path::new("/c/bridge.exe"), &args(&["--map", "x=1"]));
        assert_eq!(&rewritten[..11], &line[..11]);
        assert_eq!(
            &rewritten[11..],
            &args(&[
                "/c/bridge.exe",
                "--map",
                "x=1",
                "--",
                "/g/AssettoCorsa.exe",
                "-a",
                "b c"
            ])[..]
        );
    }

    #[test]
    fn wrapper_first_and_other_tools() {
        let line = args(&[
            "gamemoderun",
            "/s/steam-launch-wrapper",
            "--",
            "/s/reaper",
            "SteamLaunch",
            "AppId=805550",
            "--",
            "mangohud",
            PROTON,
            "waitforexitandrun",
            "/g/AC2-Win64-Shipping.exe",
        ]);
        let parsed = SteamCommand::parse(&line).unwrap();
        assert_eq!(parsed.appid, Some(805_550));
        assert_eq!(parsed.game, 10);
    }

    #[test]
    fn unparseable_commands() {
        assert_eq!(SteamCommand::parse(&[]), Err(CommandError::Empty));
        assert_eq!(
            SteamCommand::parse(&args(&["/usr/bin/game"])),
            Err(CommandError::NoProton)
        );
        assert_eq!(
            SteamCommand::parse(&args(&[PROTON, "run", "setup.exe"])),
            Err(CommandError::NoProton)
        );
        assert_eq!(
            SteamCommand::parse(&args(&[PROTON, "waitforexitandrun"])),
            Err(CommandError::NoGame)
        );
        let no_app = SteamCommand::parse(&args(&[PROTON, "waitforexitandrun", "g.exe"])).unwrap();
        assert_eq!(no_app.appid, None);
    }

    #[test]
    fn non_utf8_arguments_survive() {
        use std::os::unix::ffi::OsStringExt;
        let odd = OsString::from_vec(vec![b'-', 0xff, 0xfe]);
        let mut line = args(&[PROTON, "waitforexitandrun", "g.exe"]);
        line.push(odd.clone());
        let parsed = SteamCommand::parse(&line).unwrap();
        let rewritten = parsed.with_bridge(&line, Path::new("/b.exe"), &[]);
        assert_eq!(rewritten.last(), Some(&odd));
    }
}
