//! Background work (api.md §8.3): the durable queue in the database ([`queue`]) and
//! the workers that run it inside the server process or on their own ([`worker`]).

pub mod queue;
pub mod worker;

pub use worker::Workers;
