//! Joining the tool's wineserver: the same rules as attach
//! ([`crate::wine_env`]), with the target's own build and sync settings.
//!
//! Failure mode: a Wine of another build than the one running the tool's
//! wineserver fails with "version mismatch" (or, worse, starts a second
//! wineserver where the tool will never see the sections), and a serve
//! bridge with other sync settings than the server cannot talk to it. So
//! the `wine` is the one of the target's Proton, checked against the
//! running server's exe (refused with the reason when they differ), or,
//! for a bare prefix, the `wine` beside the running server itself; the
//! sync settings are the server's own.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use bridgekeeper_host::process_info::ProcessInfo;

use super::target::ResolvedTarget;
use crate::wine_env::{self, WinePlan};

/// Variables copied from the tool's wineserver into the serve bridge's
/// environment, besides the sync settings.
const COPIED_VARS: &[&str] = &["WINEDLLPATH", "WINEDLLOVERRIDES"];

/// Why a serve bridge cannot join the target's wineserver.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetJoinError {
    #[error(
        "the wineserver of {prefix} is {running}, but {label}'s Proton would run {ours}; Wine \
         would fail with \"version mismatch\". Start the tool with the Proton build Steam has \
         for it, or choose that build for the tool in Steam (Properties > Compatibility)"
    )]
    Mismatch {
        label: String,
        prefix: PathBuf,
        running: PathBuf,
        ours: PathBuf,
    },
    #[error("no wine in {proton} (looked for files/bin/wine and dist/bin/wine)")]
    NoWine { proton: PathBuf },
    #[error(
        "no wine beside the wineserver {server} of {prefix}; share into the tool by its Steam \
         appid or shortcut, so its Proton build is known"
    )]
    NoWineBesideServer { server: PathBuf, prefix: PathBuf },
}

/// The running wineserver of `prefix` among `wineservers`, if any.
pub fn server_of<'a>(prefix: &Path, wineservers: &'a [ProcessInfo]) -> Option<&'a ProcessInfo> {
    wineservers.iter().find(|s| {
        s.prefix()
            .is_some_and(|p| crate::registry::same_prefix(&p, prefix))
    })
}

/// Plans a Wine process in the running wineserver `server` of `target`,
/// whose exe is `server_exe`.
pub fn plan(
    target: &ResolvedTarget,
    server: &ProcessInfo,
    server_exe: &Path,
) -> Result<WinePlan, TargetJoinError> {
    let (wine, proton) = match &target.proton {
        Some(proton) => {
            let wine = wine_env::proton_wine(proton).ok_or_else(|| TargetJoinError::NoWine {
                proton: proton.clone(),
            })?;
            let ours = wine.with_file_name("wineserver");
            let same = std::fs::canonicalize(&ours).is_ok_and(|ours| ours == server_exe);
            if !same {
                return Err(TargetJoinError::Mismatch {
                    label: target.label.clone(),
                    prefix: target.prefix.clone(),
                    running: server_exe.to_path_buf(),
                    ours,
                });
            }
            (wine, Some(proton.clone()))
        }
        None => {
            let wine =
                wine_beside(server_exe).ok_or_else(|| TargetJoinError::NoWineBesideServer {
                    server: server_exe.to_path_buf(),
                    prefix: target.prefix.clone(),
                })?;
            (wine, None)
        }
    };
    let mut env: Vec<(OsString, OsString)> =
        vec![("WINEPREFIX".into(), target.prefix.clone().into())];
    env.extend(server.sync_vars());
    for name in COPIED_VARS {
        if let Some(value) = server.var(name) {
            env.push((name.into(), value.to_os_string()));
        }
    }
    if let Some(proton) = &proton {
        env.push((
            "LD_LIBRARY_PATH".into(),
            wine_env::library_path(proton, server.var("LD_LIBRARY_PATH")),
        ));
    }
    Ok(WinePlan {
        proton: proton.unwrap_or_else(|| server_exe.parent().unwrap_or(server_exe).to_path_buf()),
        wine,
        prefix: target.prefix.clone(),
        env,
        sync_source: format!("the tool's wineserver (pid {})", server.pid),
    })
}

/// The `wine` loader beside a wineserver binary (`wineserver` →
/// `wine`, `wineserver64` → `wine64`), or in `../bin`.
fn wine_beside(server_exe: &Path) -> Option<PathBuf> {
    let dir = server_exe.parent()?;
    let suffix = server_exe
        .file_name()?
        .to_str()?
        .strip_prefix("wineserver")
        .unwrap_or("");
    [
        dir.join(format!("wine{suffix}")),
        dir.join("wine"),
        dir.join("wine64"),
        dir.join("../bin/wine"),
    ]
    .into_iter()
    .find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(prefix: &Path) -> ProcessInfo {
        ProcessInfo {
            pid: 77,
            start_time: 1,
            cmdline: vec!["wineserver".into()],
            exe_name: "wineserver".into(),
            environ: [
                ("WINEPREFIX", prefix.as_os_str()),
                ("WINEFSYNC", "1".as_ref()),
            ]
            .into_iter()
            .map(|(k, v)| (OsString::from(k), v.to_os_string()))
            .collect(),
        }
    }

    /// A Proton build other than the running server's is refused, naming
    /// both and the fix.
    #[test]
    fn another_build_than_the_running_server_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let proton = dir.path().join("Proton 9.0");
        std::fs::create_dir_all(proton.join("files/bin")).unwrap();
        std::fs::write(proton.join("files/bin/wine"), b"").unwrap();
        std::fs::write(proton.join("files/bin/wineserver"), b"").unwrap();
        let prefix = dir.path().join("pfx");
        let target = ResolvedTarget {
            label: "SimHub".into(),
            prefix: prefix.clone(),
            proton: Some(proton.clone()),
        };
        let err = plan(
            &target,
            &server(&prefix),
            Path::new("/usr/lib/wine/wineserver64"),
        )
        .unwrap_err();
        assert!(matches!(err, TargetJoinError::Mismatch { .. }), "{err}");
        let text = err.to_string();
        assert!(
            text.contains("/usr/lib/wine/wineserver64") && text.contains("version mismatch"),
            "{text}"
        );

        let ours = std::fs::canonicalize(proton.join("files/bin/wineserver")).unwrap();
        let plan = plan(&target, &server(&prefix), &ours).unwrap();
        assert_eq!(plan.wine, proton.join("files/bin/wine"));
        assert!(
            plan.env
                .contains(&(OsString::from("WINEFSYNC"), OsString::from("1"))),
            "the server's sync settings: {:?}",
            plan.env
        );
    }

    #[test]
    fn a_bare_prefix_uses_the_wine_beside_its_server() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("wineserver64"), b"").unwrap();
        std::fs::write(dir.path().join("wine64"), b"").unwrap();
        let target = ResolvedTarget {
            label: "pfx".into(),
            prefix: dir.path().join("pfx"),
            proton: None,
        };
        let plan = plan(
            &target,
            &server(&target.prefix),
            &dir.path().join("wineserver64"),
        )
        .unwrap();
        assert_eq!(plan.wine, dir.path().join("wine64"));
    }
}
