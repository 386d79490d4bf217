//! Password hashing and the password rules (api.md §4).
//!
//! Hashes are bcrypt, old and new: `$2a$`, `$2b$` and `$2y$` verify, new hashes use
//! `BCRYPT_COST`. bcrypt reads only the first 72 bytes of a password, as the previous
//! backend did, so long passwords keep verifying. Hashing takes tens of milliseconds of
//! CPU, so it runs on the blocking thread pool, never on the async workers.

use std::sync::OnceLock;

/// Hashing failed (a cost outside bcrypt's range, or the blocking pool is gone).
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// A new bcrypt hash of `password` at `cost`.
pub async fn hash(password: &str, cost: u32) -> Result<String, HashError> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || bcrypt::hash(password, cost))
        .await
        .map_err(|e| HashError(e.to_string()))?
        .map_err(|e| HashError(e.to_string()))
}

/// Whether `password` matches `stored`. A malformed stored hash never matches.
pub async fn verify(password: &str, stored: &str) -> bool {
    let password = password.to_owned();
    let stored = stored.to_owned();
    let outcome = tokio::task::spawn_blocking(move || bcrypt::verify(password, &stored)).await;
    match outcome {
        Ok(Ok(matches)) => matches,
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "stored password hash is not valid bcrypt");
            false
        }
        Err(err) => {
            tracing::error!(error = %err, "password verification task failed");
            false
        }
    }
}

/// Spends the same time as [`verify`] against a real hash of `cost`, for logins of
/// unknown accounts, so response time does not tell whether an account exists.
pub async fn verify_dummy(password: &str, cost: u32) {
    let password = password.to_owned();
    let _ = tokio::task::spawn_blocking(move || {
        let _ = bcrypt::verify(password, dummy_hash(cost));
    })
    .await;
}

/// The cost recorded in a bcrypt hash (`$2b$10$…` → 10).
pub fn cost_of(stored: &str) -> Option<u32> {
    stored.split('$').nth(2)?.parse().ok()
}

/// Whether a stored hash should be replaced by one at `target_cost` after a successful
/// login.
pub fn needs_rehash(stored: &str, target_cost: u32) -> bool {
    cost_of(stored).is_some_and(|cost| cost < target_cost)
}

/// A fixed hash per cost (`BCRYPT_COST` is 10..14), computed once on first use.
fn dummy_hash(cost: u32) -> &'static str {
    static HASHES: [OnceLock<String>; 5] = [const { OnceLock::new() }; 5];
    let cost = cost.clamp(10, 14);
    HASHES[(cost - 10) as usize].get_or_init(|| {
        bcrypt::hash_with_salt("dummy password for unknown accounts", cost, [7; 16])
            .map(|parts| parts.to_string())
            .unwrap_or_default()
    })
}

pub const MIN_CHARS: usize = 12;
/// bcrypt reads only this many bytes: a longer new password would silently be cut.
pub const MAX_BYTES: usize = 72;
/// A login password longer than this is refused before any hashing (api.md §4.2).
pub const LOGIN_MAX_BYTES: usize = 1024;

/// Every rule a new `password` breaks, one message each, in a fixed order; empty when
/// it is acceptable. Characters are counted as sent: passwords are never trimmed. A
/// password over [`MAX_BYTES`] is refused at once, before the other rules look at it.
pub fn problems(password: &str) -> Vec<&'static str> {
    let mut problems = Vec::new();
    if password.len() > MAX_BYTES {
        problems.push("Password must be at most 72 bytes long (bcrypt ignores anything beyond)");
        return problems;
    }
    if password.chars().count() < MIN_CHARS {
        problems.push("Password must be at least 12 characters long");
    }

    let chars = || password.chars();
    let lower = chars().any(char::is_lowercase);
    let upper = chars().any(char::is_uppercase);
    let digit = chars().any(|c| c.is_ascii_digit());
    let other = chars().any(|c| !c.is_lowercase() && !c.is_uppercase() && !c.is_ascii_digit());
    if [lower, upper, digit, other]
        .into_iter()
        .filter(|x| *x)
        .count()
        < 3
    {
        problems.push(
            "Password must contain at least 3 of: lowercase letters, uppercase letters, \
             digits, other characters",
        );
    }

    let mut run = (None, 0);
    let repeats = chars().any(|c| {
        run = if run.0 == Some(c) {
            (Some(c), run.1 + 1)
        } else {
            (Some(c), 1)
        };
        run.1 >= 3
    });
    if repeats {
        problems.push("Password must not repeat a character 3 or more times in a row");
    }

    let lowered = password.to_lowercase();
    if COMMON_PASSWORDS.contains(&lowered.as_str()) {
        problems.push("Password is too common");
    }
    problems
}

