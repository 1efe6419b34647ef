//! Steam discovery: being written now.
