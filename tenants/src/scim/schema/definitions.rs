//! The attributes of each schema Latchkey serves, and the attributes every
//! resource has outside them.

use super::attribute::{Attribute, Schema, Type, attr, complex, string};
use super::{ENTERPRISE_USER, GROUP, USER};

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