/// Well-known passwords that would otherwise pass the length and class rules, in
/// lowercase (the comparison ignores case). Shorter ones already fail on length.
const COMMON_PASSWORDS: &[&str] = &[
    "password1234",
    "password12345",
    "password123456",
    "password123!",
    "password1234!",
    "password@123",
    "password@1234",
    "p@ssw0rd1234",
    "p@ssword1234",
    "p@ssw0rd123!",
    "passw0rd1234",
    "passwordpassword",
    "mypassword123",
    "mypassword123!",
    "123456789012",
    "1234567890123",
    "12345678901234",
    "123456789abc",
    "abc123456789",
    "abcdefghijkl",
    "abcd12345678",
    "qwertyuiop12",
    "qwertyuiop123",
    "qwerty123456",
    "qwerty123456!",
    "qwerty@12345",
    "qwertyuiopasdf",
    "1q2w3e4r5t6y",
    "1q2w3e4r5t6y7u",
    "q1w2e3r4t5y6",
    "asdfghjkl123",
    "zxcvbnm12345",
    "iloveyou1234",
    "iloveyou123!",
    "welcome12345",
    "welcome123!@",
    "welcome@1234",
    "welcome@2024",
    "welcome@2025",
    "letmein12345",
    "letmein123!@",
    "changeme1234",
    "changeme123!",
    "administrator",
    "administrator1",
    "admin1234567",
    "admin@123456",
    "adminadmin123",
    "trustno1trustno1",
    "sunshine1234",
    "football1234",
    "baseball1234",
    "princess1234",
    "superman1234",
    "starwars1234",
    "dragon123456",
    "monkey123456",
    "master123456",
    "shadow123456",
    "michael12345",
    "computer1234",
    "internet1234",
    "whatever1234",
    "summer2024!!",
    "winter2024!!",
    "spring2025!!",
    "autumn2024!!",
    "january2025!",
    "indonesia123",
    "jakarta12345",
    "bismillah123",
    "qazwsxedcrfv",
    "qazwsxedc123",
    "1qaz2wsx3edc",
    "!qaz2wsx3edc",
    "zaq12wsxcde3",
    "passw0rd!234",
    "secret123456",
    "test12345678",
    "testtest1234",
    "user12345678",
    "login1234567",
    "default12345",
    "temp12345678",
    "hello1234567",
    "helloworld123",
    "helloworld12!",
    "correcthorsebatterystaple",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_strong_password_has_no_problems() {
        assert!(problems("Correct-Horse-42").is_empty());
        // Three classes are enough.
        assert!(problems("lowercase and 42").is_empty());
    }

    #[test]
    fn each_broken_rule_adds_its_message() {
        assert_eq!(problems("aaa").len(), 3, "{:?}", problems("aaa"));
        assert_eq!(problems("Password123!"), vec!["Password is too common"]);
        assert_eq!(problems("PASSWORD123!"), vec!["Password is too common"]);
        assert_eq!(
            problems(&"Ab1!".repeat(19)),
            vec!["Password must be at most 72 bytes long (bcrypt ignores anything beyond)"]
        );
        assert!(problems(&"Ab1!".repeat(18)).is_empty(), "72 bytes pass");
        // 54 characters, 72 bytes ("Ä" is two): pass; one more character does not.
        assert!(problems(&"Äb1".repeat(18)).is_empty());
        assert_eq!(problems(&format!("{}x", "Äb1".repeat(18))).len(), 1);
        assert_eq!(
            problems("Abcdefg1111x"),
            vec!["Password must not repeat a character 3 or more times in a row"]
        );
    }

    #[test]
    fn length_counts_characters_not_bytes_and_never_trims() {
        assert!(problems("ÄÖÜäöü12345!").is_empty());
        assert_eq!(problems(" Abcdef12345").len(), 0);
        assert_eq!(problems(" Abcdef1234 ").len(), 0);
        assert_eq!(problems("Abcdef1234 ").len(), 1);
    }

    #[test]
    fn reads_the_cost_of_stored_hashes() {
        assert_eq!(cost_of("$2b$10$abcdefghijklmnopqrstuv"), Some(10));
        assert_eq!(cost_of("$2y$12$x"), Some(12));
        assert_eq!(cost_of("plain"), None);
        assert!(needs_rehash("$2a$10$x", 12));
        assert!(!needs_rehash("$2a$12$x", 12));
    }

    #[tokio::test]
    async fn legacy_prefixes_verify_and_long_passwords_are_truncated_at_72_bytes() {
        let long = "x".repeat(100);
        let hashed = hash(&long, 4).await.unwrap();
        assert!(verify(&"x".repeat(72), &hashed).await);
        for prefix in ["$2a$", "$2y$"] {
            let legacy = hashed.replacen("$2b$", prefix, 1);
            assert!(verify(&long, &legacy).await, "{prefix}");
        }
        assert!(!verify("wrong", &hashed).await);
        assert!(!verify("anything", "not-a-hash").await);
    }
}
