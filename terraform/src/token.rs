//! `latchkey_api_token`: a tenant API token (`lkt_…`) or SCIM token (`lks_…`).

use std::collections::BTreeSet;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};
use tf_provider::schema::{AttributeConstraint::*, AttributeType, Schema};
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{AttributePath, Diagnostics, Resource};

use crate::client::{report, segment};
use crate::common::{
    Handle, attribute, import_parts, json_of, schema, string, string_of, string_set_of, text,
};

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

fn path(tenant: &str, id: &str) -> String {
    format!("/api/v1/tenants/{}/tokens/{}", segment(tenant), segment(id))
}

impl TokenState {
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

#[async_trait]
impl Resource for TokenResource {
    type State<'a> = TokenState;
    type PrivateState<'a> = ValueEmpty;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        let mut token = string(
            Computed,
            "The secret, known only to the apply that created the token (empty after an import). Sensitive.",
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

    async fn read<'a>(
        &self,
        diags: &mut Diagnostics,
        state: TokenState,
        private: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<(TokenState, ValueEmpty)> {
        let client = self.shared.client(diags)?;
        let tenant = text(diags, &state.tenant, "tenant")?.to_owned();
        let id = text(diags, &state.id, "id")?.to_owned();
        match client.get(&path(&tenant, &id)).await {
            // A revoked token is gone: it is planned for re-creation.
            Ok(token) if !token["revoked_at"].is_null() => None,
            Ok(token) => {
                let mut state = state;
                state.fill(&token);
                Some((state, private))
            }
            Err(e) if e.is_not_found() => None,
            Err(e) => {
                report(
                    diags,
                    format_args!("reading token `{id}` of tenant `{tenant}`"),
                    &e,
                );
                None
            }
        }
    }

    async fn plan_create<'a>(
        &self,
        _diags: &mut Diagnostics,
        proposed: TokenState,
        _config: TokenState,
        _meta: ValueEmpty,
    ) -> Option<(TokenState, ValueEmpty)> {
        let mut state = proposed;
        state.id = Value::Unknown;
        state.kind = Value::Unknown;
        state.token = Value::Unknown;
        Some((state, ValueEmpty::Null))
    }

    async fn plan_update<'a>(
        &self,
        _diags: &mut Diagnostics,
        prior: TokenState,
        proposed: TokenState,
        _config: TokenState,
        private: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<(TokenState, ValueEmpty, Vec<AttributePath>)> {
        let mut replace = Vec::new();
        for (name, before, after) in [
            ("tenant", &prior.tenant, &proposed.tenant),
            ("name", &prior.name, &proposed.name),
            ("expires_at", &prior.expires_at, &proposed.expires_at),
        ] {
            if after.is_unknown() || before != after {
                replace.push(AttributePath::new(name));
            }
        }
        if proposed.scopes.is_unknown() || prior.scopes != proposed.scopes {
            replace.push(AttributePath::new("scopes"));
        }
        Some((proposed, private, replace))
    }

    async fn plan_destroy<'a>(
        &self,
        _diags: &mut Diagnostics,
        _prior: TokenState,
        private: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<ValueEmpty> {
        Some(private)
    }

    async fn create<'a>(
        &self,
        diags: &mut Diagnostics,
        planned: TokenState,
        _config: TokenState,
        private: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<(TokenState, ValueEmpty)> {
        let client = self.shared.client(diags)?;
        let tenant = text(diags, &planned.tenant, "tenant")?.to_owned();
        let body = json!({
            "name": json_of(&planned.name),
            "scopes": json_of(&planned.scopes),
            "expires_at": json_of(&planned.expires_at),
        });
        match client
            .post(
                &format!("/api/v1/tenants/{}/tokens", segment(&tenant)),
                &body,
            )
            .await
        {
            Ok(created) => {
                let mut state = planned;
                state.fill(&created);
                state.token = string_of(&created["token"]);
                Some((state, private))
            }
            Err(e) => {
                report(
                    diags,
                    format_args!("creating a token in tenant `{tenant}`"),
                    &e,
                );
                None
            }
        }
    }

    async fn update<'a>(
        &self,
        _diags: &mut Diagnostics,
        _prior: TokenState,
        planned: TokenState,
        _config: TokenState,
        private: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<(TokenState, ValueEmpty)> {
        // Every argument forces a replacement: there is nothing to update.
        Some((planned, private))
    }

    async fn destroy<'a>(
        &self,
        diags: &mut Diagnostics,
        prior: TokenState,
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
                    format_args!("revoking token `{id}` of tenant `{tenant}`"),
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
    ) -> Option<(TokenState, ValueEmpty)> {
        let mut parts = import_parts(diags, &id, "tenant_slug/token_id", 2)?.into_iter();
        let state = TokenState {
            tenant: parts.next().into(),
            id: parts.next().into(),
            ..TokenState::default()
        };
        Some((state, ValueEmpty::Null))
    }
}
