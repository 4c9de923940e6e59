//! Checking a new user or a change to one, and applying the change to the
//! row.

use serde_json::{Map, Value, json};

use super::row::UserRow;
use super::{NewUser, UserPatch};
use crate::error::Result;
use crate::validate;

const MAX_USER_NAME: usize = 256;
pub(super) const MAX_NAME: usize = 256;

fn check_user_name(v: &str) -> Result<()> {
    validate::name("user_name", v, MAX_USER_NAME)
}

fn check_optional(field: &str, v: &Option<String>) -> Result<()> {
    match v {
        Some(v) if field == "email" => validate::email(field, v),
        Some(v) => validate::text(field, v, MAX_NAME),
        None => Ok(()),
    }
}

impl NewUser {
    pub(super) fn validate(&self) -> Result<()> {
        check_user_name(&self.user_name)?;
        check_optional("external_id", &self.external_id)?;
        check_optional("email", &self.email)?;
        check_optional("display_name", &self.display_name)?;
        check_optional("given_name", &self.given_name)?;
        check_optional("family_name", &self.family_name)
    }
}

impl UserPatch {
    pub(super) fn validate(&self) -> Result<()> {
        if let Some(v) = &self.user_name {
            check_user_name(v)?;
        }
        for (field, value) in [
            ("external_id", &self.external_id),
            ("email", &self.email),
            ("display_name", &self.display_name),
            ("given_name", &self.given_name),
            ("family_name", &self.family_name),
        ] {
            if let Some(v) = value {
                check_optional(field, v)?;
            }
        }
        Ok(())
    }

    /// The changed fields, for the audit log.
    pub(super) fn describe(&self) -> Value {
        let mut m = Map::new();
        if let Some(v) = &self.user_name {
            m.insert("user_name".into(), json!(v));
        }
        for (field, value) in [
            ("external_id", &self.external_id),
            ("email", &self.email),
            ("display_name", &self.display_name),
            ("given_name", &self.given_name),
            ("family_name", &self.family_name),
        ] {
            if let Some(v) = value {
                m.insert(field.into(), json!(v));
            }
        }
        if let Some(v) = self.kind {
            m.insert("kind".into(), json!(v.as_str()));
        }
        if let Some(v) = self.active {
            m.insert("active".into(), json!(v));
        }
        Value::Object(m)
    }

    pub(super) fn apply(self, row: &mut UserRow) {
        if let Some(v) = self.user_name {
            row.user_name_key = v.to_lowercase();
            row.user_name = v;
        }
        if let Some(v) = self.external_id {
            row.external_id = v;
        }
        if let Some(v) = self.kind {
            row.kind = v.as_str().into();
        }
        if let Some(v) = self.email {
            row.email = v;
        }
        if let Some(v) = self.display_name {
            row.display_name = v;
        }
        if let Some(v) = self.given_name {
            row.given_name = v;
        }
        if let Some(v) = self.family_name {
            row.family_name = v;
        }
        if let Some(v) = self.active {
            row.active = v;
        }
        row.refresh_keys();
    }
}
