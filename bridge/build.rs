//! Builds `bcryptprimitives.dll` (see `shim/bcryptprimitives.c`) when the
//! bridge is built for Windows, and puts it next to the bridge exe, where
//! Windows looks for DLLs first.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=shim/bcryptprimitives.c");
    println!("cargo:rerun-if-changed=shim/bcryptprimitives.def");
    println!("cargo:rerun-if-env-changed=BRIDGEKEEPER_MINGW_GCC");
    if env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("windows") {
        return;
    }
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let dll = out_dir.join("bcryptprimitives.dll");
    let gcc =
        env::var("BRIDGEKEEPER_MINGW_GCC").unwrap_or_else(|_| "x86_64-w64-mingw32-gcc".into());
    let status = Command::new(&gcc)
        .args(["-O2", "-shared", "-s", "-o"])
        .arg(&dll)
        .args([
            "shim/bcryptprimitives.c",
            "shim/bcryptprimitives.def",
            "-lbcrypt",
        ])
        .status()
        .unwrap_or_else(|err| {
            panic!(
                "could not run {gcc}: {err}; install it with `apt-get install gcc-mingw-w64-x86-64`"
            )
        });
    assert!(
        status.success(),
        "{gcc} failed to build bcryptprimitives.dll"
    );

    // OUT_DIR is <target>/<triple>/<profile>/build/<pkg>-<hash>/out.
    let exe_dir: &Path = out_dir
        .ancestors()
        .nth(3)
        .expect("OUT_DIR has the layout cargo documents");
    std::fs::copy(&dll, exe_dir.join("bcryptprimitives.dll"))
        .expect("copying bcryptprimitives.dll next to the bridge exe");
}
