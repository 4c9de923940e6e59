//! `latchkey_tenant`: a tenant, managed with a platform token.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};
use tf_provider::schema::{AttributeConstraint::*, Schema};
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{AttributePath, Diagnostics, Resource};

use crate::client::{Client, report, segment};
use crate::common::{Handle, json_of, schema, string, string_of, text};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TenantState {
    pub id: Value<String>,
    pub slug: Value<String>,
    pub display_name: Value<String>,
    pub status: Value<String>,
    pub plan: Value<String>,
}

impl TenantState {
    /// Fills every attribute from the API's tenant object.
    pub fn fill(&mut self, tenant: &Json) {
        self.id = string_of(&tenant["id"]);
        self.slug = string_of(&tenant["slug"]);
        self.display_name = string_of(&tenant["display_name"]);
        self.status = string_of(&tenant["status"]);
        self.plan = string_of(&tenant["plan"]);
    }
}

pub fn tenant_attributes(
    slug: tf_provider::schema::AttributeConstraint,
) -> Vec<(&'static str, tf_provider::schema::Attribute)> {
    vec![
        ("id", string(Computed, "The tenant's id (a UUID).")),
        (
            "slug",
            string(
                slug,
                "The tenant's immutable DNS label (3–63 characters: lowercase letters, digits and hyphens, starting with a letter). Changing it replaces the tenant.",
            ),
        ),
        (
            "display_name",
            string(Required, "The tenant's display name."),
        ),
        (
            "status",
            string(Computed, "`active`, `suspended` or `deleting`."),
        ),
        (
            "plan",
            string(
                Computed,
                "The tenant's plan (`free`, `team`, `enterprise`).",
            ),
        ),
    ]
}

pub struct TenantResource {
    pub shared: Handle,
}

pub async fn fetch(client: &Client, slug: &str) -> Result<Json, crate::client::ApiError> {
    client
        .get(&format!("/api/v1/tenants/{}", segment(slug)))
        .await
}

#[async_trait]
impl Resource for TenantResource {
    type State<'a> = TenantState;
    type PrivateState<'a> = ValueEmpty;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        schema(
            "A tenant: an isolated organization with its own directory, keys and tokens. Needs a platform token (`lkp_…`).",
            tenant_attributes(Required),
        )
    }

    async fn read<'a>(
        &self,
        diags: &mut Diagnostics,
        state: TenantState,
        private: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<(TenantState, ValueEmpty)> {
        let client = self.shared.client(diags)?;
        let slug = text(diags, &state.slug, "slug")?.to_owned();
        match fetch(&client, &slug).await {
            Ok(tenant) => {
                // A tenant deleted and re-created under the same slug is
                // another tenant: the one in the state is gone.
                if state.id.is_value() && state.id != string_of(&tenant["id"]) {
                    return None;
                }
                let mut state = state;
                state.fill(&tenant);
                Some((state, private))
            }
            Err(e) if e.is_not_found() => None,
            Err(e) => {
                report(diags, format_args!("reading tenant `{slug}`"), &e);
                None
            }
        }
    }

    async fn plan_create<'a>(
        &self,
        _diags: &mut Diagnostics,
        proposed: TenantState,
        _config: TenantState,
        _meta: ValueEmpty,
    ) -> Option<(TenantState, ValueEmpty)> {
        let mut state = proposed;
        state.id = Value::Unknown;
        state.status = Value::Unknown;
        state.plan = Value::Unknown;
        Some((state, ValueEmpty::Null))
    }

    async fn plan_update<'a>(
        &self,
        _diags: &mut Diagnostics,
        prior: TenantState,
        proposed: TenantState,
        _config: TenantState,
        private: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<(TenantState, ValueEmpty, Vec<AttributePath>)> {
        let mut replace = Vec::new();
        if proposed.slug.is_unknown() || proposed.slug != prior.slug {
            replace.push(AttributePath::new("slug"));
        }
        Some((proposed, private, replace))
    }

    async fn plan_destroy<'a>(
        &self,
        _diags: &mut Diagnostics,
        _prior: TenantState,
        private: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<ValueEmpty> {
        Some(private)
    }

    async fn create<'a>(
        &self,
        diags: &mut Diagnostics,
        planned: TenantState,
        _config: TenantState,
        private: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<(TenantState, ValueEmpty)> {
        let client = self.shared.client(diags)?;
        let body =
            json!({"slug": json_of(&planned.slug), "display_name": json_of(&planned.display_name)});
        match client.post("/api/v1/tenants", &body).await {
            Ok(tenant) => {
                let mut state = planned;
                state.fill(&tenant);
                Some((state, private))
            }
            Err(e) => {
                report(diags, "creating the tenant", &e);
                None
            }
        }
    }

    async fn update<'a>(
        &self,
        diags: &mut Diagnostics,
        _prior: TenantState,
        planned: TenantState,
        _config: TenantState,
        private: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<(TenantState, ValueEmpty)> {
        let client = self.shared.client(diags)?;
        let slug = text(diags, &planned.slug, "slug")?.to_owned();
        let body = json!({"display_name": json_of(&planned.display_name)});
        match client
            .patch(&format!("/api/v1/tenants/{}", segment(&slug)), &body)
            .await
        {
            Ok(tenant) => {
                let mut state = planned;
                state.fill(&tenant);
                Some((state, private))
            }
            Err(e) => {
                report(diags, format_args!("updating tenant `{slug}`"), &e);
                None
            }
        }
    }

    async fn destroy<'a>(
        &self,
        diags: &mut Diagnostics,
        prior: TenantState,
        _private: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<()> {
        let client = self.shared.client(diags)?;
        let slug = text(diags, &prior.slug, "slug")?.to_owned();
        match client
            .delete(&format!("/api/v1/tenants/{}", segment(&slug)))
            .await
        {
            Ok(()) => Some(()),
            Err(e) => {
                report(diags, format_args!("deleting tenant `{slug}`"), &e);
                None
            }
        }
    }

    async fn import<'a>(
        &self,
        _diags: &mut Diagnostics,
        id: String,
    ) -> Option<(TenantState, ValueEmpty)> {
        let state = TenantState {
            slug: Value::Value(id),
            ..TenantState::default()
        };
        Some((state, ValueEmpty::Null))
    }
}
