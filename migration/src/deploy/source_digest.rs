//! The checksum of a migration's source, shared by `build.rs` (which embeds it) and
//! the tests: SHA-256 over the text with CRLF line endings normalised to LF, so a
//! Windows checkout is the same migration.

use sha2::{Digest, Sha256};

pub fn source_digest(bytes: &[u8]) -> String {
    let normalised = String::from_utf8_lossy(bytes).replace("\r\n", "\n");
    Sha256::digest(normalised.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
