//! Embeds a SHA-256 of every migration source file (`src/m*.rs`), so the deploy tool
//! can tell when a migration that a database has applied was edited afterwards
//! (deploy-safety.md R5). Line endings are normalised to LF first: a CRLF checkout is
//! the same migration.

use std::{env, fs, path::Path};

#[path = "src/deploy/source_digest.rs"]
mod source_digest;

fn main() {
    let src = Path::new("src");
    println!("cargo:rerun-if-changed=src");
    let mut sums = Vec::new();
    for entry in fs::read_dir(src).expect("migration/src is readable") {
        let path = entry.expect("directory entry").path();
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_owned();
        let is_migration = path.extension().is_some_and(|e| e == "rs")
            && name.starts_with('m')
            && name[1..].starts_with(|c: char| c.is_ascii_digit());
        if !is_migration {
            continue;
        }
        let text = fs::read(&path).expect("migration source is readable");
        sums.push((name, source_digest::source_digest(&text)));
    }
    sums.sort();
    let body: String = sums
        .iter()
        .map(|(name, hex)| format!("    (\"{name}\", \"{hex}\"),\n"))
        .collect();
    let out = Path::new(&env::var("OUT_DIR").expect("OUT_DIR is set")).join("checksums.rs");
    fs::write(
        out,
        format!("/// (migration version, SHA-256 of its normalised source)\npub const SOURCE_CHECKSUMS: &[(&str, &str)] = &[\n{body}];\n"),
    )
    .expect("OUT_DIR is writable");
}
