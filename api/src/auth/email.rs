//! Email addresses (api.md §4): what counts as valid, and the stored form.

pub const MAX_CHARS: usize = 254;
pub const INVALID_MESSAGE: &str = "Invalid email address";

/// The stored form of a new or changed address: trimmed and lowercased.
pub fn normalise(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A pragmatic address check: `local@domain`, at most 254 characters, a dot-atom local
/// part and a domain of at least two DNS labels whose last label is letters only.
pub fn is_valid(email: &str) -> bool {
    if email.chars().count() > MAX_CHARS {
        return false;
    }
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    is_valid_local_part(local) && is_valid_domain(domain)
}

fn is_valid_local_part(local: &str) -> bool {
    const SPECIALS: &str = "!#$%&'*+/=?^_`{|}~.-";
    !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || SPECIALS.contains(c)
                || (!c.is_ascii() && !c.is_whitespace() && !c.is_control())
        })
}

fn is_valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|label| {
            (1..=63).contains(&label.len())
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_addresses() {
        for ok in [
            "dewi@example.com",
            "a.b+tag@sub.example.co.id",
            "X_Y@EXAMPLE.ORG",
        ] {
            assert!(is_valid(ok), "{ok}");
        }
    }

    #[test]
    fn rejects_what_is_not_an_address() {
        let long = format!("{}@example.com", "a".repeat(250));
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@b",
            "a@@b.com",
            "a b@c.com",
            "a@b..com",
            ".a@b.com",
            "a@-b.com",
            "a@b.c0m",
            &long,
        ] {
            assert!(!is_valid(bad), "{bad}");
        }
    }

    #[test]
    fn normalises_case_and_surrounding_space() {
        assert_eq!(normalise("  Dewi@Example.COM "), "dewi@example.com");
    }
}
