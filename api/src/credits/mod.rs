//! Credits: the ledger service every paid action uses, and the two read routes
//! (api.md §5, §8.2).

pub mod ledger;
mod routes;

pub use routes::{CreditEntry, CreditsApi};
