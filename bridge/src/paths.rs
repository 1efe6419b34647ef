//! Linux paths as Windows programs under Wine must spell them.

/// The Windows form of an absolute Linux path: `\\?\unix\dev\shm\x` for
/// `/dev/shm/x`. Wine maps it straight to the Unix path, with no dependency on
/// a drive letter such as `Z:`, which a prefix may lack or map elsewhere.
pub fn to_wine(linux: &str) -> String {
    format!(r"\\?\unix{}", linux.replace('/', "\\"))
}

/// Joins a Linux directory and a relative path with `/`.
pub fn join(dir: &str, relative: &str) -> String {
    if dir.ends_with('/') {
        format!("{dir}{relative}")
    } else {
        format!("{dir}/{relative}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wine_form() {
        assert_eq!(
            to_wine("/dev/shm/acpmf_physics"),
            r"\\?\unix\dev\shm\acpmf_physics"
        );
        assert_eq!(
            to_wine(&join("/dev/shm", "Global/X")),
            r"\\?\unix\dev\shm\Global\X"
        );
        assert_eq!(join("/", "x"), "/x");
    }
}
