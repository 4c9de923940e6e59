//! What a token may do: `admin`, `read`, `scim`.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Read and change everything in the tenant.
    Admin,
    /// Read everything in the tenant.
    Read,
    /// Provision over SCIM; nothing else.
    Scim,
}

impl Scope {
    pub fn as_str(&self) -> &'static str {
        match self {
            Scope::Admin => "admin",
            Scope::Read => "read",
            Scope::Scim => "scim",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scope {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "admin" => Ok(Scope::Admin),
            "read" => Ok(Scope::Read),
            "scim" => Ok(Scope::Scim),
            other => Err(Error::invalid(
                "scopes",
                format!("unknown scope `{other}`; use admin, read or scim"),
            )),
        }
    }
}

/// The scopes of a token, sorted and without duplicates.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Scopes(pub(super) Vec<Scope>);

impl Scopes {
    pub fn new(mut scopes: Vec<Scope>) -> Self {
        scopes.sort();
        scopes.dedup();
        Scopes(scopes)
    }

    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        self.0.iter().copied()
    }

    /// `admin` includes `read`; `scim` stands alone.
    pub fn allows(&self, needed: Scope) -> bool {
        self.0.contains(&needed) || (needed == Scope::Read && self.0.contains(&Scope::Admin))
    }

    pub(super) fn to_db(&self) -> String {
        self.0
            .iter()
            .map(Scope::as_str)
            .collect::<Vec<_>>()
            .join(" ")
    }

    pub(super) fn from_db(s: &str) -> Result<Self> {
        Ok(Scopes::new(
            s.split_whitespace()
                .map(str::parse)
                .collect::<Result<_>>()?,
        ))
    }
}
