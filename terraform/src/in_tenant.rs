//! Objects kept in a tenant under an id (users, groups, tokens): their
//! paths, the calls on them and the words of their diagnostics, said once.
//! `Directory` is the whole resource of the ones that are plainly created,
//! read, changed and deleted (users and groups).

use std::marker::PhantomData;

use async_trait::async_trait;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value as Json;
use tf_provider::schema::{Attribute, AttributeConstraint::*, Schema};
use tf_provider::value::Value;
use tf_provider::{AttributePath, Diagnostics};

use crate::client::{Client, answered, found, segment};
use crate::common::{Fill, Handle, changed, import_parts, known, schema, string, text};
use crate::managed::Managed;

/// A state of an object kept in a tenant under an id (users, groups,
/// tokens): `keyed!` implements it for a state with `tenant` and `id`.
pub trait Keyed: Fill + Default {
    fn tenant(&self) -> &Value<String>;
    fn id(&self) -> &Value<String>;
    fn set_id(&mut self, id: Value<String>);
    /// The state that an import starts from: only the keys known.
    fn at(tenant: String, id: String) -> Self;
}

macro_rules! keyed {
    ($state:ty) => {
        impl $crate::in_tenant::Keyed for $state {
            fn tenant(&self) -> &Value<String> {
                &self.tenant
            }
            fn id(&self) -> &Value<String> {
                &self.id
            }
            fn set_id(&mut self, id: Value<String>) {
                self.id = id;
            }
            fn at(tenant: String, id: String) -> Self {
                Self {
                    tenant: Value::Value(tenant),
                    id: Value::Value(id),
                    ..Self::default()
                }
            }
        }
    };
}
pub(crate) use keyed;

/// Where a kind of keyed object lives, `/api/v1/tenants/{tenant}/{collection}`,
/// and the words its diagnostics use: what the calls on every such object
/// share.
pub struct InTenant {
    pub collection: &'static str,
    pub noun: &'static str,
    /// The verb of a delete (`deleting`, or `revoking` for tokens).
    pub removal: &'static str,
}

impl InTenant {
    pub fn list(&self, tenant: &str) -> String {
        format!("/api/v1/tenants/{}/{}", segment(tenant), self.collection)
    }

    pub fn path(&self, tenant: &str, id: &str) -> String {
        format!("{}/{}", self.list(tenant), segment(id))
    }

    fn keys<S: Keyed>(&self, diags: &mut Diagnostics, state: &S) -> Option<[String; 2]> {
        known(diags, [(state.tenant(), "tenant"), (state.id(), "id")])
    }

    /// The object of the state; `None` when it is gone.
    pub async fn fetch<S: Keyed>(
        &self,
        diags: &mut Diagnostics,
        client: &Client,
        state: &S,
    ) -> Option<Json> {
        let [tenant, id] = self.keys(diags, state)?;
        let got = client.get(&self.path(&tenant, &id)).await;
        let noun = self.noun;
        found(
            diags,
            format_args!("reading {noun} `{id}` of tenant `{tenant}`"),
            got,
        )
    }

    /// Creates the object of the planned state from `body`.
    pub async fn create<S: Keyed>(
        &self,
        diags: &mut Diagnostics,
        client: &Client,
        planned: &S,
        body: &Json,
    ) -> Option<Json> {
        let tenant = text(diags, planned.tenant(), "tenant")?;
        let created = client.post(&self.list(tenant), body).await;
        let noun = self.noun;
        answered(
            diags,
            format_args!("creating a {noun} in tenant `{tenant}`"),
            created,
        )
    }

    /// Changes the object of the prior state to `body`.
    pub async fn update<S: Keyed>(
        &self,
        diags: &mut Diagnostics,
        client: &Client,
        prior: &S,
        planned: &S,
        body: &Json,
    ) -> Option<Json> {
        let [tenant, id] = known(diags, [(planned.tenant(), "tenant"), (prior.id(), "id")])?;
        let updated = client.patch(&self.path(&tenant, &id), body).await;
        let noun = self.noun;
        answered(
            diags,
            format_args!("updating {noun} `{id}` of tenant `{tenant}`"),
            updated,
        )
    }

    /// Deletes the object of the prior state (one already gone counts).
    pub async fn delete<S: Keyed>(
        &self,
        diags: &mut Diagnostics,
        client: &Client,
        prior: &S,
    ) -> Option<()> {
        let [tenant, id] = self.keys(diags, prior)?;
        let deleted = client.delete(&self.path(&tenant, &id)).await;
        let (removal, noun) = (self.removal, self.noun);
        answered(
            diags,
            format_args!("{removal} {noun} `{id}` of tenant `{tenant}`"),
            deleted,
        )
    }

