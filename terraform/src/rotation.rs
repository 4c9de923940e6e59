//! `latchkey_signing_key_rotation`: one rotation of a tenant's signing keys,
//! made when the resource is created; changing `triggers` (or `algs`)
//! replaces it, which rotates again.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};
use tf_provider::schema::{AttributeConstraint::*, AttributeType, Schema};
use tf_provider::value::Value;
use tf_provider::{AttributePath, Diagnostics};

use crate::client::{answered, found, segment};
use crate::common::{Handle, attribute, changed, import_parts, schema, string, text};
use crate::managed::Managed;

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
impl Managed for RotationResource {
    type State = RotationState;

    fn schema(&self) -> Option<Schema> {
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

    async fn read(&self, diags: &mut Diagnostics, state: RotationState) -> Option<RotationState> {
        let client = self.shared.client(diags)?;
        let tenant = text(diags, &state.tenant, "tenant")?.to_owned();
        // A rotation is an event: what remains to check is that its tenant
        // still exists (a deleted tenant takes its rotations with it).
        let keys = client.get(&keys_path(&tenant)).await;
        let keys = found(
            diags,
            format_args!("reading the keys of tenant `{tenant}`"),
            keys,
        )?;
        let mut state = state;
        if !state.active_kids.is_value() {
            state.active_kids = Value::Value(active_kids(&keys));
        }
        Some(state)
    }

    fn plan_create(&self, proposed: RotationState, _config: &RotationState) -> RotationState {
        RotationState {
            id: Value::Unknown,
            active_kids: Value::Unknown,
            ..proposed
        }
    }

    fn plan_update(
        &self,
        prior: &RotationState,
        proposed: RotationState,
        _config: &RotationState,
    ) -> (RotationState, Vec<AttributePath>) {
        let replace = [
            changed("tenant", &prior.tenant, &proposed.tenant),
            changed("algs", &prior.algs, &proposed.algs),
            changed("triggers", &prior.triggers, &proposed.triggers),
        ];
        (proposed, replace.into_iter().flatten().collect())
    }

    async fn create(
        &self,
        diags: &mut Diagnostics,
        planned: RotationState,
    ) -> Option<RotationState> {
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
        let keys = client
            .post(&format!("{}/rotate", keys_path(&tenant)), &body)
            .await;
        let keys = answered(
            diags,
            format_args!("rotating the keys of tenant `{tenant}`"),
            keys,
        )?;
        let kids = active_kids(&keys);
        let first = kids.values().next().cloned().unwrap_or_default();
        Some(RotationState {
            id: Value::Value(format!("{tenant}/{first}")),
            active_kids: Value::Value(kids),
            ..planned
        })
    }

    async fn destroy(&self, _diags: &mut Diagnostics, _prior: RotationState) -> Option<()> {
        // A rotation cannot be undone; the keys stay as they are.
        Some(())
    }

    fn import(&self, diags: &mut Diagnostics, id: String) -> Option<RotationState> {
        let [tenant, _] = import_parts(diags, &id, "tenant_slug/id")?;
        Some(RotationState {
            id: Value::Value(id),
            tenant: Value::Value(tenant),
            ..RotationState::default()
        })
    }
}
