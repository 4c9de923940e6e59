//! `latchkey_user`: a user of a tenant's directory.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};
use tf_provider::schema::{
    Attribute, AttributeConstraint, AttributeConstraint::*, AttributeType, Schema,
};
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{AttributePath, Diagnostics, Resource};

use crate::client::{report, segment};
use crate::common::{
    Handle, attribute, bool_of, import_parts, json_of, schema, string, string_of, text,
};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UserState {
    pub id: Value<String>,
    pub tenant: Value<String>,
    pub user_name: Value<String>,
    pub email: Value<String>,
    pub display_name: Value<String>,
    pub given_name: Value<String>,
    pub family_name: Value<String>,
    pub external_id: Value<String>,
    pub active: Value<bool>,
    pub kind: Value<String>,
}

impl UserState {
    pub fn fill(&mut self, user: &Json) {
        self.id = string_of(&user["id"]);
        self.user_name = string_of(&user["user_name"]);
        self.email = string_of(&user["email"]);
        self.display_name = string_of(&user["display_name"]);
        self.given_name = string_of(&user["given_name"]);
        self.family_name = string_of(&user["family_name"]);
        self.external_id = string_of(&user["external_id"]);
        self.active = bool_of(&user["active"]);
        self.kind = string_of(&user["kind"]);
    }

    /// `active` and `kind` left out of the configuration mean their
    /// defaults (`true`, `internal`), so that a user deactivated outside
    /// Terraform is planned back to active.
    fn apply_defaults(&mut self, config: &UserState) {
        if config.active.is_null() {
            self.active = Value::Value(true);
        }
        if config.kind.is_null() {
            self.kind = Value::Value("internal".to_owned());
        }
    }

    /// The writable fields as the REST API takes them (`null` clears).
    fn body(&self) -> Json {
        json!({
            "user_name": json_of(&self.user_name),
            "email": json_of(&self.email),
            "display_name": json_of(&self.display_name),
            "given_name": json_of(&self.given_name),
            "family_name": json_of(&self.family_name),
            "external_id": json_of(&self.external_id),
            "active": json_of(&self.active),
            "kind": json_of(&self.kind),
        })
    }
}

/// The user attributes of the resource, or (`data_source`) of the data
/// source, which is looked up by `id` or `user_name` and reads the rest.
pub fn user_attributes(data_source: bool) -> Vec<(&'static str, Attribute)> {
    let field = |c: AttributeConstraint| if data_source { Computed } else { c };
    vec![
        (
            "id",
            string(
                if data_source {
                    OptionalComputed
                } else {
                    Computed
                },
                "The user's id (a UUID).",
            ),
        ),
        (
            "tenant",
            string(
                Required,
                "The slug of the tenant the user belongs to. Changing it replaces the user.",
            ),
        ),
        (
            "user_name",
            string(
                if data_source {
                    OptionalComputed
                } else {
                    Required
                },
                "The user name, unique in the tenant ignoring case.",
            ),
        ),
        (
            "email",
            string(field(Optional), "The user's email address."),
        ),
        ("display_name", string(field(Optional), "The name to show.")),
        ("given_name", string(field(Optional), "Given name.")),
        ("family_name", string(field(Optional), "Family name.")),
        (
            "external_id",
            string(
                field(Optional),
                "An identifier from the system the user comes from.",
            ),
        ),
        (
            "active",
            attribute(
                AttributeType::Bool,
                field(OptionalComputed),
                "Whether the user may sign in; `true` when left out.",
            ),
        ),
        (
            "kind",
            string(
                field(OptionalComputed),
                "`internal` (counts as a seat; the value when left out) or `external`.",
            ),
        ),
    ]
}

pub struct UserResource {
    pub shared: Handle,
}

fn path(tenant: &str, id: &str) -> String {
    format!("/api/v1/tenants/{}/users/{}", segment(tenant), segment(id))
}

