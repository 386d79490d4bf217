//! The workspace's integration tests, in one binary (one link, one PostgreSQL
//! discovery per run). Each area of the product is a module here; tests that touch a
//! database use `tests::dual_test!` so they run on SQLite and on PostgreSQL.

mod adopt;
mod api_client;
mod api_processes;
mod api_service;
mod auth;
mod avatar_generation;
mod avatar_projects;
mod avatar_routes;
mod avatar_upload;
mod cors;
mod credits;
mod deploy;
mod deploy_advice;
mod deploy_locks;
mod entities;
mod faults;
mod harness;
mod hostile_clients;
mod http_delivery;
mod json_types;
mod metrics;
mod migration_cli;
mod migration_data;
mod pose_background;
mod pose_events;
mod pose_exports;
mod pose_generation;
mod pose_library;
mod pose_requests;
mod pose_workers;
mod providers;
mod rate_limits;
mod restore;
mod s3_server;
mod schema;
mod seed;
mod sessions;
mod storage;
mod stubs;
