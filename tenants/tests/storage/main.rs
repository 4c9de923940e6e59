//! Storage and isolation of the tenants crate, proven against real
//! databases. Every test written with `both_backends!` runs twice, as
//! `<name>::sqlite` and `<name>::postgres`, each on a fresh database of its
//! own; `postgres` holds the checks only PostgreSQL can make (row-level
//! security and the application role).

mod support;

mod billing;
mod directory;
mod groups;
mod import;
mod isolation;
mod lifecycle;
mod migrations;
mod nodes;
mod owner_paths;
mod postgres;
mod scim;
mod sign_in;
mod signups;
mod tenants;
mod tokens;
mod totp;
