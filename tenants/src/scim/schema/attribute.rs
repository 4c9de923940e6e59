//! What an attribute definition holds (RFC 7643 §7), and the `const`
//! builders the schema tables are written with.

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

pub(super) const fn attr(name: &'static str, ty: Type, description: &'static str) -> Attribute {
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

pub(super) const fn string(name: &'static str, description: &'static str) -> Attribute {
    attr(name, Type::String, description)
}

pub(super) const fn complex(
    name: &'static str,
    subs: &'static [Attribute],
    description: &'static str,
) -> Attribute {
    let mut a = attr(name, Type::Complex, description);
    a.sub_attributes = subs;
    a
}

impl Attribute {
    pub(super) const fn multi(mut self) -> Self {
        self.multi_valued = true;
        self
    }
    pub(super) const fn required(mut self) -> Self {
        self.required = true;
        self
    }
    pub(super) const fn case_exact(mut self) -> Self {
        self.case_exact = true;
        self
    }
    pub(super) const fn read_only(mut self) -> Self {
        self.mutability = Mutability::ReadOnly;
        self
    }
    pub(super) const fn immutable(mut self) -> Self {
        self.mutability = Mutability::Immutable;
        self
    }
    pub(super) const fn write_only(mut self) -> Self {
        self.mutability = Mutability::WriteOnly;
        self.returned = Returned::Never;
        self
    }
    pub(super) const fn always(mut self) -> Self {
        self.returned = Returned::Always;
        self
    }
    pub(super) const fn unique(mut self) -> Self {
        self.uniqueness = Uniqueness::Server;
        self
    }
    pub(super) const fn canonical(mut self, values: &'static [&'static str]) -> Self {
        self.canonical_values = values;
        self
    }
    pub(super) const fn references(mut self, types: &'static [&'static str]) -> Self {
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
}
