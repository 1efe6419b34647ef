//! Assembles the AppDir and packs it into an AppImage: the type-2 runtime
//! (from the `appimage` crate) followed by a squashfs image of the AppDir
//! (made by Debian's `mksquashfs`).
//!
//! ```text
//! bridgekeeper-appimage --app BIN --bridge-dir DIR --assets DIR --out FILE
//! ```

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail, ensure};

const APP_ID: &str = "io.github.bridgekeeper.Bridgekeeper";
const BRIDGE_FILES: [&str; 2] = ["bridgekeeper-bridge.exe", "bcryptprimitives.dll"];

/// The command line.
#[derive(Debug)]
struct Args {
    app: PathBuf,
    bridge_dir: PathBuf,
    assets: PathBuf,
    out: PathBuf,
}

fn parse_args() -> Result<Args> {
    let usage = "usage: bridgekeeper-appimage --app BIN --bridge-dir DIR --assets DIR --out FILE";
    let mut args = std::env::args_os().skip(1);
    let (mut app, mut bridge_dir, mut assets, mut out) = (None, None, None, None);
    while let Some(flag) = args.next() {
        let slot = match flag.to_str() {
            Some("--app") => &mut app,
            Some("--bridge-dir") => &mut bridge_dir,
            Some("--assets") => &mut assets,
            Some("--out") => &mut out,
            _ => bail!("unknown argument {}; {usage}", flag.to_string_lossy()),
        };
        let value = args
            .next()
            .with_context(|| format!("{} needs a value; {usage}", flag.to_string_lossy()))?;
        *slot = Some(PathBuf::from(value));
    }
    let need =
        |v: Option<PathBuf>, name: &str| v.with_context(|| format!("{name} is missing; {usage}"));
    Ok(Args {
        app: need(app, "--app")?,
        bridge_dir: need(bridge_dir, "--bridge-dir")?,
        assets: need(assets, "--assets")?,
        out: need(out, "--out")?,
    })
}

fn main() -> Result<()> {
    let args = parse_args()?;
    for input in [&args.app, &args.assets, &args.bridge_dir] {
        ensure!(input.exists(), "{} does not exist", input.display());
    }
    let build_dir = args
        .out
        .parent()
        .context("--out needs a directory part")?
        .to_path_buf();
    fs::create_dir_all(&build_dir)
        .with_context(|| format!("cannot create {}", build_dir.display()))?;
    let image = appimage::AppImage::new(&build_dir, "Bridgekeeper".into())?;
    fill(image.appdir(), &args)?;
    let appdir = image.appdir().to_path_buf();
    let _ = fs::remove_file(&args.out);
    image
        .build(&args.out, None)
        .context("mksquashfs failed (Debian package squashfs-tools)")?;
    let squashfs = build_dir.join("Bridgekeeper.squashfs");
    let total = fs::metadata(&args.out)?.len();
    let runtime = total - fs::metadata(&squashfs)?.len();
    fs::remove_file(&squashfs)?;
    println!("appdir {}", appdir.display());
    println!("appimage {}", args.out.display());
    println!("runtime-bytes {runtime}");
    println!("total-bytes {total}");
    Ok(())
}

/// Lays out the AppDir:
///
/// ```text
/// AppRun -> usr/bin/bridgekeeper
/// usr/bin/bridgekeeper
/// usr/lib/bridgekeeper/{bridgekeeper-bridge.exe,bcryptprimitives.dll}
/// usr/share/applications/<id>.desktop, <id>.desktop
/// usr/share/icons/hicolor/…, <id>.png, .DirIcon -> <id>.png
/// usr/share/metainfo/<id>.metainfo.xml
/// ```
fn fill(appdir: &Path, args: &Args) -> Result<()> {
    copy(&args.app, &appdir.join("usr/bin/bridgekeeper"), 0o755)?;
    symlink("usr/bin/bridgekeeper", appdir.join("AppRun"))?;
    for name in BRIDGE_FILES {
        copy(
            &args.bridge_dir.join(name),
            &appdir.join("usr/lib/bridgekeeper").join(name),
            0o644,
        )?;
    }
    let desktop = format!("{APP_ID}.desktop");
    copy(
        &args.assets.join(&desktop),
        &appdir.join("usr/share/applications").join(&desktop),
        0o644,
    )?;
    symlink(
        format!("usr/share/applications/{desktop}"),
        appdir.join(&desktop),
    )?;
    let metainfo = format!("{APP_ID}.metainfo.xml");
    copy(
        &args.assets.join(&metainfo),
        &appdir.join("usr/share/metainfo").join(&metainfo),
        0o644,
    )?;
    let icons = args.assets.join("icons/hicolor");
    let mut sizes = 0;
    for entry in fs::read_dir(&icons).with_context(|| format!("cannot read {}", icons.display()))? {
        let size = entry?.file_name();
        let ext = if size == "scalable" { "svg" } else { "png" };
        let rel = Path::new(&size).join(format!("apps/{APP_ID}.{ext}"));
        copy(
            &icons.join(&rel),
            &appdir.join("usr/share/icons/hicolor").join(&rel),
            0o644,
        )?;
        sizes += 1;
    }
    ensure!(sizes > 1, "no icons in {}", icons.display());
    let icon = format!("{APP_ID}.png");
    fs::copy(
        icons.join(format!("256x256/apps/{icon}")),
        appdir.join(&icon),
    )
    .context("the 256×256 icon is missing; run assets/render-icons")?;
    symlink(&icon, appdir.join(".DirIcon"))?;
    Ok(())
}

/// Copies `from` to `to` (creating its directory) with `mode`.
fn copy(from: &Path, to: &Path, mode: u32) -> Result<()> {
    if let Some(dir) = to.parent() {
        fs::create_dir_all(dir)?;
    }
    fs::copy(from, to)
        .with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
    fs::set_permissions(to, fs::Permissions::from_mode(mode))?;
    Ok(())
}
