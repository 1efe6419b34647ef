//! Files and directories that the bridge creates itself are its user's
//! only: mode 0600 (0700 for the `Global` directory).
//!
//! Under Wine a file is created by the wineserver, not by the calling
//! process: without a security descriptor its mode is 0666 (0777 for a
//! directory) minus the umask of the program that started the prefix's
//! wineserver (for a game, whatever Steam's umask was), whatever the umask
//! of the shell that started the bridge. A `/dev/shm` file that other users
//! can read, or with umask 0 write, is what the project promises never to
//! leave.
//!
//! When the create request carries a security descriptor, Wine derives the
//! mode from its DACL instead (`sd_to_mode` in Wine's `server/file.c`): an
//! ACE for the descriptor's owner gives user bits only, as long as that
//! owner is not one of the process token's own SIDs (then it gives user and
//! group bits). So the descriptor names OWNER RIGHTS (S-1-3-4), which no
//! token holds, as owner and grants it exactly read and write (and list for
//! a directory). Wine stores no owner and no ACL of its own for the file:
//! only the mode remains, and the umask can only take bits away from it.
//! A file that exists already is opened as it is.

use std::ptr::null_mut;

use windows_sys::Win32::Security::{
    ACL, ACL_REVISION, AddAccessAllowedAce, CreateWellKnownSid, GetLengthSid, InitializeAcl,
    InitializeSecurityDescriptor, PSECURITY_DESCRIPTOR, SECURITY_ATTRIBUTES, SECURITY_DESCRIPTOR,
    SECURITY_MAX_SID_SIZE, SetSecurityDescriptorDacl, SetSecurityDescriptorOwner,
    WinCreatorOwnerRightsSid,
};
use windows_sys::Win32::Storage::FileSystem::{
    FILE_ALL_ACCESS, FILE_GENERIC_READ, FILE_GENERIC_WRITE,
};

use super::WinError;

/// `SECURITY_DESCRIPTOR_REVISION` (winnt.h).
const SECURITY_DESCRIPTOR_REVISION: u32 = 1;

/// What the owner may do with a new object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Read and write, no execute: mode 0600.
    File,
    /// Everything: mode 0700.
    Directory,
}

/// A security descriptor that makes Wine create an owner-only object.
///
/// The descriptor points into the SID and ACL buffers, which live on the
/// heap, so moving an `OwnerOnly` keeps it valid.
pub struct OwnerOnly {
    descriptor: Box<SECURITY_DESCRIPTOR>,
    _sid: Vec<u8>,
    _acl: Vec<u64>,
}

impl std::fmt::Debug for OwnerOnly {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OwnerOnly")
    }
}

impl OwnerOnly {
    /// Builds the descriptor for `kind`.
    pub fn new(kind: Kind) -> Result<OwnerOnly, WinError> {
        let mut sid = vec![0u8; SECURITY_MAX_SID_SIZE as usize];
        let mut sid_len = SECURITY_MAX_SID_SIZE;
        let access = match kind {
            Kind::File => FILE_GENERIC_READ | FILE_GENERIC_WRITE,
            Kind::Directory => FILE_ALL_ACCESS,
        };
        // SAFETY: each call gets buffers of the sizes it is told; the
        // descriptor keeps pointers into `sid` and `acl`, which are heap
        // buffers owned by the returned value and never resized.
        unsafe {
            if CreateWellKnownSid(
                WinCreatorOwnerRightsSid,
                null_mut(),
                sid.as_mut_ptr().cast(),
                &mut sid_len,
            ) == 0
            {
                return Err(WinError::last("cannot build the OWNER RIGHTS SID"));
            }
            let sid_ptr = sid.as_mut_ptr().cast();
            // ACL header, one ACE header and mask, and the SID; in u64s so
            // the ACL is aligned as Windows wants.
            let acl_bytes = size_of::<ACL>() + 8 + GetLengthSid(sid_ptr) as usize;
            let mut acl = vec![0u64; acl_bytes.div_ceil(8)];
            let acl_ptr = acl.as_mut_ptr().cast::<ACL>();
            if InitializeAcl(acl_ptr, (acl.len() * 8) as u32, ACL_REVISION) == 0
                || AddAccessAllowedAce(acl_ptr, ACL_REVISION, access, sid_ptr) == 0
            {
                return Err(WinError::last("cannot build an owner-only ACL"));
            }
            let mut descriptor = Box::new(SECURITY_DESCRIPTOR::default());
            let sd: PSECURITY_DESCRIPTOR = (&mut *descriptor as *mut SECURITY_DESCRIPTOR).cast();
            if InitializeSecurityDescriptor(sd, SECURITY_DESCRIPTOR_REVISION) == 0
                || SetSecurityDescriptorOwner(sd, sid_ptr, 0) == 0
                || SetSecurityDescriptorDacl(sd, 1, acl_ptr, 0) == 0
            {
                return Err(WinError::last(
                    "cannot build an owner-only security descriptor",
                ));
            }
            Ok(OwnerOnly {
                descriptor,
                _sid: sid,
                _acl: acl,
            })
        }
    }

    /// Attributes for `CreateFileW` or `CreateDirectoryW`; valid while
    /// `self` is.
    pub fn attributes(&mut self) -> SECURITY_ATTRIBUTES {
        SECURITY_ATTRIBUTES {
            nLength: size_of::<SECURITY_ATTRIBUTES>() as u32,
            lpSecurityDescriptor: (&mut *self.descriptor as *mut SECURITY_DESCRIPTOR).cast(),
            bInheritHandle: 0,
        }
    }
}
