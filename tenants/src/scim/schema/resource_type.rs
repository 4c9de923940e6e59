//! The kinds of resource, their schemas, and how an attribute path
//! resolves against them.

use super::definitions::{COMMON, ENTERPRISE_SCHEMA, GROUP_SCHEMA, USER_SCHEMA};
use super::{Attribute, Schema};

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
