//! `latchkey_signing_key_rotation`: one rotation of a tenant's signing keys,
//! made when the resource is created; changing `triggers` (or `algs`)
//! replaces it, which rotates again. The keys it made active are its state:
//! once another rotation retires them, it is gone and is planned again.

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

/// The kids of `kids` whose algorithm a rotation of `algs` rotates (every
/// algorithm when `algs` is unset or empty).
fn rotated(kids: BTreeMap<String, String>, algs: &BTreeSet<String>) -> BTreeMap<String, String> {
    kids.into_iter()
        .filter(|(alg, _)| algs.is_empty() || algs.contains(alg))
        .collect()
}

/// `tenant_slug/<kid of the first active key>`.
fn identity(tenant: &str, kids: &BTreeMap<String, String>) -> String {
    let first = kids.values().next().map(String::as_str).unwrap_or_default();
    format!("{tenant}/{first}")
}

/// An imported rotation taking the configured `algs` and `triggers`, which
/// the server does not store: its active kids narrow to the adopted
/// algorithms. Unknown until the algorithms are known.
fn adopted(prior: &RotationState, proposed: RotationState) -> RotationState {
    let (Value::Value(tenant), Value::Value(kids)) = (&prior.tenant, &prior.active_kids) else {
        return proposed;
    };
    let algs = match &proposed.algs {
        Value::Value(algs) => algs.clone(),
        Value::Null => BTreeSet::new(),
        Value::Unknown => {
            return RotationState {
                id: Value::Unknown,
                active_kids: Value::Unknown,
                ..proposed
            };
        }
    };
    let kids = rotated(kids.clone(), &algs);
    RotationState {
        id: Value::Value(identity(tenant, &kids)),
        active_kids: Value::Value(kids),
        ..proposed
    }
}

fn keys_path(tenant: &str) -> String {
    format!("/api/v1/tenants/{}/keys", segment(tenant))
}

#[async_trait]
impl Managed for RotationResource {
    type State = RotationState;

    fn schema(&self) -> Option<Schema> {
        schema(
            "Rotates a tenant's signing keys when it is created: for each algorithm the active key retires, the next key becomes active and a new next key is published. Change `triggers` to rotate again. Once a rotation made elsewhere retires the keys it made active, it is planned again. Destroying it changes nothing on the server (a rotation cannot be undone). Import with `tenant_slug/any_id` to adopt the current keys: the first apply after it takes the configured `algs` and `triggers` without rotating.",
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
                        "`alg → kid` of the keys that became active with this rotation (of the algorithms it rotated).",
                    ),
                ),
            ],
        )
    }

    async fn read(&self, diags: &mut Diagnostics, state: RotationState) -> Option<RotationState> {
        let client = self.shared.client(diags)?;
        let tenant = text(diags, &state.tenant, "tenant")?.to_owned();
        // A deleted tenant takes its rotations with it (a 404 here).
        let keys = client.get(&keys_path(&tenant)).await;
        let keys = found(
            diags,
            format_args!("reading the keys of tenant `{tenant}`"),
            keys,
        )?;
        let current = active_kids(&keys);
        let mut state = state;
        match &state.active_kids {
            // A rotation is an event; what shows whether it still holds is
            // that the keys it made active are still the active ones. When
            // a later rotation (over the API, on a schedule) has retired
            // them, this one is gone, and planning it again rotates anew.
            Value::Value(made) => {
                if made.iter().any(|(alg, kid)| current.get(alg) != Some(kid)) {
                    return None;
                }
            }
            // An import adopts the keys active now.
            _ => {
                state.id = Value::Value(identity(&tenant, &current));
                state.active_kids = Value::Value(current);
            }
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

    /// An import cannot read `algs` or `triggers` back (the server keeps no
    /// record of why it rotated): the first apply after it takes the
    /// configured ones in place, rotating nothing. Only another tenant
    /// replaces it.
    fn plan_adoption(
        &self,
        prior: &RotationState,
        proposed: RotationState,
        _config: &RotationState,
    ) -> (RotationState, Vec<AttributePath>) {
        let replace = changed("tenant", &prior.tenant, &proposed.tenant);
        (adopted(prior, proposed), replace.into_iter().collect())
    }

    async fn create(
        &self,
        diags: &mut Diagnostics,
        planned: RotationState,
    ) -> Option<RotationState> {
        let client = self.shared.client(diags)?;
        let tenant = text(diags, &planned.tenant, "tenant")?.to_owned();
        let algs = planned.algs.as_ref_option().cloned().unwrap_or_default();
        let body = json!({ "algs": algs });
        let keys = client
            .post(&format!("{}/rotate", keys_path(&tenant)), &body)
            .await;
        let keys = answered(
            diags,
            format_args!("rotating the keys of tenant `{tenant}`"),
            keys,
        )?;
        let kids = rotated(active_kids(&keys), &algs);
        Some(RotationState {
            id: Value::Value(identity(&tenant, &kids)),
            active_kids: Value::Value(kids),
            ..planned
        })
    }

    /// Every change but the adoption after an import replaces the rotation,
    /// so an update is that adoption: nothing is rotated.
    async fn update(
        &self,
        _diags: &mut Diagnostics,
        prior: RotationState,
        planned: RotationState,
    ) -> Option<RotationState> {
        Some(adopted(&prior, planned))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn kids() -> BTreeMap<String, String> {
        BTreeMap::from([
            ("ES256".to_owned(), "es-kid".to_owned()),
            ("RS256".to_owned(), "rs-kid".to_owned()),
        ])
    }

    fn imported() -> RotationState {
        RotationState {
            id: Value::Value("acme/es-kid".to_owned()),
            tenant: Value::Value("acme".to_owned()),
            active_kids: Value::Value(kids()),
            ..RotationState::default()
        }
    }

    #[test]
    fn a_rotation_of_some_algorithms_holds_only_their_kids() {
        let es256 = BTreeSet::from(["ES256".to_owned()]);
        assert_eq!(
            rotated(kids(), &es256),
            BTreeMap::from([("ES256".to_owned(), "es-kid".to_owned())])
        );
        assert_eq!(rotated(kids(), &BTreeSet::new()), kids());
    }

    #[test]
    fn an_adoption_narrows_the_kids_to_the_configured_algorithms() {
        let proposed = RotationState {
            algs: Value::Value(BTreeSet::from(["RS256".to_owned()])),
            ..imported()
        };
        let adopted = adopted(&imported(), proposed);
        assert_eq!(adopted.id, Value::Value("acme/rs-kid".to_owned()));
        assert_eq!(
            adopted.active_kids,
            Value::Value(BTreeMap::from([("RS256".to_owned(), "rs-kid".to_owned())]))
        );
    }

    #[test]
    fn an_adoption_of_algorithms_not_known_yet_leaves_the_kids_unknown() {
        let proposed = RotationState {
            algs: Value::Unknown,
            ..imported()
        };
        let adopted = adopted(&imported(), proposed);
        assert_eq!(adopted.id, Value::Unknown);
        assert_eq!(adopted.active_kids, Value::Unknown);
    }
}
