//! Data sources: `latchkey_tenant`, `latchkey_user` and `latchkey_group`
//! (`DirectoryData`), `latchkey_jwks`.

use std::marker::PhantomData;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use tf_provider::schema::{AttributeConstraint::*, AttributeType, Schema};
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{DataSource, Diagnostics};

use crate::client::{ApiError, Client, answered, segment};
use crate::common::{Fill, Handle, attribute, schema, string, text};
use crate::in_tenant::{DirectoryObject, attributes};
use crate::tenant::{TenantState, fetch, tenant_attributes};

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
        let tenant = fetch(&client, &slug).await;
        let tenant = answered(diags, format_args!("reading tenant `{slug}`"), tenant)?;
        Some(config.filled(&tenant))
    }
}

/// The data source of a directory object (`latchkey_user`,
/// `latchkey_group`): found by `id`, or else by its `BY` attribute through
/// a search of the list.
pub struct DirectoryData<S> {
    shared: Handle,
    object: PhantomData<fn() -> S>,
}

impl<S> DirectoryData<S> {
    pub fn new(shared: Handle) -> DirectoryData<S> {
        DirectoryData {
            shared,
            object: PhantomData,
        }
    }
}

#[async_trait]
impl<S: DirectoryObject> DataSource for DirectoryData<S> {
    type State<'a> = S;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        schema(S::DATA_DESCRIPTION, attributes::<S>(true))
    }

    async fn read<'a>(&self, diags: &mut Diagnostics, config: S, _meta: ValueEmpty) -> Option<S> {
        let client = self.shared.client(diags)?;
        let tenant = text(diags, config.tenant(), "tenant")?;
        let (by_id, key) = lookup_key::<S>(diags, config.id(), config.by())?;
        let found = if by_id {
            client.get(&S::KIND.path(tenant, key)).await.map(Some)
        } else {
            search::<S>(&client, &S::KIND.list(tenant), key).await
        };
        let noun = S::KIND.noun;
        let found = answered(
            diags,
            format_args!("looking up {noun} `{key}` in tenant `{tenant}`"),
            found,
        )?;
        let Some(object) = found else {
            diags.root_error(
                format!("Latchkey: no such {noun}"),
                format!("tenant `{tenant}` has no {noun} named `{key}`"),
            );
            return None;
        };
        Some(config.filled(&object))
    }
}

/// One of `id` and `by` (the attribute `S::BY`) must be set.
fn lookup_key<'v, S: DirectoryObject>(
    diags: &mut Diagnostics,
    id: &'v Value<String>,
    by: &'v Value<String>,
) -> Option<(bool, &'v str)> {
    match (id, by) {
        (Value::Value(id), _) => Some((true, id.as_str())),
        (_, Value::Value(v)) => Some((false, v.as_str())),
        _ => {
            diags.root_error(
                "Latchkey: nothing to look up by",
                format!("set either `id` or `{}`", S::BY),
            );
            None
        }
    }
}

/// The one item of the list whose `S::BY` equals `wanted`, if any.
async fn search<S: DirectoryObject>(
    client: &Client,
    list: &str,
    wanted: &str,
) -> Result<Option<Json>, ApiError> {
    let items = client
        .list_all(&format!("{list}?q={}", segment(wanted)))
        .await?;
    Ok(items.into_iter().find(|item| {
        let got = item[S::BY].as_str().unwrap_or_default();
        if S::BY_IGNORES_CASE {
            got.eq_ignore_ascii_case(wanted)
        } else {
            got == wanted
        }
    }))
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
        let jwks = client.get(&path).await;
        let jwks = answered(
            diags,
            format_args!("reading the JWKS of tenant `{tenant}`"),
            jwks,
        )?;
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
}
