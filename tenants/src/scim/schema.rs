//! The SCIM schemas Latchkey serves (RFC 7643 §4, §8.7): one definition,
//! used to answer `/Schemas`, to resolve attribute names (which SCIM treats
//! case-insensitively), to check filters, PATCH paths and mutability, and to
//! decide what a read returns.

use serde_json::{Value, json};

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    String,
    Boolean,
    DateTime,
    Binary,
    Reference,
    Complex,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutability {
    ReadOnly,
    ReadWrite,
    Immutable,
    WriteOnly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returned {
    Always,
    Never,
    Default,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uniqueness {
    None,
    Server,
}

#[derive(Debug)]
pub struct Attribute {
    pub name: &'static str,
    pub ty: Type,
    pub multi_valued: bool,
    pub required: bool,
    pub case_exact: bool,
    pub mutability: Mutability,
    pub returned: Returned,
    pub uniqueness: Uniqueness,
    pub canonical_values: &'static [&'static str],
    pub reference_types: &'static [&'static str],
    pub sub_attributes: &'static [Attribute],
    pub description: &'static str,
}

const fn attr(name: &'static str, ty: Type, description: &'static str) -> Attribute {
    Attribute {
        name,
        ty,
        multi_valued: false,
        required: false,
        case_exact: false,
        mutability: Mutability::ReadWrite,
        returned: Returned::Default,
        uniqueness: Uniqueness::None,
        canonical_values: &[],
        reference_types: &[],
        sub_attributes: &[],
        description,
    }
}

const fn string(name: &'static str, description: &'static str) -> Attribute {
    attr(name, Type::String, description)
}

const fn complex(
    name: &'static str,
    subs: &'static [Attribute],
    description: &'static str,
) -> Attribute {
    let mut a = attr(name, Type::Complex, description);
    a.sub_attributes = subs;
    a
}

impl Attribute {
    const fn multi(mut self) -> Self {
        self.multi_valued = true;
        self
    }
    const fn required(mut self) -> Self {
        self.required = true;
        self
    }
    const fn case_exact(mut self) -> Self {
        self.case_exact = true;
        self
    }
    const fn read_only(mut self) -> Self {
        self.mutability = Mutability::ReadOnly;
        self
    }
    const fn immutable(mut self) -> Self {
        self.mutability = Mutability::Immutable;
        self
    }
    const fn write_only(mut self) -> Self {
        self.mutability = Mutability::WriteOnly;
        self.returned = Returned::Never;
        self
    }
    const fn always(mut self) -> Self {
        self.returned = Returned::Always;
        self
    }
    const fn unique(mut self) -> Self {
        self.uniqueness = Uniqueness::Server;
        self
    }
    const fn canonical(mut self, values: &'static [&'static str]) -> Self {
        self.canonical_values = values;
        self
    }
    const fn references(mut self, types: &'static [&'static str]) -> Self {
        self.reference_types = types;
        self
    }

    /// A sub-attribute by name, ignoring case.
    pub fn sub(&self, name: &str) -> Option<&'static Attribute> {
        self.sub_attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }

    pub fn is_complex(&self) -> bool {
        self.ty == Type::Complex
    }

    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "name": self.name,
            "type": match self.ty {
                Type::String => "string",
                Type::Boolean => "boolean",
                Type::DateTime => "dateTime",
                Type::Binary => "binary",
                Type::Reference => "reference",
                Type::Complex => "complex",
            },
            "multiValued": self.multi_valued,
            "description": self.description,
            "required": self.required,
            "caseExact": self.case_exact,
            "mutability": match self.mutability {
                Mutability::ReadOnly => "readOnly",
                Mutability::ReadWrite => "readWrite",
                Mutability::Immutable => "immutable",
                Mutability::WriteOnly => "writeOnly",
            },
            "returned": match self.returned {
                Returned::Always => "always",
                Returned::Never => "never",
                Returned::Default => "default",
            },
            "uniqueness": match self.uniqueness {
                Uniqueness::None => "none",
                Uniqueness::Server => "server",
            },
        });
        if !self.canonical_values.is_empty() {
            v["canonicalValues"] = json!(self.canonical_values);
        }
        if !self.reference_types.is_empty() {
            v["referenceTypes"] = json!(self.reference_types);
        }
        if !self.sub_attributes.is_empty() {
            v["subAttributes"] =
                Value::Array(self.sub_attributes.iter().map(Attribute::to_json).collect());
        }
        v
    }
}

pub struct Schema {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub attributes: &'static [Attribute],
}

