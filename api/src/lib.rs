//! The HTTP surface of Latchkey (poem + poem-openapi) and the operator's
//! command line.

pub mod admin;
pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod error;
pub mod metrics;
pub mod models;
pub mod observe;
pub mod ops;
pub mod platform;
pub mod ratelimit;
pub mod telemetry;