#[async_trait]
impl Resource for UserResource {
    type State<'a> = UserState;
    type PrivateState<'a> = ValueEmpty;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        schema(
            "A user in a tenant's directory. Import with `tenant_slug/user_id`.",
            user_attributes(false),
        )
    }

    async fn read<'a>(
        &self,
        diags: &mut Diagnostics,
        state: UserState,
        private: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<(UserState, ValueEmpty)> {
        let client = self.shared.client(diags)?;
        let tenant = text(diags, &state.tenant, "tenant")?.to_owned();
        let id = text(diags, &state.id, "id")?.to_owned();
        match client.get(&path(&tenant, &id)).await {
            Ok(user) => {
                let mut state = state;
                state.fill(&user);
                Some((state, private))
            }
            Err(e) if e.is_not_found() => None,
            Err(e) => {
                report(
                    diags,
                    format_args!("reading user `{id}` of tenant `{tenant}`"),
                    &e,
                );
                None
            }
        }
    }

    async fn plan_create<'a>(
        &self,
        _diags: &mut Diagnostics,
        proposed: UserState,
        config: UserState,
        _meta: ValueEmpty,
    ) -> Option<(UserState, ValueEmpty)> {
        let mut state = proposed;
        state.id = Value::Unknown;
        state.apply_defaults(&config);
        Some((state, ValueEmpty::Null))
    }

    async fn plan_update<'a>(
        &self,
        _diags: &mut Diagnostics,
        prior: UserState,
        proposed: UserState,
        config: UserState,
        private: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<(UserState, ValueEmpty, Vec<AttributePath>)> {
        let mut proposed = proposed;
        proposed.apply_defaults(&config);
        let mut replace = Vec::new();
        if proposed.tenant.is_unknown() || proposed.tenant != prior.tenant {
            replace.push(AttributePath::new("tenant"));
        }
        Some((proposed, private, replace))
    }

    async fn plan_destroy<'a>(
        &self,
        _diags: &mut Diagnostics,
        _prior: UserState,
        private: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<ValueEmpty> {
        Some(private)
    }

    async fn create<'a>(
        &self,
        diags: &mut Diagnostics,
        planned: UserState,
        _config: UserState,
        private: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<(UserState, ValueEmpty)> {
        let client = self.shared.client(diags)?;
        let tenant = text(diags, &planned.tenant, "tenant")?.to_owned();
        match client
            .post(
                &format!("/api/v1/tenants/{}/users", segment(&tenant)),
                &planned.body(),
            )
            .await
        {
            Ok(user) => {
                let mut state = planned;
                state.fill(&user);
                Some((state, private))
            }
            Err(e) => {
                report(
                    diags,
                    format_args!("creating a user in tenant `{tenant}`"),
                    &e,
                );
                None
            }
        }
    }

    async fn update<'a>(
        &self,
        diags: &mut Diagnostics,
        prior: UserState,
        planned: UserState,
        _config: UserState,
        private: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<(UserState, ValueEmpty)> {
        let client = self.shared.client(diags)?;
        let tenant = text(diags, &planned.tenant, "tenant")?.to_owned();
        let id = text(diags, &prior.id, "id")?.to_owned();
        match client.patch(&path(&tenant, &id), &planned.body()).await {
            Ok(user) => {
                let mut state = planned;
                state.fill(&user);
                Some((state, private))
            }
            Err(e) => {
                report(
                    diags,
                    format_args!("updating user `{id}` of tenant `{tenant}`"),
                    &e,
                );
                None
            }
        }
    }

    async fn destroy<'a>(
        &self,
        diags: &mut Diagnostics,
        prior: UserState,
        _private: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<()> {
        let client = self.shared.client(diags)?;
        let tenant = text(diags, &prior.tenant, "tenant")?.to_owned();
        let id = text(diags, &prior.id, "id")?.to_owned();
        match client.delete(&path(&tenant, &id)).await {
            Ok(()) => Some(()),
            Err(e) => {
                report(
                    diags,
                    format_args!("deleting user `{id}` of tenant `{tenant}`"),
                    &e,
                );
                None
            }
        }
    }

    async fn import<'a>(
        &self,
        diags: &mut Diagnostics,
        id: String,
    ) -> Option<(UserState, ValueEmpty)> {
        let mut parts = import_parts(diags, &id, "tenant_slug/user_id", 2)?.into_iter();
        let state = UserState {
            tenant: parts.next().into(),
            id: parts.next().into(),
            ..UserState::default()
        };
        Some((state, ValueEmpty::Null))
    }
}