impl Schema {
    pub fn attribute(&self, name: &str) -> Option<&'static Attribute> {
        self.attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }

    pub fn to_json(&self, base_url: &str) -> Value {
        json!({
            "schemas": [SCHEMA],
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "attributes": self.attributes.iter().map(Attribute::to_json).collect::<Vec<_>>(),
            "meta": {
                "resourceType": "Schema",
                "location": format!("{base_url}/Schemas/{}", self.id),
            },
        })
    }
}

const TYPE_DESC: &str = "A label indicating the attribute's function.";
const PRIMARY_DESC: &str = "Whether this value is the preferred one; at most one is.";
const DISPLAY_DESC: &str = "A human-readable name, primarily used for display purposes.";

/// `value`, `display`, `type` and `primary`: the shape of most multi-valued attributes.
macro_rules! multi_value {
    ($value:expr, $types:expr) => {
        &[
            $value,
            string("display", DISPLAY_DESC),
            string("type", TYPE_DESC).canonical($types),
            attr("primary", Type::Boolean, PRIMARY_DESC),
        ]
    };
}

static NAME: &[Attribute] = &[
    string("formatted", "The full name, formatted for display."),
    string("familyName", "The family name, or last name."),
    string("givenName", "The given name, or first name."),
    string("middleName", "The middle name(s)."),
    string("honorificPrefix", "The honorific prefix(es), e.g. `Ms.`."),
    string("honorificSuffix", "The honorific suffix(es), e.g. `III`."),
];

static ADDRESS: &[Attribute] = &[
    string(
        "formatted",
        "The full mailing address, formatted for display.",
    ),
    string("streetAddress", "The full street address."),
    string("locality", "The city or locality."),
    string("region", "The state or region."),
    string("postalCode", "The zip or postal code."),
    string("country", "The country, as an ISO 3166-1 alpha-2 code."),
    string("type", TYPE_DESC).canonical(&["work", "home", "other"]),
    attr("primary", Type::Boolean, PRIMARY_DESC),
];

static USER_GROUP: &[Attribute] = &[
    string("value", "The id of the group.").read_only(),
    attr("$ref", Type::Reference, "The URI of the group.")
        .read_only()
        .references(&["Group"]),
    string("display", DISPLAY_DESC).read_only(),
    string("type", "How the membership is held.")
        .read_only()
        .canonical(&["direct", "indirect"]),
];

static USER_ATTRIBUTES: &[Attribute] = &[
    string("userName", "Unique identifier for the user, ignoring case.")
        .required()
        .unique(),
    complex("name", NAME, "The components of the user's name."),
    string("displayName", "The name of the user, suitable for display."),
    string("nickName", "The casual way to address the user."),
    attr(
        "profileUrl",
        Type::Reference,
        "A URI of the user's online profile.",
    )
    .references(&["external"]),
    string("title", "The user's title, such as `Vice President`."),
    string(
        "userType",
        "The relationship to the organization, e.g. `Employee`.",
    ),
    string(
        "preferredLanguage",
        "The preferred language, as in Accept-Language.",
    ),
    string("locale", "The default location, e.g. `en-US`."),
    string(
        "timezone",
        "The time zone, in IANA format, e.g. `Europe/Paris`.",
    ),
    attr("active", Type::Boolean, "Whether the user may sign in."),
    string(
        "password",
        "The cleartext password; stored hashed, never returned.",
    )
    .write_only(),
    complex(
        "emails",
        multi_value!(
            string("value", "An email address."),
            &["work", "home", "other"]
        ),
        "Email addresses.",
    )
    .multi(),
    complex(
        "phoneNumbers",
        multi_value!(
            string("value", "A phone number."),
            &["work", "home", "mobile", "fax", "pager", "other"]
        ),
        "Phone numbers.",
    )
    .multi(),
    complex(
        "ims",
        multi_value!(
            string("value", "An instant messaging address."),
            &["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"]
        ),
        "Instant messaging addresses.",
    )
    .multi(),
    complex(
        "photos",
        multi_value!(
            attr("value", Type::Reference, "The URL of a photo.").references(&["external"]),
            &["photo", "thumbnail"]
        ),
        "URLs of photos of the user.",
    )
    .multi(),
    complex("addresses", ADDRESS, "Physical mailing addresses.").multi(),
    complex("groups", USER_GROUP, "The groups the user belongs to.")
        .multi()
        .read_only(),
    complex(
        "entitlements",
        multi_value!(string("value", "An entitlement."), &[]),
        "Entitlements of the user.",
    )
    .multi(),
    complex(
        "roles",
        multi_value!(string("value", "A role."), &[]),
        "Roles of the user.",
    )
    .multi(),
    complex(
        "x509Certificates",
        multi_value!(
            attr("value", Type::Binary, "A DER certificate, base64-encoded.").case_exact(),
            &[]
        ),
        "X.509 certificates of the user.",
    )
    .multi(),
];

