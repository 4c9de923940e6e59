//! Key material of the installation and its tenants: the master key and data
//! keys (envelope encryption), signing keys, and API tokens.

mod rewrap;
pub mod schedule;
pub mod sealing;
pub mod signing;
