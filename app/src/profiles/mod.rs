//! Game profiles: being written now.
