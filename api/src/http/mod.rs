//! Request plumbing shared by every route, below the features: body limits and JSON
//! bodies, JSON replies, CORS, request ids, the NUL guard, what the document says about
//! a path, presence of optional fields, and slots for long-lived answers.

pub mod body_limit;
pub mod cors;
pub mod json_body;
pub mod json_reply;
pub mod nul_guard;
pub mod presence;
pub mod request_id;
pub mod slots;
pub mod spec_paths;
pub mod text;
