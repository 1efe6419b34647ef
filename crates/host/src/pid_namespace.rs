//! Which pid namespace a pid belongs to.
//!
//! A pid means something only in its namespace. Each `flatpak run` gets a
//! new one, so a pid recorded inside the sandbox names nothing (or another
//! process) for the next instance of the app, or on the host. A session
//! therefore records the namespace of its owner's pid, and liveness is
//! judged there: locally when it is ours, through the host when it is the
//! host's (see [`crate::processes::is_alive_in`]).
//!
//! A namespace is named by the inode of its `/proc/<pid>/ns/pid` link
//! (`pid:[4026531836]`), the same number from every namespace.

use std::sync::OnceLock;

use crate::command::HostCommand;

/// The pid namespace of this process.
pub fn own() -> Option<u64> {
    static OWN: OnceLock<Option<u64>> = OnceLock::new();
    *OWN.get_or_init(|| {
        let link = std::fs::read_link("/proc/self/ns/pid").ok()?;
        parse(link.to_str()?)
    })
}

/// The pid namespace of the host's processes: this process's own outside
/// a sandbox, else asked of the host once.
pub fn host() -> Option<u64> {
    if !crate::processes::through_host() {
        return own();
    }
    static HOST: OnceLock<Option<u64>> = OnceLock::new();
    *HOST.get_or_init(|| {
        let command =
            HostCommand::new("find").args(["/proc/self/ns/pid", "-maxdepth", "0", "-printf", "%l"]);
        let output = command
            .command()
            .stdin(std::process::Stdio::null())
            .output()
            .ok()?;
        parse(std::str::from_utf8(&output.stdout).ok()?.trim())
    })
}

/// The namespace number in a `pid:[N]` link target.
pub fn parse(link: &str) -> Option<u64> {
    link.strip_prefix("pid:[")?.strip_suffix(']')?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_this_namespace() {
        assert_eq!(parse("pid:[4026531836]"), Some(4_026_531_836));
        assert_eq!(parse("net:[1]"), None);
        let own = own().expect("/proc/self/ns/pid is readable");
        assert_eq!(host(), Some(own), "outside a sandbox the host is us");
    }
}