    /// The state an import id `tenant_slug/{noun}_id` stands for.
    pub fn import<S: Keyed>(&self, diags: &mut Diagnostics, id: &str) -> Option<S> {
        let shape = format!("tenant_slug/{}_id", self.noun);
        let [tenant, id] = import_parts(diags, id, &shape)?;
        Some(S::at(tenant, id))
    }
}

/// A state of an object of a tenant's directory, which its resource
/// (`Directory`) creates and changes with the same body, and its data
/// source (`DirectoryData`) finds by `id` or by another attribute.
pub trait DirectoryObject: Keyed + Serialize + DeserializeOwned + Send + Sync + 'static {
    const KIND: InTenant;
    /// What the resource's and the data source's schemas say of them.
    const DESCRIPTION: &'static str;
    const DATA_DESCRIPTION: &'static str;
    /// The attribute the data source finds the object by when `id` is not
    /// set, its description, and whether the match ignores case.
    const BY: &'static str;
    const BY_DESCRIPTION: &'static str;
    const BY_IGNORES_CASE: bool;

    /// The value of `BY`.
    fn by(&self) -> &Value<String>;

    /// The attributes after `id`, `tenant` and `BY`, as the resource has
    /// them or (`data_source`) as the data source does.
    fn more_attributes(data_source: bool) -> Vec<(&'static str, Attribute)>;

    /// The writable fields as the REST API takes them (`null` clears).
    fn body(&self) -> Json;

    /// What the provider adds to a plan of `config` (defaults of
    /// attributes left out); nothing unless the object says so.
    fn with_defaults(self, _config: &Self) -> Self {
        self
    }
}

/// The attributes of a directory object in its resource or
/// (`data_source`) its data source, where `id` or `BY` is configured and
/// the rest is read.
pub fn attributes<S: DirectoryObject>(data_source: bool) -> Vec<(&'static str, Attribute)> {
    let noun = S::KIND.noun;
    let (id, by) = if data_source {
        (OptionalComputed, OptionalComputed)
    } else {
        (Computed, Required)
    };
    let mut attributes = vec![
        ("id", string(id, &format!("The {noun}'s id (a UUID)."))),
        (
            "tenant",
            string(
                Required,
                &format!(
                    "The slug of the tenant the {noun} belongs to. Changing it replaces the {noun}."
                ),
            ),
        ),
        (S::BY, string(by, S::BY_DESCRIPTION)),
    ];
    attributes.extend(S::more_attributes(data_source));
    attributes
}

/// The resource of a `DirectoryObject`; changing its tenant replaces it.
pub struct Directory<S> {
    shared: Handle,
    object: PhantomData<fn() -> S>,
}

impl<S> Directory<S> {
    pub fn new(shared: Handle) -> Directory<S> {
        Directory {
            shared,
            object: PhantomData,
        }
    }
}

#[async_trait]
impl<S: DirectoryObject> Managed for Directory<S> {
    type State = S;

    fn schema(&self) -> Option<Schema> {
        schema(S::DESCRIPTION, attributes::<S>(false))
    }

    async fn read(&self, diags: &mut Diagnostics, state: S) -> Option<S> {
        let client = self.shared.client(diags)?;
        let object = S::KIND.fetch(diags, &client, &state).await?;
        Some(state.filled(&object))
    }

    fn plan_create(&self, proposed: S, config: &S) -> S {
        let mut planned = proposed;
        planned.set_id(Value::Unknown);
        planned.with_defaults(config)
    }

    fn plan_update(&self, prior: &S, proposed: S, config: &S) -> (S, Vec<AttributePath>) {
        let planned = proposed.with_defaults(config);
        let replace = changed("tenant", prior.tenant(), planned.tenant());
        (planned, replace.into_iter().collect())
    }

    async fn create(&self, diags: &mut Diagnostics, planned: S) -> Option<S> {
        let client = self.shared.client(diags)?;
        let body = planned.body();
        let object = S::KIND.create(diags, &client, &planned, &body).await?;
        Some(planned.filled(&object))
    }

    async fn update(&self, diags: &mut Diagnostics, prior: S, planned: S) -> Option<S> {
        let client = self.shared.client(diags)?;
        let body = planned.body();
        let object = S::KIND
            .update(diags, &client, &prior, &planned, &body)
            .await?;
        Some(planned.filled(&object))
    }

    async fn destroy(&self, diags: &mut Diagnostics, prior: S) -> Option<()> {
        let client = self.shared.client(diags)?;
        S::KIND.delete(diags, &client, &prior).await
    }

    fn import(&self, diags: &mut Diagnostics, id: String) -> Option<S> {
        S::KIND.import(diags, &id)
    }
}
