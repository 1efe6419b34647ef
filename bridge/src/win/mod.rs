//! Everything that calls Windows.

mod copier;
mod files;
mod follow;
mod mapping;
mod owner_only;
mod process;
mod run;
mod serve;
mod view;

pub use run::run;

use windows_sys::Win32::System::Environment::GetCommandLineW;

/// The process's raw command line, as Windows passed it.
pub fn command_line() -> String {
    // SAFETY: GetCommandLineW returns a pointer to a NUL-terminated string
    // that lives as long as the process and is never written to by us.
    unsafe {
        let ptr = GetCommandLineW();
        let len = (0..).take_while(|&i| *ptr.add(i) != 0).count();
        String::from_utf16_lossy(std::slice::from_raw_parts(ptr, len))
    }
}

/// A NUL-terminated UTF-16 copy of `text`, for Windows calls.
fn wide(text: &str) -> Vec<u16> {
    text.encode_utf16().chain(std::iter::once(0)).collect()
}

/// A Windows error code and the system's sentence for it.
#[derive(Debug, Clone)]
pub struct WinError {
    /// The `GetLastError` value.
    pub code: u32,
    /// What the bridge was doing, and what Windows said.
    pub message: String,
}

impl WinError {
    /// The last error of this thread, with what was being done.
    fn last(doing: &str) -> Self {
        let code = unsafe { windows_sys::Win32::Foundation::GetLastError() };
        Self::new(code, doing)
    }

    fn new(code: u32, doing: &str) -> Self {
        let system = std::io::Error::from_raw_os_error(code as i32);
        WinError {
            code,
            message: format!("{doing}: {system}"),
        }
    }
}
