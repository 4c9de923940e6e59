//! `sortBy`: the attributes a list can be sorted by.

use super::*;

/// A sortable attribute: its SQL expression and whether it needs the profile join.
pub(crate) fn sort_expr(rt: &'static ResourceType, by: &str) -> Result<(&'static str, bool)> {
    let r = rt.resolve_dotted(by).ok_or_else(|| {
        Error::scim(
            ScimError::InvalidValue,
            format!("cannot sort by `{by}`: no such attribute"),
        )
    })?;
    let sub = r.sub.map(|s| s.name);
    Ok(match (rt.name, r.attribute.name, sub) {
        (_, "id", None) => ("r.id", false),
        (_, "externalId", None) => ("r.external_id", false),
        (_, "meta", Some("created")) => ("r.created_at", false),
        (_, "meta", Some("lastModified")) => ("r.updated_at", false),
        ("User", "userName", None) => ("r.user_name_key", false),
        ("User", "displayName", None) => ("r.display_name_key", false),
        ("User", "name", Some("givenName")) => ("r.given_name_key", false),
        ("User", "name", Some("familyName")) => ("r.family_name_key", false),
        ("User", "emails", None | Some("value")) => ("r.email_key", false),
        ("User", "active", None) => ("r.active", false),
        ("User", "title", None) => ("p.title", true),
        ("User", "userType", None) => ("p.user_type", true),
        ("User", "nickName", None) => ("p.nick_name", true),
        ("User", "employeeNumber", None) => ("p.employee_number", true),
        ("User", "department", None) => ("p.department", true),
        ("Group", "displayName", None) => ("r.display_name_key", false),
        _ => {
            return Err(Error::scim(
                ScimError::InvalidValue,
                format!("sorting by `{by}` is not supported"),
            ));
        }
    })
}
