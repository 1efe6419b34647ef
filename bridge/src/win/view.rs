//! Owned views of sections.

use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle};
use std::ptr::null;

use windows_sys::Win32::System::Memory::{
    CreateFileMappingW, FILE_MAP, MEMORY_BASIC_INFORMATION, MEMORY_MAPPED_VIEW_ADDRESS,
    MapViewOfFile, PAGE_READWRITE, UnmapViewOfFile, VirtualQuery,
};

use super::WinError;

/// A section handle and what `CreateFileMappingW` said about it.
#[derive(Debug)]
pub struct Section {
    /// The section.
    pub handle: OwnedHandle,
    /// True when the name already existed (error 183): someone else, usually
    /// the game, created it and the file handle was ignored.
    pub existed: bool,
}

/// Creates (or opens, if it exists) a section on `file` with an explicit size.
/// `name` is a NUL-terminated UTF-16 name, or `None` for an unnamed section.
pub fn create_section(
    file: &impl AsRawHandle,
    size: u64,
    name: Option<&[u16]>,
) -> Result<Section, WinError> {
    let name_ptr = name.map_or(null(), |n| n.as_ptr());
    // SAFETY: plain Win32 call; the file handle is open and `name_ptr` is
    // NUL-terminated or null.
    let handle = unsafe {
        CreateFileMappingW(
            file.as_raw_handle(),
            null(),
            PAGE_READWRITE,
            (size >> 32) as u32,
            size as u32,
            name_ptr,
        )
    };
    let error = unsafe { windows_sys::Win32::Foundation::GetLastError() };
    if handle.is_null() {
        return Err(WinError::new(error, "CreateFileMappingW failed"));
    }
    // SAFETY: the handle is valid and owned by nobody else.
    let handle = unsafe { OwnedHandle::from_raw_handle(handle) };
    Ok(Section {
        handle,
        existed: error == windows_sys::Win32::Foundation::ERROR_ALREADY_EXISTS,
    })
}

/// A mapped view, unmapped on drop.
#[derive(Debug)]
pub struct View {
    addr: *mut u8,
    len: usize,
}

// SAFETY: a view is plain memory shared with other processes anyway; the
// bridge only reads and writes it through raw pointers.
unsafe impl Send for View {}

impl View {
    /// Maps `len` bytes of `section`, or the whole section when `len` is 0.
    pub fn map(section: &impl AsRawHandle, access: FILE_MAP, len: usize) -> Result<View, WinError> {
        // SAFETY: plain Win32 call on a valid section handle.
        let addr = unsafe { MapViewOfFile(section.as_raw_handle(), access, 0, 0, len) };
        if addr.Value.is_null() {
            return Err(WinError::last("MapViewOfFile failed"));
        }
        let addr = addr.Value.cast::<u8>();
        let len = if len == 0 { region_size(addr) } else { len };
        Ok(View { addr, len })
    }

    /// The first byte.
    pub fn ptr(&self) -> *mut u8 {
        self.addr
    }

    /// How many bytes are mapped.
    pub fn len(&self) -> usize {
        self.len
    }
}

impl Drop for View {
    fn drop(&mut self) {
        // SAFETY: `addr` came from MapViewOfFile and is unmapped only here.
        unsafe {
            UnmapViewOfFile(MEMORY_MAPPED_VIEW_ADDRESS {
                Value: self.addr.cast(),
            });
        }
    }
}

/// The size of the view region starting at `addr`.
fn region_size(addr: *mut u8) -> usize {
    // SAFETY: MEMORY_BASIC_INFORMATION is plain data; VirtualQuery fills it.
    unsafe {
        let mut info: MEMORY_BASIC_INFORMATION = std::mem::zeroed();
        let filled = VirtualQuery(
            addr.cast(),
            &mut info,
            size_of::<MEMORY_BASIC_INFORMATION>(),
        );
        if filled == 0 { 0 } else { info.RegionSize }
    }
}
