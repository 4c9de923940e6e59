//! The SCIM schemas Latchkey serves (RFC 7643 §4, §8.7): one definition,
//! used to answer `/Schemas`, to resolve attribute names (which SCIM treats
//! case-insensitively), to check filters, PATCH paths and mutability, and to
//! decide what a read returns.

mod attribute;
mod definitions;
mod discovery;
mod resource_type;

pub use attribute::{Attribute, Mutability, Returned, Schema, Type, Uniqueness};
pub use definitions::{COMMON, ENTERPRISE_SCHEMA, GROUP_SCHEMA, SCHEMAS, USER_SCHEMA};
pub use resource_type::{
    GROUP_TYPE, Home, Resolved, ResourceKind, ResourceType, USER_TYPE, split_urn,
};

pub const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE_USER: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const SEARCH_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const BULK_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
pub const BULK_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";
pub const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const SERVICE_PROVIDER_CONFIG: &str =
    "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
pub const RESOURCE_TYPE: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
pub const SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_ignoring_case() {
        let r = USER_TYPE
            .resolve(None, "USERNAME", None)
            .map(|r| r.attribute.name);
        assert_eq!(r, Some("userName"));
        let r = USER_TYPE
            .resolve(None, "name", Some("GIVENNAME"))
            .and_then(|r| r.sub.map(|s| s.name));
        assert_eq!(r, Some("givenName"));
    }

    #[test]
    fn extension_attributes_resolve_only_with_their_urn() {
        assert!(USER_TYPE.resolve(None, "department", None).is_none());
        let r = USER_TYPE.resolve_dotted(&format!("{ENTERPRISE_USER}:manager.value"));
        let r = r.map(|r| (r.home, r.attribute.name, r.sub.map(|s| s.name)));
        assert_eq!(
            r,
            Some((Home::Extension(ENTERPRISE_USER), "manager", Some("value")))
        );
    }

    #[test]
    fn a_core_urn_prefix_is_allowed() {
        let r = USER_TYPE.resolve_dotted(&format!("{USER}:name.familyName"));
        assert_eq!(r.and_then(|r| r.sub).map(|s| s.name), Some("familyName"));
    }

    #[test]
    fn unknown_attributes_do_not_resolve() {
        assert!(USER_TYPE.resolve_dotted("shoeSize").is_none());
        assert!(USER_TYPE.resolve_dotted("name.nickname").is_none());
        assert!(GROUP_TYPE.resolve_dotted("userName").is_none());
    }
}
