//! HTTP concerns that sit around every route and know nothing of the apps: body limits
//! and JSON bodies, JSON replies, CORS, request ids, the NUL guard, what the document
//! says about a path, presence of optional fields, slots for long-lived answers; content
//! negotiation of the encoding ([`compression`]), validators and conditional `GET`
//! ([`conditional`]), pages kept under their validator ([`page_cache`]), and the
//! `Cache-Control` each answer gets ([`cache_policy`]).
//! api.md §1.3 describes the caching behaviour; BENCHMARKS.md measures it.

pub mod body_limit;
pub mod cache_policy;
pub mod compression;
pub mod conditional;
pub mod cors;
pub mod json_body;
pub mod json_reply;
pub mod nul_guard;
pub mod page_cache;
pub mod presence;
pub mod request_id;
pub mod slots;
pub mod spec_paths;
pub mod text;
