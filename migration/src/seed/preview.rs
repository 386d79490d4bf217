//! The preview files of the avatar presets, `<PRESETS_DIR>/avatar-creator/<slug>.jpg`
//! (drawn by [`render::portrait`]), and the atomic write-if-missing every seed image
//! goes through.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use render::portrait::jpeg;

/// Writes the preview of `name` to `path` unless a file is already there. Atomic: the
/// bytes go to a temporary file in the same directory, which is then hard-linked into
/// place (this fails rather than replace a file that appeared meanwhile) and removed.
/// Returns whether a file was written.
pub fn write_if_missing(path: &Path, name: &str) -> io::Result<bool> {
    write_bytes_if_missing(path, || jpeg(name).map_err(io::Error::other))
}

/// Writes the bytes `render` makes to `path` unless a file is already there (then
/// `render` is not called), atomically like [`write_if_missing`]. Returns whether a
/// file was written.
pub fn write_bytes_if_missing(
    path: &Path,
    render: impl FnOnce() -> io::Result<Vec<u8>>,
) -> io::Result<bool> {
    if path.exists() {
        return Ok(false);
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let bytes = render()?;
    let tmp = temp_path(dir, path);
    let written = (|| {
        let mut file = std::fs::File::create_new(&tmp)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        drop(file);
        match std::fs::hard_link(&tmp, path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
            // No hard links here (some network or FAT file systems): rename instead.
            Err(_) if !path.exists() => std::fs::rename(&tmp, path).map(|()| true),
            Err(_) => Ok(false),
        }
    })();
    let _ = std::fs::remove_file(&tmp);
    written
}

fn temp_path(dir: &Path, path: &Path) -> PathBuf {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    dir.join(format!(
        ".{file}.tmp-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_if_missing_never_overwrites() {
        let dir = std::env::temp_dir().join(format!("seed-preview-{}", std::process::id()));
        let path = dir.join("avatar-creator/x.jpg");
        let _ = std::fs::remove_dir_all(&dir);
        assert!(write_if_missing(&path, "X").unwrap());
        assert_eq!(std::fs::read(&path).unwrap(), jpeg("X").unwrap());
        std::fs::write(&path, b"mine").unwrap();
        assert!(!write_if_missing(&path, "X").unwrap());
        assert_eq!(std::fs::read(&path).unwrap(), b"mine");
        let leftovers = std::fs::read_dir(dir.join("avatar-creator"))
            .unwrap()
            .count();
        assert_eq!(leftovers, 1, "no temporary file is left behind");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
