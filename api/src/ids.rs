//! New row ids (api.md §1.4). The generator lives in the `migration` crate, which the
//! seed command shares; see `migration::ids`.

pub use migration::ids::new_id;
