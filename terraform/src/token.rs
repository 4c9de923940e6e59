//! `latchkey_api_token`: a tenant API token (`lkt_…`) or SCIM token (`lks_…`).

use std::collections::BTreeSet;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};
use tf_provider::schema::{AttributeConstraint::*, AttributeType, Schema};
use tf_provider::value::Value;
use tf_provider::{AttributePath, Diagnostics};

use crate::common::{
    Fill, Handle, attribute, changed, json_of, schema, string, string_of, string_set_of,
};
use crate::in_tenant::{InTenant, keyed};
use crate::managed::Managed;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TokenState {
    pub id: Value<String>,
    pub tenant: Value<String>,
    pub name: Value<String>,
    pub scopes: Value<BTreeSet<String>>,
    pub expires_at: Value<String>,
    pub kind: Value<String>,
    pub token: Value<String>,
}

pub struct TokenResource {
    pub shared: Handle,
}

const TOKENS: InTenant = InTenant {
    collection: "tokens",
    noun: "token",
    removal: "revoking",
};

impl Fill for TokenState {
    /// Fills what the server reports; the secret is never listed and stays
    /// as it is. The expiry is immutable on the server: the configured
    /// spelling of it is kept.
    fn fill(&mut self, token: &Json) {
        self.id = string_of(&token["id"]);
        self.name = string_of(&token["name"]);
        self.scopes = string_set_of(&token["scopes"]);
        self.kind = string_of(&token["kind"]);
        if !self.expires_at.is_value() {
            self.expires_at = string_of(&token["expires_at"]);
        }
    }
}

keyed!(TokenState);

#[async_trait]
impl Managed for TokenResource {
    type State = TokenState;

    fn schema(&self) -> Option<Schema> {
        let mut token = string(
            Computed,
            "The secret, known only to the apply that created the token (null after an import). Sensitive.",
        );
        token.sensitive = true;
        schema(
            "A tenant API token. Tokens cannot be changed: a change of any argument revokes the token and creates a new one. Import with `tenant_slug/token_id` (the secret cannot be imported).",
            vec![
                ("id", string(Computed, "The token's id (a UUID).")),
                ("tenant", string(Required, "The slug of the tenant.")),
                (
                    "name",
                    string(Required, "A name saying what the token is for."),
                ),
                (
                    "scopes",
                    attribute(
                        AttributeType::Set(Box::new(AttributeType::String)),
                        Required,
                        "`admin` (read and change everything), `read`, or `scim` (SCIM only, alone).",
                    ),
                ),
                (
                    "expires_at",
                    string(
                        Optional,
                        "When the token stops working (RFC 3339); never when unset.",
                    ),
                ),
                (
                    "kind",
                    string(
                        Computed,
                        "`tenant` or `scim`: what the token's prefix says.",
                    ),
                ),
                ("token", token),
            ],
        )
    }

    async fn read(&self, diags: &mut Diagnostics, state: TokenState) -> Option<TokenState> {
        let client = self.shared.client(diags)?;
        let token = TOKENS.fetch(diags, &client, &state).await?;
        // A revoked token is gone: it is planned for re-creation.
        if !token["revoked_at"].is_null() {
            return None;
        }
        Some(state.filled(&token))
    }

    fn plan_create(&self, proposed: TokenState, _config: &TokenState) -> TokenState {
        TokenState {
            id: Value::Unknown,
            kind: Value::Unknown,
            token: Value::Unknown,
            ..proposed
        }
    }

    fn plan_update(
        &self,
        prior: &TokenState,
        proposed: TokenState,
        _config: &TokenState,
    ) -> (TokenState, Vec<AttributePath>) {
        let replace = [
            changed("tenant", &prior.tenant, &proposed.tenant),
            changed("name", &prior.name, &proposed.name),
            changed("expires_at", &prior.expires_at, &proposed.expires_at),
            changed("scopes", &prior.scopes, &proposed.scopes),
        ];
        (proposed, replace.into_iter().flatten().collect())
    }

    async fn create(&self, diags: &mut Diagnostics, planned: TokenState) -> Option<TokenState> {
        let client = self.shared.client(diags)?;
        let body = json!({
            "name": json_of(&planned.name),
            "scopes": json_of(&planned.scopes),
            "expires_at": json_of(&planned.expires_at),
        });
        let created = TOKENS.create(diags, &client, &planned, &body).await?;
        Some(TokenState {
            token: string_of(&created["token"]),
            ..planned.filled(&created)
        })
    }

    async fn destroy(&self, diags: &mut Diagnostics, prior: TokenState) -> Option<()> {
        let client = self.shared.client(diags)?;
        TOKENS.delete(diags, &client, &prior).await
    }

    fn import(&self, diags: &mut Diagnostics, id: String) -> Option<TokenState> {
        TOKENS.import(diags, &id)
    }
}
