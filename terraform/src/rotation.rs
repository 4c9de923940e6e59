//! `latchkey_signing_key_rotation`: one rotation of a tenant's signing keys,
//! made when the resource is created; changing `triggers` (or `algs`)
//! replaces it, which rotates again.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};
use tf_provider::schema::{AttributeConstraint::*, AttributeType, Schema};
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{AttributePath, Diagnostics, Resource};

use crate::client::{report, segment};
use crate::common::{Handle, attribute, import_parts, schema, string, text};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RotationState {
    pub id: Value<String>,
    pub tenant: Value<String>,
    pub algs: Value<BTreeSet<String>>,
    pub triggers: Value<BTreeMap<String, String>>,
    pub active_kids: Value<BTreeMap<String, String>>,
}

pub struct RotationResource {
    pub shared: Handle,
}

/// `alg → kid` of the active keys in a key list.
fn active_kids(keys: &Json) -> BTreeMap<String, String> {
    keys["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|k| k["state"] == "active")
        .filter_map(|k| Some((k["alg"].as_str()?.to_owned(), k["kid"].as_str()?.to_owned())))
        .collect()
}

fn keys_path(tenant: &str) -> String {
    format!("/api/v1/tenants/{}/keys", segment(tenant))
}

#[async_trait]
impl Resource for RotationResource {
    type State<'a> = RotationState;
    type PrivateState<'a> = ValueEmpty;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        schema(
            "Rotates a tenant's signing keys when it is created: for each algorithm the active key retires, the next key becomes active and a new next key is published. Change `triggers` to rotate again. Destroying it changes nothing on the server (a rotation cannot be undone). Import with `tenant_slug/any_id` to adopt the current keys.",
            vec![
                (
                    "id",
                    string(
                        Computed,
                        "`tenant_slug/<kid of the first active key after the rotation>`.",
                    ),
                ),
                ("tenant", string(Required, "The slug of the tenant.")),
                (
                    "algs",
                    attribute(
                        AttributeType::Set(Box::new(AttributeType::String)),
                        Optional,
                        "The algorithms to rotate (`ES256`, `RS256`); all when unset.",
                    ),
                ),
                (
                    "triggers",
                    attribute(
                        AttributeType::Map(Box::new(AttributeType::String)),
                        Optional,
                        "Arbitrary values; any change rotates the keys again.",
                    ),
                ),
                (
                    "active_kids",
                    attribute(
                        AttributeType::Map(Box::new(AttributeType::String)),
                        Computed,
                        "`alg → kid` of the keys that became active with this rotation.",
                    ),
                ),
            ],
        )
    }

    async fn read<'a>(
        &self,
        diags: &mut Diagnostics,
        state: RotationState,
        private: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<(RotationState, ValueEmpty)> {
        let client = self.shared.client(diags)?;
        let tenant = text(diags, &state.tenant, "tenant")?.to_owned();
        // A rotation is an event: what remains to check is that its tenant
        // still exists (a deleted tenant takes its rotations with it).
        match client.get(&keys_path(&tenant)).await {
            Ok(keys) => {
                let mut state = state;
                if !state.active_kids.is_value() {
                    state.active_kids = Value::Value(active_kids(&keys));
                }
                Some((state, private))
            }
            Err(e) if e.is_not_found() => None,
            Err(e) => {
                report(
                    diags,
                    format_args!("reading the keys of tenant `{tenant}`"),
                    &e,
                );
                None
            }
        }
    }

    async fn plan_create<'a>(
        &self,
        _diags: &mut Diagnostics,
        proposed: RotationState,
        _config: RotationState,
        _meta: ValueEmpty,
    ) -> Option<(RotationState, ValueEmpty)> {
        let mut state = proposed;
        state.id = Value::Unknown;
        state.active_kids = Value::Unknown;
        Some((state, ValueEmpty::Null))
    }

    async fn plan_update<'a>(
        &self,
        _diags: &mut Diagnostics,
        prior: RotationState,
        proposed: RotationState,
        _config: RotationState,
        private: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<(RotationState, ValueEmpty, Vec<AttributePath>)> {
        let mut replace = Vec::new();
        if proposed.tenant.is_unknown() || prior.tenant != proposed.tenant {
            replace.push(AttributePath::new("tenant"));
        }
        if proposed.algs.is_unknown() || prior.algs != proposed.algs {
            replace.push(AttributePath::new("algs"));
        }
        if proposed.triggers.is_unknown() || prior.triggers != proposed.triggers {
            replace.push(AttributePath::new("triggers"));
        }
        Some((proposed, private, replace))
    }

    async fn plan_destroy<'a>(
        &self,
        _diags: &mut Diagnostics,
        _prior: RotationState,
        private: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<ValueEmpty> {
        Some(private)
    }

    async fn create<'a>(
        &self,
        diags: &mut Diagnostics,
        planned: RotationState,
        _config: RotationState,
        private: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<(RotationState, ValueEmpty)> {
        let client = self.shared.client(diags)?;
        let tenant = text(diags, &planned.tenant, "tenant")?.to_owned();
        let algs: Vec<String> = planned
            .algs
            .as_ref_option()
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        let body = json!({ "algs": algs });
        match client
            .post(&format!("{}/rotate", keys_path(&tenant)), &body)
            .await
        {
            Ok(keys) => {
                let kids = active_kids(&keys);
                let mut state = planned;
                let first = kids.values().next().cloned().unwrap_or_default();
                state.id = Value::Value(format!("{tenant}/{first}"));
                state.active_kids = Value::Value(kids);
                Some((state, private))
            }
            Err(e) => {
                report(
                    diags,
                    format_args!("rotating the keys of tenant `{tenant}`"),
                    &e,
                );
                None
            }
        }
    }

    async fn update<'a>(
        &self,
        _diags: &mut Diagnostics,
        _prior: RotationState,
        planned: RotationState,
        _config: RotationState,
        private: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<(RotationState, ValueEmpty)> {
        // Every argument forces a replacement: there is nothing to update.
        Some((planned, private))
    }

    async fn destroy<'a>(
        &self,
        _diags: &mut Diagnostics,
        _prior: RotationState,
        _private: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<()> {
        // A rotation cannot be undone; the keys stay as they are.
        Some(())
    }

    async fn import<'a>(
        &self,
        diags: &mut Diagnostics,
        id: String,
    ) -> Option<(RotationState, ValueEmpty)> {
        let mut parts = import_parts(diags, &id, "tenant_slug/id", 2)?.into_iter();
        let state = RotationState {
            id: Value::Value(id.clone()),
            tenant: parts.next().into(),
            ..RotationState::default()
        };
        Some((state, ValueEmpty::Null))
    }
}
