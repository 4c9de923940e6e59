//! `latchkey_group_member`: one user's membership of one group.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_provider::schema::{AttributeConstraint::*, Schema};
use tf_provider::value::Value;
use tf_provider::{AttributePath, Diagnostics};

use crate::client::{ApiError, Client, answered, found, segment};
use crate::common::{Handle, changed, import_parts, known, schema, string};
use crate::managed::Managed;

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
fn parts(diags: &mut Diagnostics, state: &MemberState) -> Option<[String; 3]> {
    known(
        diags,
        [
            (&state.tenant, "tenant"),
            (&state.group_id, "group_id"),
            (&state.user_id, "user_id"),
        ],
    )
}

#[async_trait]
impl Managed for MemberResource {
    type State = MemberState;

    fn schema(&self) -> Option<Schema> {
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

    async fn read(&self, diags: &mut Diagnostics, state: MemberState) -> Option<MemberState> {
        let client = self.shared.client(diags)?;
        let [tenant, group, user] = parts(diags, &state)?;
        let member = is_member(&client, &tenant, &group, &user).await;
        let member = found(
            diags,
            format_args!("reading the membership of user `{user}` in group `{group}`"),
            member,
        )?;
        member.then(|| MemberState {
            id: Value::Value(format!("{tenant}/{group}/{user}")),
            ..state
        })
    }

    fn plan_create(&self, proposed: MemberState, _config: &MemberState) -> MemberState {
        let id = match (&proposed.tenant, &proposed.group_id, &proposed.user_id) {
            (Value::Value(t), Value::Value(g), Value::Value(u)) => {
                Value::Value(format!("{t}/{g}/{u}"))
            }
            _ => Value::Unknown,
        };
        MemberState { id, ..proposed }
    }

    fn plan_update(
        &self,
        prior: &MemberState,
        proposed: MemberState,
        _config: &MemberState,
    ) -> (MemberState, Vec<AttributePath>) {
        let replace = [
            changed("tenant", &prior.tenant, &proposed.tenant),
            changed("group_id", &prior.group_id, &proposed.group_id),
            changed("user_id", &prior.user_id, &proposed.user_id),
        ];
        (proposed, replace.into_iter().flatten().collect())
    }

    async fn create(&self, diags: &mut Diagnostics, planned: MemberState) -> Option<MemberState> {
        let client = self.shared.client(diags)?;
        let [tenant, group, user] = parts(diags, &planned)?;
        let added = client.put(&path(&tenant, &group, &user)).await;
        answered(
            diags,
            format_args!("adding user `{user}` to group `{group}` of tenant `{tenant}`"),
            added,
        )?;
        Some(MemberState {
            id: Value::Value(format!("{tenant}/{group}/{user}")),
            ..planned
        })
    }

    async fn destroy(&self, diags: &mut Diagnostics, prior: MemberState) -> Option<()> {
        let client = self.shared.client(diags)?;
        let [tenant, group, user] = parts(diags, &prior)?;
        let removed = client.delete(&path(&tenant, &group, &user)).await;
        answered(
            diags,
            format_args!("removing user `{user}` from group `{group}` of tenant `{tenant}`"),
            removed,
        )
    }

    fn import(&self, diags: &mut Diagnostics, id: String) -> Option<MemberState> {
        let [tenant, group, user] = import_parts(diags, &id, "tenant_slug/group_id/user_id")?;
        Some(MemberState {
            id: Value::Value(id),
            tenant: Value::Value(tenant),
            group_id: Value::Value(group),
            user_id: Value::Value(user),
        })
    }
}
