//! Row ids (api.md §1.4): new ones, and which ones could exist. The generator lives in the `migration` crate, which the
//! seed command shares; see `migration::ids`.

pub use migration::ids::new_id;

/// Ids are opaque: anything but 1..64 of `[A-Za-z0-9_-]` cannot exist (§1.4).
pub fn is_plausible(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_outside_the_alphabet_cannot_exist() {
        assert!(is_plausible("cm3k9x2ab0001qz8h4v6t7r2s"));
        assert!(!is_plausible(""));
        assert!(!is_plausible("../etc/passwd"));
        assert!(!is_plausible(&"a".repeat(65)));
    }
}