static MANAGER: &[Attribute] = &[
    string("value", "The id of the manager."),
    attr("$ref", Type::Reference, "The URI of the manager.").references(&["User"]),
    string("displayName", "The manager's display name.").read_only(),
];

static ENTERPRISE_ATTRIBUTES: &[Attribute] = &[
    string(
        "employeeNumber",
        "The employee's number in the organization.",
    ),
    string("costCenter", "The cost center."),
    string("organization", "The organization."),
    string("division", "The division."),
    string("department", "The department."),
    complex("manager", MANAGER, "The user's manager."),
];

static MEMBER: &[Attribute] = &[
    string("value", "The id of the member.").immutable(),
    attr("$ref", Type::Reference, "The URI of the member.")
        .immutable()
        .references(&["User", "Group"]),
    string("type", "The kind of member.")
        .immutable()
        .canonical(&["User", "Group"]),
];

static GROUP_ATTRIBUTES: &[Attribute] = &[
    string(
        "displayName",
        "The name of the group, unique in the tenant ignoring case.",
    )
    .required()
    .unique(),
    complex("members", MEMBER, "The users and groups in the group.").multi(),
];

static META: &[Attribute] = &[
    string("resourceType", "The kind of resource.")
        .read_only()
        .case_exact(),
    attr("created", Type::DateTime, "When the resource was created.").read_only(),
    attr(
        "lastModified",
        Type::DateTime,
        "When the resource last changed.",
    )
    .read_only(),
    attr("location", Type::Reference, "The URI of the resource.").read_only(),
    string("version", "The resource's version (its ETag).")
        .read_only()
        .case_exact(),
];

/// `id`, `externalId` and `meta`: on every resource, in no schema (RFC 7643 §3.1).
pub static COMMON: &[Attribute] = &[
    string("id", "The server's identifier of the resource.")
        .read_only()
        .case_exact()
        .always()
        .unique(),
    string(
        "externalId",
        "The provisioning client's identifier of the resource.",
    )
    .case_exact(),
    complex("meta", META, "Resource metadata.").read_only(),
];

pub static USER_SCHEMA: Schema = Schema {
    id: USER,
    name: "User",
    description: "User Account",
    attributes: USER_ATTRIBUTES,
};

pub static ENTERPRISE_SCHEMA: Schema = Schema {
    id: ENTERPRISE_USER,
    name: "EnterpriseUser",
    description: "Enterprise User",
    attributes: ENTERPRISE_ATTRIBUTES,
};

pub static GROUP_SCHEMA: Schema = Schema {
    id: GROUP,
    name: "Group",
    description: "Group",
    attributes: GROUP_ATTRIBUTES,
};

pub static SCHEMAS: [&Schema; 3] = [&USER_SCHEMA, &ENTERPRISE_SCHEMA, &GROUP_SCHEMA];

/// The two kinds of resource the provider serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceKind {
    User,
    Group,
}

impl ResourceKind {
    pub const ALL: [ResourceKind; 2] = [ResourceKind::User, ResourceKind::Group];

    pub fn resource_type(self) -> &'static ResourceType {
        match self {
            ResourceKind::User => &USER_TYPE,
            ResourceKind::Group => &GROUP_TYPE,
        }
    }

    /// The kind an endpoint (`Users`, `groups` …) serves, ignoring case.
    pub fn of_endpoint(segment: &str) -> Option<ResourceKind> {
        ResourceKind::ALL.into_iter().find(|k| {
            k.resource_type()
                .endpoint
                .trim_start_matches('/')
                .eq_ignore_ascii_case(segment)
        })
    }

    /// The attribute listing the other side of memberships.
    pub fn memberships(self) -> &'static str {
        match self {
            ResourceKind::User => "groups",
            ResourceKind::Group => "members",
        }
    }

    /// The table the resources' rows live in.
    pub(crate) fn table(self) -> &'static str {
        match self {
            ResourceKind::User => "users",
            ResourceKind::Group => "groups",
        }
    }
}

/// A kind of resource: its core schema and its extensions.
pub struct ResourceType {
    pub kind: ResourceKind,
    pub name: &'static str,
    pub endpoint: &'static str,
    pub description: &'static str,
    pub schema: &'static Schema,
    pub extensions: &'static [&'static Schema],
}

