//! The Avatar Creator and Pose Generator HTTP API.
//!
//! Entry points: [`Config::from_env`] / [`Config::from_vars`], then [`build`] for a
//! server bound to a port, or [`prepare`] and [`routes`] for an in-process endpoint.

pub mod app;
pub mod auth;
pub mod avatar_creator;
pub mod body_limit;
pub mod cli;
pub mod config;
pub mod cors;
pub mod credits;
pub mod dashboard;
pub mod error;
pub mod fields;
pub mod health;
pub mod http;
pub mod ids;
pub mod images;
pub mod jobs;
pub mod json_body;
pub mod json_reply;
pub mod nul_guard;
pub mod openapi;
pub mod pagination;
pub mod pose_generator;
pub mod presence;
pub mod providers;
pub mod rate_limit;
pub mod request_id;
pub mod schema_gate;
pub mod slots;
pub mod spec_paths;
pub mod startup;
pub mod storage;
pub mod telemetry;
#[cfg(test)]
mod test_alloc;
pub mod text;
pub mod timestamp;
pub mod vocabulary;

pub use app::{AppState, routes};
pub use config::Config;
pub use openapi::openapi_yaml;
pub use startup::{Application, StartupError, build, prepare};
