//! `latchkey_group`: a group of a tenant's directory.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};
use tf_provider::schema::{Attribute, AttributeConstraint::*, Schema};
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{AttributePath, Diagnostics, Resource};

use crate::client::{report, segment};
use crate::common::{Handle, import_parts, json_of, schema, string, string_of, text};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupState {
    pub id: Value<String>,
    pub tenant: Value<String>,
    pub display_name: Value<String>,
}

impl GroupState {
    pub fn fill(&mut self, group: &Json) {
        self.id = string_of(&group["id"]);
        self.display_name = string_of(&group["display_name"]);
    }
}

/// The group attributes of the resource, or (`data_source`) of the data
/// source, which is looked up by `id` or `display_name`.
pub fn group_attributes(data_source: bool) -> Vec<(&'static str, Attribute)> {
    vec![
        (
            "id",
            string(
                if data_source {
                    OptionalComputed
                } else {
                    Computed
                },
                "The group's id (a UUID).",
            ),
        ),
        (
            "tenant",
            string(
                Required,
                "The slug of the tenant the group belongs to. Changing it replaces the group.",
            ),
        ),
        (
            "display_name",
            string(
                if data_source {
                    OptionalComputed
                } else {
                    Required
                },
                "The group's name.",
            ),
        ),
    ]
}

pub struct GroupResource {
    pub shared: Handle,
}

fn path(tenant: &str, id: &str) -> String {
    format!("/api/v1/tenants/{}/groups/{}", segment(tenant), segment(id))
}

#[async_trait]
impl Resource for GroupResource {
    type State<'a> = GroupState;
    type PrivateState<'a> = ValueEmpty;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        schema(
            "A group in a tenant's directory. Import with `tenant_slug/group_id`.",
            group_attributes(false),
        )
    }

    async fn read<'a>(
        &self,
        diags: &mut Diagnostics,
        state: GroupState,
        private: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<(GroupState, ValueEmpty)> {
        let client = self.shared.client(diags)?;
        let tenant = text(diags, &state.tenant, "tenant")?.to_owned();
        let id = text(diags, &state.id, "id")?.to_owned();
        match client.get(&path(&tenant, &id)).await {
            Ok(group) => {
                let mut state = state;
                state.fill(&group);
                Some((state, private))
            }
            Err(e) if e.is_not_found() => None,
            Err(e) => {
                report(
                    diags,
                    format_args!("reading group `{id}` of tenant `{tenant}`"),
                    &e,
                );
                None
            }
        }
    }

    async fn plan_create<'a>(
        &self,
        _diags: &mut Diagnostics,
        proposed: GroupState,
        _config: GroupState,
        _meta: ValueEmpty,
    ) -> Option<(GroupState, ValueEmpty)> {
        let mut state = proposed;
        state.id = Value::Unknown;
        Some((state, ValueEmpty::Null))
    }

    async fn plan_update<'a>(
        &self,
        _diags: &mut Diagnostics,
        prior: GroupState,
        proposed: GroupState,
        _config: GroupState,
        private: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<(GroupState, ValueEmpty, Vec<AttributePath>)> {
        let mut replace = Vec::new();
        if proposed.tenant.is_unknown() || proposed.tenant != prior.tenant {
            replace.push(AttributePath::new("tenant"));
        }
        Some((proposed, private, replace))
    }

    async fn plan_destroy<'a>(
        &self,
        _diags: &mut Diagnostics,
        _prior: GroupState,
        private: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<ValueEmpty> {
        Some(private)
    }

    async fn create<'a>(
        &self,
        diags: &mut Diagnostics,
        planned: GroupState,
        _config: GroupState,
        private: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<(GroupState, ValueEmpty)> {
        let client = self.shared.client(diags)?;
        let tenant = text(diags, &planned.tenant, "tenant")?.to_owned();
        let body = json!({"display_name": json_of(&planned.display_name)});
        match client
            .post(
                &format!("/api/v1/tenants/{}/groups", segment(&tenant)),
                &body,
            )
            .await
        {
            Ok(group) => {
                let mut state = planned;
                state.fill(&group);
                Some((state, private))
            }
            Err(e) => {
                report(
                    diags,
                    format_args!("creating a group in tenant `{tenant}`"),
                    &e,
                );
                None
            }
        }
    }

    async fn update<'a>(
        &self,
        diags: &mut Diagnostics,
        prior: GroupState,
        planned: GroupState,
        _config: GroupState,
        private: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<(GroupState, ValueEmpty)> {
        let client = self.shared.client(diags)?;
        let tenant = text(diags, &planned.tenant, "tenant")?.to_owned();
        let id = text(diags, &prior.id, "id")?.to_owned();
        let body = json!({"display_name": json_of(&planned.display_name)});
        match client.patch(&path(&tenant, &id), &body).await {
            Ok(group) => {
                let mut state = planned;
                state.fill(&group);
                Some((state, private))
            }
            Err(e) => {
                report(
                    diags,
                    format_args!("updating group `{id}` of tenant `{tenant}`"),
                    &e,
                );
                None
            }
        }
    }

    async fn destroy<'a>(
        &self,
        diags: &mut Diagnostics,
        prior: GroupState,
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
                    format_args!("deleting group `{id}` of tenant `{tenant}`"),
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
    ) -> Option<(GroupState, ValueEmpty)> {
        let mut parts = import_parts(diags, &id, "tenant_slug/group_id", 2)?.into_iter();
        let state = GroupState {
            tenant: parts.next().into(),
            id: parts.next().into(),
            ..GroupState::default()
        };
        Some((state, ValueEmpty::Null))
    }
}
