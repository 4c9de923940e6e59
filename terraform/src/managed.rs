//! The plugin protocol's resource calls, said once. A resource says only
//! what is its own (`Managed`); `Protocol` answers Terraform for it. None of
//! our resources keeps a private state or reads provider meta.

use async_trait::async_trait;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tf_provider::schema::Schema;
use tf_provider::value::ValueEmpty;
use tf_provider::{AttributePath, Diagnostics, Resource};

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
    type PrivateState<'a> = ValueEmpty;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        self.0.schema()
    }

    async fn read<'a>(
        &self,
        diags: &mut Diagnostics,
        state: M::State,
        private: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<(M::State, ValueEmpty)> {
        Some((self.0.read(diags, state).await?, private))
    }

    async fn plan_create<'a>(
        &self,
        _diags: &mut Diagnostics,
        proposed: M::State,
        config: M::State,
        _meta: ValueEmpty,
    ) -> Option<(M::State, ValueEmpty)> {
        Some((self.0.plan_create(proposed, &config), ValueEmpty::Null))
    }

    async fn plan_update<'a>(
        &self,
        _diags: &mut Diagnostics,
        prior: M::State,
        proposed: M::State,
        config: M::State,
        private: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<(M::State, ValueEmpty, Vec<AttributePath>)> {
        let (planned, replace) = self.0.plan_update(&prior, proposed, &config);
        Some((planned, private, replace))
    }

    async fn plan_destroy<'a>(
        &self,
        _diags: &mut Diagnostics,
        _prior: M::State,
        private: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<ValueEmpty> {
        Some(private)
    }

    async fn create<'a>(
        &self,
        diags: &mut Diagnostics,
        planned: M::State,
        _config: M::State,
        private: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<(M::State, ValueEmpty)> {
        Some((self.0.create(diags, planned).await?, private))
    }

    async fn update<'a>(
        &self,
        diags: &mut Diagnostics,
        prior: M::State,
        planned: M::State,
        _config: M::State,
        private: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<(M::State, ValueEmpty)> {
        Some((self.0.update(diags, prior, planned).await?, private))
    }

    async fn destroy<'a>(
        &self,
        diags: &mut Diagnostics,
        prior: M::State,
        _private: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<()> {
        self.0.destroy(diags, prior).await
    }

    async fn import<'a>(
        &self,
        diags: &mut Diagnostics,
        id: String,
    ) -> Option<(M::State, ValueEmpty)> {
        Some((self.0.import(diags, id)?, ValueEmpty::Null))
    }
}
