//! HTTP concerns that sit around every route and know nothing of the apps: content
//! negotiation of the encoding ([`compression`]), validators and conditional `GET`
//! ([`conditional`]), and the `Cache-Control` each answer gets ([`cache_policy`]).
//! api.md §1.3 describes the behaviour; BENCHMARKS.md measures it.

pub mod cache_policy;
pub mod compression;
pub mod conditional;