pub static USER_TYPE: ResourceType = ResourceType {
    kind: ResourceKind::User,
    name: "User",
    endpoint: "/Users",
    description: "User Account",
    schema: &USER_SCHEMA,
    extensions: &[&ENTERPRISE_SCHEMA],
};

pub static GROUP_TYPE: ResourceType = ResourceType {
    kind: ResourceKind::Group,
    name: "Group",
    endpoint: "/Groups",
    description: "Group",
    schema: &GROUP_SCHEMA,
    extensions: &[],
};

/// Where a path's attribute is defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Home {
    Common,
    Core,
    /// An extension, by its schema URN.
    Extension(&'static str),
}

/// An attribute path resolved against a resource type's schemas.
#[derive(Debug, Clone, Copy)]
pub struct Resolved {
    pub home: Home,
    pub attribute: &'static Attribute,
    pub sub: Option<&'static Attribute>,
}

impl Resolved {
    /// The attribute that a comparison on this path compares: the
    /// sub-attribute, or for a multi-valued complex attribute its `value`.
    pub fn leaf(&self) -> &'static Attribute {
        match self.sub {
            Some(sub) => sub,
            None => self.attribute.sub("value").unwrap_or(self.attribute),
        }
    }
}

impl ResourceType {
    pub fn to_json(&self, base_url: &str) -> Value {
        json!({
            "schemas": [RESOURCE_TYPE],
            "id": self.name,
            "name": self.name,
            "endpoint": self.endpoint,
            "description": self.description,
            "schema": self.schema.id,
            "schemaExtensions": self.extensions.iter()
                .map(|s| json!({"schema": s.id, "required": false}))
                .collect::<Vec<_>>(),
            "meta": {
                "resourceType": "ResourceType",
                "location": format!("{base_url}/ResourceTypes/{}", self.name),
            },
        })
    }

    /// The extension with this URN, ignoring case.
    pub fn extension(&self, urn: &str) -> Option<&'static Schema> {
        self.extensions
            .iter()
            .copied()
            .find(|s| s.id.eq_ignore_ascii_case(urn))
    }

    /// Every schema URN a resource of this type may list.
    pub fn schema_ids(&self) -> impl Iterator<Item = &'static str> + '_ {
        std::iter::once(self.schema.id).chain(self.extensions.iter().map(|s| s.id))
    }

    /// Resolves `[urn:]name[.sub]`; `None` when no schema of this type has it.
    pub fn resolve(&self, uri: Option<&str>, name: &str, sub: Option<&str>) -> Option<Resolved> {
        let (home, attribute) = match uri {
            Some(uri) if uri.eq_ignore_ascii_case(self.schema.id) => self
                .schema
                .attribute(name)
                .map(|a| (Home::Core, a))
                .or_else(|| common(name).map(|a| (Home::Common, a)))?,
            Some(uri) => {
                let ext = self.extension(uri)?;
                (Home::Extension(ext.id), ext.attribute(name)?)
            }
            None => common(name)
                .map(|a| (Home::Common, a))
                .or_else(|| self.schema.attribute(name).map(|a| (Home::Core, a)))?,
        };
        let sub = match sub {
            Some(sub) => Some(attribute.sub(sub)?),
            None => None,
        };
        Some(Resolved {
            home,
            attribute,
            sub,
        })
    }

    /// Resolves a dotted path as PATCH value keys and `attributes=` carry
    /// it: `name.givenName`, `urn:…:enterprise:2.0:User:manager`,
    /// `urn:…:User:manager.value`.
    pub fn resolve_dotted(&self, path: &str) -> Option<Resolved> {
        let (uri, rest) = split_urn(self, path);
        let (name, sub) = match rest.split_once('.') {
            Some((name, sub)) => (name, Some(sub)),
            None => (rest, None),
        };
        self.resolve(uri, name, sub)
    }
}

/// Splits a leading schema URN off a path, if the path starts with one of
/// this type's schema ids followed by `:`.
pub fn split_urn<'p>(rt: &ResourceType, path: &'p str) -> (Option<&'p str>, &'p str) {
    for id in rt.schema_ids() {
        if path.len() > id.len()
            && path.is_char_boundary(id.len())
            && path[..id.len()].eq_ignore_ascii_case(id)
            && path[id.len()..].starts_with(':')
        {
            return (Some(&path[..id.len()]), &path[id.len() + 1..]);
        }
    }
    (None, path)
}

fn common(name: &str) -> Option<&'static Attribute> {
    COMMON.iter().find(|a| a.name.eq_ignore_ascii_case(name))
}

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
