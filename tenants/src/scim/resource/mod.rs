//! The User and Group resources: how a stored record reads as SCIM JSON, and
//! how a client's JSON (in the dialects Entra ID and Okta speak) becomes a
//! record to store.

mod fields;
mod from_json;
mod records;
mod render;

use super::schema::Type;

pub use fields::boolean;
pub use from_json::{group_from_json, member_ids, user_from_json};
pub use records::{
    GroupInput, GroupRecord, MULTI_VALUED, MemberRef, MultiValue, UserInput, UserRecord,
};
pub use render::etag;

/// Whether a stored attribute type compares as text.
pub fn is_textual(ty: Type) -> bool {
    matches!(ty, Type::String | Type::Reference | Type::Binary)
}
