//! `latchkey_tenant`: a tenant, managed with a platform token.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};
use tf_provider::schema::{AttributeConstraint::*, Schema};
use tf_provider::value::Value;
use tf_provider::{AttributePath, Diagnostics};

use crate::client::{ApiError, Client, answered, found, segment};
use crate::common::{Fill, Handle, changed, json_of, schema, string, string_of, text};
use crate::managed::Managed;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TenantState {
    pub id: Value<String>,
    pub slug: Value<String>,
    pub display_name: Value<String>,
    pub status: Value<String>,
    pub plan: Value<String>,
}

impl Fill for TenantState {
    /// Fills every attribute from the API's tenant object.
    fn fill(&mut self, tenant: &Json) {
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

fn path(slug: &str) -> String {
    format!("/api/v1/tenants/{}", segment(slug))
}

pub async fn fetch(client: &Client, slug: &str) -> Result<Json, ApiError> {
    client.get(&path(slug)).await
}

#[async_trait]
impl Managed for TenantResource {
    type State = TenantState;

    fn schema(&self) -> Option<Schema> {
        schema(
            "A tenant: an isolated organization with its own directory, keys and tokens. Needs a platform token (`lkp_…`).",
            tenant_attributes(Required),
        )
    }

    async fn read(&self, diags: &mut Diagnostics, state: TenantState) -> Option<TenantState> {
        let client = self.shared.client(diags)?;
        let slug = text(diags, &state.slug, "slug")?.to_owned();
        let tenant = fetch(&client, &slug).await;
        let tenant = found(diags, format_args!("reading tenant `{slug}`"), tenant)?;
        // A tenant deleted and re-created under the same slug is another
        // tenant: the one in the state is gone.
        if state.id.is_value() && state.id != string_of(&tenant["id"]) {
            return None;
        }
        Some(state.filled(&tenant))
    }

    fn plan_create(&self, proposed: TenantState, _config: &TenantState) -> TenantState {
        TenantState {
            id: Value::Unknown,
            status: Value::Unknown,
            plan: Value::Unknown,
            ..proposed
        }
    }

    fn plan_update(
        &self,
        prior: &TenantState,
        proposed: TenantState,
        _config: &TenantState,
    ) -> (TenantState, Vec<AttributePath>) {
        let replace = changed("slug", &prior.slug, &proposed.slug);
        (proposed, replace.into_iter().collect())
    }

    async fn create(&self, diags: &mut Diagnostics, planned: TenantState) -> Option<TenantState> {
        let client = self.shared.client(diags)?;
        let body =
            json!({"slug": json_of(&planned.slug), "display_name": json_of(&planned.display_name)});
        let tenant = client.post("/api/v1/tenants", &body).await;
        let tenant = answered(diags, "creating the tenant", tenant)?;
        Some(planned.filled(&tenant))
    }

    async fn update(
        &self,
        diags: &mut Diagnostics,
        _prior: TenantState,
        planned: TenantState,
    ) -> Option<TenantState> {
        let client = self.shared.client(diags)?;
        let slug = text(diags, &planned.slug, "slug")?.to_owned();
        let body = json!({"display_name": json_of(&planned.display_name)});
        let tenant = client.patch(&path(&slug), &body).await;
        let tenant = answered(diags, format_args!("updating tenant `{slug}`"), tenant)?;
        Some(planned.filled(&tenant))
    }

    async fn destroy(&self, diags: &mut Diagnostics, prior: TenantState) -> Option<()> {
        let client = self.shared.client(diags)?;
        let slug = text(diags, &prior.slug, "slug")?;
        let deleted = client.delete(&path(slug)).await;
        answered(diags, format_args!("deleting tenant `{slug}`"), deleted)
    }

    fn import(&self, _diags: &mut Diagnostics, id: String) -> Option<TenantState> {
        Some(TenantState {
            slug: Value::Value(id),
            ..TenantState::default()
        })
    }
}
