//! New row ids (api.md §1.4): 25 characters of `[a-z0-9]` starting with `c`, the same
//! shape as the cuids already in the database.
//!
//! Layout: `c` + milliseconds since the epoch (8 base-36 digits, good until 2059) + a
//! process-wide counter (4 digits) + 12 random digits (~62 bits from the OS generator,
//! via UUID v4). Ids from one process never repeat; ids from different processes
//! collide only if they share the millisecond, the counter value and 62 random bits.

use std::sync::atomic::{AtomicU32, Ordering};

const LEN: usize = 25;
const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
const COUNTER_SPACE: u32 = 36u32.pow(4);

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A new collision-resistant id for any table.
pub fn new_id() -> String {
    let millis = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or_default();
    let count = COUNTER.fetch_add(1, Ordering::Relaxed) % COUNTER_SPACE;
    let random = u128::from_le_bytes(*uuid::Uuid::new_v4().as_bytes());

    let mut id = String::with_capacity(LEN);
    id.push('c');
    push_base36(&mut id, u128::from(millis), 8);
    push_base36(&mut id, u128::from(count), 4);
    push_base36(&mut id, random, 12);
    id
}

/// Appends the lowest `width` base-36 digits of `value`, most significant first.
fn push_base36(out: &mut String, mut value: u128, width: usize) {
    let mut digits = vec![b'0'; width];
    for slot in digits.iter_mut().rev() {
        *slot = DIGITS[(value % 36) as usize];
        value /= 36;
    }
    out.extend(digits.into_iter().map(char::from));
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn ids_have_the_cuid_shape() {
        for _ in 0..1000 {
            let id = new_id();
            assert_eq!(id.len(), LEN, "{id}");
            assert!(id.starts_with('c'), "{id}");
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase()),
                "{id}"
            );
        }
    }

    #[test]
    fn ids_do_not_repeat() {
        let ids: HashSet<String> = (0..100_000).map(|_| new_id()).collect();
        assert_eq!(ids.len(), 100_000);
    }
}
