//! The HTTP surface of Latchkey (poem + poem-openapi) and the operator's
//! command line.

// Handlers return `Result<_, ApiError>`, whose variants carry a whole problem
// document. The error path is the cold one, and boxing every variant would
// obscure the one place that maps errors to HTTP.
#![allow(clippy::result_large_err)]

pub mod admin;
pub mod app;
pub mod audit_stream_client;
pub mod auth;
pub mod billing;
pub mod cli;
pub mod client_address;
pub mod config;
pub mod error;
pub mod etag;
pub mod fields;
pub mod license_cli;
pub mod metrics;
pub mod models;
pub mod observe;
pub mod ops;
pub mod pages;
pub mod platform;
pub mod ratelimit;
pub mod request_id;
pub mod scim;
pub mod signin;
pub mod signup;
pub mod state;
pub mod tags;
pub mod telemetry;
pub mod text;
pub mod wire;
