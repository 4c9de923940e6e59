//! Data sources: `latchkey_tenant`, `latchkey_user`, `latchkey_group`,
//! `latchkey_jwks`.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use tf_provider::schema::{AttributeConstraint::*, AttributeType, Schema};
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{DataSource, Diagnostics};

use crate::client::{ApiError, Client, report, segment};
use crate::common::{Handle, attribute, schema, string, text};
use crate::group::{GroupState, group_attributes};
use crate::tenant::{TenantState, fetch, tenant_attributes};
use crate::user::{UserState, user_attributes};

pub struct TenantData {
    pub shared: Handle,
}

#[async_trait]
impl DataSource for TenantData {
    type State<'a> = TenantState;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        let mut attributes = tenant_attributes(Required);
        for (name, attr) in &mut attributes {
            if *name == "display_name" {
                attr.constraint = Computed;
            }
        }
        schema("Looks up a tenant by its slug.", attributes)
    }

    async fn read<'a>(
        &self,
        diags: &mut Diagnostics,
        config: TenantState,
        _meta: ValueEmpty,
    ) -> Option<TenantState> {
        let client = self.shared.client(diags)?;
        let slug = text(diags, &config.slug, "slug")?.to_owned();
        match fetch(&client, &slug).await {
            Ok(tenant) => {
                let mut state = config;
                state.fill(&tenant);
                Some(state)
            }
            Err(e) => {
                report(diags, format_args!("reading tenant `{slug}`"), &e);
                None
            }
        }
    }
}

/// Finds the one item of a list whose `field` equals `wanted` (ignoring
/// case when `fold`), or explains why there is none.
async fn find_by(
    client: &Client,
    list_path: &str,
    field: &str,
    wanted: &str,
    fold: bool,
) -> Result<Option<Json>, ApiError> {
    let items = client
        .list_all(&format!("{list_path}?q={}", segment(wanted)))
        .await?;
    Ok(items.into_iter().find(|item| {
        let got = item[field].as_str().unwrap_or_default();
        if fold {
            got.eq_ignore_ascii_case(wanted)
        } else {
            got == wanted
        }
    }))
}

/// One of `id` and `by` (named `by_name`) must be set.
fn lookup_key<'v>(
    diags: &mut Diagnostics,
    id: &'v Value<String>,
    by: &'v Value<String>,
    by_name: &str,
) -> Option<(bool, &'v str)> {
    match (id, by) {
        (Value::Value(id), _) => Some((true, id.as_str())),
        (_, Value::Value(v)) => Some((false, v.as_str())),
        _ => {
            diags.root_error(
                "Latchkey: nothing to look up by",
                format!("set either `id` or `{by_name}`"),
            );
            None
        }
    }
}

pub struct UserData {
    pub shared: Handle,
}

#[async_trait]
impl DataSource for UserData {
    type State<'a> = UserState;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        schema(
            "Looks up a user of a tenant by `id` or by `user_name` (ignoring case).",
            user_attributes(true),
        )
    }

    async fn read<'a>(
        &self,
        diags: &mut Diagnostics,
        config: UserState,
        _meta: ValueEmpty,
    ) -> Option<UserState> {
        let client = self.shared.client(diags)?;
        let tenant = text(diags, &config.tenant, "tenant")?.to_owned();
        let (by_id, key) = lookup_key(diags, &config.id, &config.user_name, "user_name")?;
        let key = key.to_owned();
        let users = format!("/api/v1/tenants/{}/users", segment(&tenant));
        let found = if by_id {
            client
                .get(&format!("{users}/{}", segment(&key)))
                .await
                .map(Some)
        } else {
            find_by(&client, &users, "user_name", &key, true).await
        };
        match found {
            Ok(Some(user)) => {
                let mut state = config;
                state.fill(&user);
                Some(state)
            }
            Ok(None) => {
                diags.root_error(
                    "Latchkey: no such user",
                    format!("tenant `{tenant}` has no user named `{key}`"),
                );
                None
            }
            Err(e) => {
                report(
                    diags,
                    format_args!("looking up user `{key}` in tenant `{tenant}`"),
                    &e,
                );
                None
            }
        }
    }
}

pub struct GroupData {
    pub shared: Handle,
}

#[async_trait]
impl DataSource for GroupData {
    type State<'a> = GroupState;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        schema(
            "Looks up a group of a tenant by `id` or by `display_name`.",
            group_attributes(true),
        )
    }

    async fn read<'a>(
        &self,
        diags: &mut Diagnostics,
        config: GroupState,
        _meta: ValueEmpty,
    ) -> Option<GroupState> {
        let client = self.shared.client(diags)?;
        let tenant = text(diags, &config.tenant, "tenant")?.to_owned();
        let (by_id, key) = lookup_key(diags, &config.id, &config.display_name, "display_name")?;
        let key = key.to_owned();
        let groups = format!("/api/v1/tenants/{}/groups", segment(&tenant));
        let found = if by_id {
            client
                .get(&format!("{groups}/{}", segment(&key)))
                .await
                .map(Some)
        } else {
            find_by(&client, &groups, "display_name", &key, false).await
        };
        match found {
            Ok(Some(group)) => {
                let mut state = config;
                state.fill(&group);
                Some(state)
            }
            Ok(None) => {
                diags.root_error(
                    "Latchkey: no such group",
                    format!("tenant `{tenant}` has no group named `{key}`"),
                );
                None
            }
            Err(e) => {
                report(
                    diags,
                    format_args!("looking up group `{key}` in tenant `{tenant}`"),
                    &e,
                );
                None
            }
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct JwksState {
    pub tenant: Value<String>,
    pub url: Value<String>,
    pub json: Value<String>,
    pub kids: Value<Vec<String>>,
}

pub struct JwksData {
    pub shared: Handle,
}

#[async_trait]
impl DataSource for JwksData {
    type State<'a> = JwksState;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        schema(
            "A tenant's public JSON Web Key Set: the keys relying parties verify its tokens with.",
            vec![
                ("tenant", string(Required, "The slug of the tenant.")),
                ("url", string(Computed, "The public URL of the JWKS.")),
                ("json", string(Computed, "The JWKS document, as JSON.")),
                (
                    "kids",
                    attribute(
                        AttributeType::List(Box::new(AttributeType::String)),
                        Computed,
                        "The key ids in the set, in the server's order.",
                    ),
                ),
            ],
        )
    }

    async fn read<'a>(
        &self,
        diags: &mut Diagnostics,
        config: JwksState,
        _meta: ValueEmpty,
    ) -> Option<JwksState> {
        let client = self.shared.client(diags)?;
        let tenant = text(diags, &config.tenant, "tenant")?.to_owned();
        let path = format!("/t/{}/.well-known/jwks.json", segment(&tenant));
        match client.get(&path).await {
            Ok(jwks) => {
                let kids = jwks["keys"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|k| k["kid"].as_str().map(str::to_owned))
                    .collect();
                Some(JwksState {
                    url: Value::Value(format!("{}{path}", client.endpoint())),
                    json: Value::Value(jwks.to_string()),
                    kids: Value::Value(kids),
                    tenant: config.tenant,
                })
            }
            Err(e) => {
                report(
                    diags,
                    format_args!("reading the JWKS of tenant `{tenant}`"),
                    &e,
                );
                None
            }
        }
    }
}
