//! The plugin protocol's resource calls, said once. A resource says only
//! what is its own (`Managed`); `Protocol` answers Terraform for it. The
//! only private state is whether an object came from an import (`Origin`);
//! no resource reads provider meta.

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tf_provider::schema::Schema;
use tf_provider::value::ValueEmpty;
use tf_provider::{AttributePath, Diagnostics, Resource};

/// What Terraform keeps privately with an object: whether an import made
/// it and no apply has changed it since. An import reads back only what the
/// server stores, so arguments the server does not keep (a rotation's
/// `triggers`) are not known to the state until an apply adopts them.
/// Objects of older provider versions have no private state: `None`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Origin {
    pub imported: bool,
}

fn imported(private: &Option<Origin>) -> bool {
    private.is_some_and(|o| o.imported)
}

#[async_trait]
pub trait Managed: Send + Sync {
    type State: Serialize + DeserializeOwned + Send;

    fn schema(&self) -> Option<Schema>;

    /// The object as the server has it now; `None` when it is gone, and
    /// Terraform plans its re-creation.
    async fn read(&self, diags: &mut Diagnostics, state: Self::State) -> Option<Self::State>;

    /// The planned state of a new object: what the server computes is
    /// unknown until it is created.
    fn plan_create(&self, proposed: Self::State, config: &Self::State) -> Self::State;

    /// The planned state of a change, and the attributes whose change
    /// replaces the object.
    fn plan_update(
        &self,
        prior: &Self::State,
        proposed: Self::State,
        config: &Self::State,
    ) -> (Self::State, Vec<AttributePath>);

    /// The planned state of a change to an imported object that no apply
    /// has changed yet. By default the same as any change: only a resource
    /// with arguments the server does not store needs to adopt them.
    fn plan_adoption(
        &self,
        prior: &Self::State,
        proposed: Self::State,
        config: &Self::State,
    ) -> (Self::State, Vec<AttributePath>) {
        self.plan_update(prior, proposed, config)
    }

    async fn create(&self, diags: &mut Diagnostics, planned: Self::State) -> Option<Self::State>;

    /// By default every argument forces a replacement: there is nothing to
    /// update.
    async fn update(
        &self,
        _diags: &mut Diagnostics,
        _prior: Self::State,
        planned: Self::State,
    ) -> Option<Self::State> {
        Some(planned)
    }

    async fn destroy(&self, diags: &mut Diagnostics, prior: Self::State) -> Option<()>;

    fn import(&self, diags: &mut Diagnostics, id: String) -> Option<Self::State>;
}

/// A `Managed` resource as tf-provider serves it.
pub struct Protocol<M>(pub M);

#[async_trait]
impl<M: Managed> Resource for Protocol<M> {
    type State<'a> = M::State;
    type PrivateState<'a> = Option<Origin>;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        self.0.schema()
    }

    async fn read<'a>(
        &self,
        diags: &mut Diagnostics,
        state: M::State,
        private: Option<Origin>,
        _meta: ValueEmpty,
    ) -> Option<(M::State, Option<Origin>)> {
        Some((self.0.read(diags, state).await?, private))
    }

    async fn plan_create<'a>(
        &self,
        _diags: &mut Diagnostics,
        proposed: M::State,
        config: M::State,
        _meta: ValueEmpty,
    ) -> Option<(M::State, Option<Origin>)> {
        Some((self.0.plan_create(proposed, &config), None))
    }

    async fn plan_update<'a>(
        &self,
        _diags: &mut Diagnostics,
        prior: M::State,
        proposed: M::State,
        config: M::State,
        private: Option<Origin>,
        _meta: ValueEmpty,
    ) -> Option<(M::State, Option<Origin>, Vec<AttributePath>)> {
        let (planned, replace) = if imported(&private) {
            self.0.plan_adoption(&prior, proposed, &config)
        } else {
            self.0.plan_update(&prior, proposed, &config)
        };
        Some((planned, private, replace))
    }

    async fn plan_destroy<'a>(
        &self,
        _diags: &mut Diagnostics,
        _prior: M::State,
        private: Option<Origin>,
        _meta: ValueEmpty,
    ) -> Option<Option<Origin>> {
        Some(private)
    }

    async fn create<'a>(
        &self,
        diags: &mut Diagnostics,
        planned: M::State,
        _config: M::State,
        _private: Option<Origin>,
        _meta: ValueEmpty,
    ) -> Option<(M::State, Option<Origin>)> {
        Some((self.0.create(diags, planned).await?, None))
    }

    async fn update<'a>(
        &self,
        diags: &mut Diagnostics,
        prior: M::State,
        planned: M::State,
        _config: M::State,
        _private: Option<Origin>,
        _meta: ValueEmpty,
    ) -> Option<(M::State, Option<Origin>)> {
        // An apply has changed the object: what it adopted is now known.
        Some((self.0.update(diags, prior, planned).await?, None))
    }

    async fn destroy<'a>(
        &self,
        diags: &mut Diagnostics,
        prior: M::State,
        _private: Option<Origin>,
        _meta: ValueEmpty,
    ) -> Option<()> {
        self.0.destroy(diags, prior).await
    }

    async fn import<'a>(
        &self,
        diags: &mut Diagnostics,
        id: String,
    ) -> Option<(M::State, Option<Origin>)> {
        Some((self.0.import(diags, id)?, Some(Origin { imported: true })))
    }
}
