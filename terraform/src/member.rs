//! `latchkey_group_member`: one user's membership of one group.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_provider::schema::{AttributeConstraint::*, Schema};
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{AttributePath, Diagnostics, Resource};

use crate::client::{ApiError, Client, report, segment};
use crate::common::{Handle, import_parts, schema, string, text};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MemberState {
    pub id: Value<String>,
    pub tenant: Value<String>,
    pub group_id: Value<String>,
    pub user_id: Value<String>,
}

pub struct MemberResource {
    pub shared: Handle,
}

fn path(tenant: &str, group: &str, user: &str) -> String {
    format!(
        "/api/v1/tenants/{}/groups/{}/members/{}",
        segment(tenant),
        segment(group),
        segment(user)
    )
}

/// Whether `user` is a member of `group`: one lookup, whatever the size of
/// the group (a missing membership, group or tenant is a 404 error, so the
/// membership reads as gone).
async fn is_member(
    client: &Client,
    tenant: &str,
    group: &str,
    user: &str,
) -> Result<bool, ApiError> {
    let member = client.get(&path(tenant, group, user)).await?;
    Ok(member["user"]["id"].as_str() == Some(user))
}

/// The three parts of the state, known.
fn parts(diags: &mut Diagnostics, state: &MemberState) -> Option<(String, String, String)> {
    let tenant = text(diags, &state.tenant, "tenant")?.to_owned();
    let group = text(diags, &state.group_id, "group_id")?.to_owned();
    let user = text(diags, &state.user_id, "user_id")?.to_owned();
    Some((tenant, group, user))
}

#[async_trait]
impl Resource for MemberResource {
    type State<'a> = MemberState;
    type PrivateState<'a> = ValueEmpty;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        schema(
            "One user's membership of one group. Import with `tenant_slug/group_id/user_id`.",
            vec![
                ("id", string(Computed, "`tenant_slug/group_id/user_id`.")),
                (
                    "tenant",
                    string(
                        Required,
                        "The slug of the tenant. Changing it replaces the membership.",
                    ),
                ),
                (
                    "group_id",
                    string(
                        Required,
                        "The group's id. Changing it replaces the membership.",
                    ),
                ),
                (
                    "user_id",
                    string(
                        Required,
                        "The user's id. Changing it replaces the membership.",
                    ),
                ),
            ],
        )
    }

    async fn read<'a>(
        &self,
        diags: &mut Diagnostics,
        state: MemberState,
        private: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<(MemberState, ValueEmpty)> {
        let client = self.shared.client(diags)?;
        let (tenant, group, user) = parts(diags, &state)?;
        match is_member(&client, &tenant, &group, &user).await {
            Ok(true) => {
                let mut state = state;
                state.id = Value::Value(format!("{tenant}/{group}/{user}"));
                Some((state, private))
            }
            Ok(false) => None,
            Err(e) if e.is_not_found() => None,
            Err(e) => {
                report(
                    diags,
                    format_args!("reading the membership of user `{user}` in group `{group}`"),
                    &e,
                );
                None
            }
        }
    }

    async fn plan_create<'a>(
        &self,
        _diags: &mut Diagnostics,
        proposed: MemberState,
        _config: MemberState,
        _meta: ValueEmpty,
    ) -> Option<(MemberState, ValueEmpty)> {
        let mut state = proposed;
        state.id = match (&state.tenant, &state.group_id, &state.user_id) {
            (Value::Value(t), Value::Value(g), Value::Value(u)) => {
                Value::Value(format!("{t}/{g}/{u}"))
            }
            _ => Value::Unknown,
        };
        Some((state, ValueEmpty::Null))
    }

    async fn plan_update<'a>(
        &self,
        _diags: &mut Diagnostics,
        prior: MemberState,
        proposed: MemberState,
        _config: MemberState,
        private: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<(MemberState, ValueEmpty, Vec<AttributePath>)> {
        let replace = [
            ("tenant", &prior.tenant, &proposed.tenant),
            ("group_id", &prior.group_id, &proposed.group_id),
            ("user_id", &prior.user_id, &proposed.user_id),
        ]
        .into_iter()
        .filter(|(_, before, after)| after.is_unknown() || before != after)
        .map(|(name, _, _)| AttributePath::new(name))
        .collect();
        Some((proposed, private, replace))
    }

    async fn plan_destroy<'a>(
        &self,
        _diags: &mut Diagnostics,
        _prior: MemberState,
        private: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<ValueEmpty> {
        Some(private)
    }

    async fn create<'a>(
        &self,
        diags: &mut Diagnostics,
        planned: MemberState,
        _config: MemberState,
        private: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<(MemberState, ValueEmpty)> {
        let client = self.shared.client(diags)?;
        let (tenant, group, user) = parts(diags, &planned)?;
        match client.put(&path(&tenant, &group, &user)).await {
            Ok(_) => {
                let mut state = planned;
                state.id = Value::Value(format!("{tenant}/{group}/{user}"));
                Some((state, private))
            }
            Err(e) => {
                report(
                    diags,
                    format_args!("adding user `{user}` to group `{group}` of tenant `{tenant}`"),
                    &e,
                );
                None
            }
        }
    }

    async fn update<'a>(
        &self,
        _diags: &mut Diagnostics,
        _prior: MemberState,
        planned: MemberState,
        _config: MemberState,
        private: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<(MemberState, ValueEmpty)> {
        // Every attribute forces a replacement: there is nothing to update.
        Some((planned, private))
    }

    async fn destroy<'a>(
        &self,
        diags: &mut Diagnostics,
        prior: MemberState,
        _private: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<()> {
        let client = self.shared.client(diags)?;
        let (tenant, group, user) = parts(diags, &prior)?;
        match client.delete(&path(&tenant, &group, &user)).await {
            Ok(()) => Some(()),
            Err(e) => {
                report(
                    diags,
                    format_args!(
                        "removing user `{user}` from group `{group}` of tenant `{tenant}`"
                    ),
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
    ) -> Option<(MemberState, ValueEmpty)> {
        let mut parts = import_parts(diags, &id, "tenant_slug/group_id/user_id", 3)?.into_iter();
        let state = MemberState {
            id: Value::Value(id.clone()),
            tenant: parts.next().into(),
            group_id: parts.next().into(),
            user_id: parts.next().into(),
        };
        Some((state, ValueEmpty::Null))
    }
}
