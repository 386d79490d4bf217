//! Caps on long-lived answers a client can hold open (export ZIPs, progress streams):
//! a number per user and, optionally, a number for the whole process. A [`Slot`] is
//! held for as long as the answer streams and given back when it is dropped, however
//! the answer ends (finished, client gone, send timeout).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use serde_json::Value;

use crate::error::{ApiError, ErrorDetails};

/// Why a slot was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The user holds `limit` already: 429.
    User { limit: usize },
    /// The process holds `limit` already: 503.
    Process { limit: usize },
}

/// The slots of one kind of answer.
#[derive(Debug)]
pub struct Slots {
    what: &'static str,
    per_user: usize,
    per_process: Option<usize>,
    held: Mutex<Held>,
}

#[derive(Debug, Default)]
struct Held {
    total: usize,
    by_user: HashMap<String, usize>,
}

impl Slots {
    /// `what` names the answer in error messages ("exports", "progress streams").
    pub fn new(what: &'static str, per_user: usize, per_process: Option<usize>) -> Arc<Self> {
        Arc::new(Self {
            what,
            per_user,
            per_process,
            held: Mutex::default(),
        })
    }

    /// A slot for `user_id`, or why not.
    pub fn acquire(self: &Arc<Self>, user_id: &str) -> Result<Slot, Refusal> {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(limit) = self.per_process
            && held.total >= limit
        {
            return Err(Refusal::Process { limit });
        }
        let mine = held.by_user.get(user_id).copied().unwrap_or(0);
        if mine >= self.per_user {
            return Err(Refusal::User {
                limit: self.per_user,
            });
        }
        held.total += 1;
        held.by_user.insert(user_id.to_owned(), mine + 1);
        Ok(Slot {
            slots: self.clone(),
            user_id: user_id.to_owned(),
        })
    }

    /// Slots held now, in all.
    pub fn in_use(&self) -> usize {
        self.held.lock().unwrap_or_else(|e| e.into_inner()).total
    }

    /// [`Slots::acquire`], a refusal as the client's error: 429 for the user's cap
    /// (`Retry-After` from `details.retryAfter`), 503 for the process's.
    pub fn acquire_or_refuse(self: &Arc<Self>, user_id: &str) -> Result<Slot, ApiError> {
        self.acquire(user_id).map_err(|refusal| match refusal {
            Refusal::User { limit } => ApiError::RateLimited {
                message: format!(
                    "At most {limit} {} at once; wait for one to finish",
                    self.what
                ),
                details: Some(ErrorDetails::from([
                    ("retryAfter".to_owned(), Value::from(5)),
                    ("limit".to_owned(), Value::from(limit)),
                ])),
            },
            Refusal::Process { .. } => ApiError::ServiceUnavailable(format!(
                "Too many {} in progress; try again shortly",
                self.what
            )),
        })
    }
}

/// One held slot; given back on drop.
#[derive(Debug)]
pub struct Slot {
    slots: Arc<Slots>,
    user_id: String,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut held = self.slots.held.lock().unwrap_or_else(|e| e.into_inner());
        held.total = held.total.saturating_sub(1);
        if let Some(mine) = held.by_user.get_mut(&self.user_id) {
            *mine -= 1;
            if *mine == 0 {
                held.by_user.remove(&self.user_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_per_user_and_per_process_and_gives_back_on_drop() {
        let slots = Slots::new("exports", 2, Some(3));
        let a1 = slots.acquire("a").unwrap();
        let _a2 = slots.acquire("a").unwrap();
        assert_eq!(slots.acquire("a").unwrap_err(), Refusal::User { limit: 2 });
        let _b1 = slots.acquire("b").unwrap();
        assert_eq!(
            slots.acquire("c").unwrap_err(),
            Refusal::Process { limit: 3 }
        );
        drop(a1);
        assert_eq!(slots.in_use(), 2);
        let _a3 = slots.acquire("a").unwrap();
        assert_eq!(slots.in_use(), 3);
    }
}
