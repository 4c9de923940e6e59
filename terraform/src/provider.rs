//! The provider block: `endpoint` and `token`, falling back to
//! `LATCHKEY_ENDPOINT` and `LATCHKEY_TOKEN`.

use std::collections::HashMap;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_provider::schema::{AttributeConstraint::*, Schema};
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{
    AttributePath, DataSource, Diagnostics, DynamicDataSource, DynamicResource, Provider,
};

use crate::client::Client;
use crate::common::{Handle, schema, string};
use crate::data_sources::{DirectoryData, JwksData, TenantData};
use crate::group::GroupState;
use crate::in_tenant::Directory;
use crate::managed::{Managed, Protocol};
use crate::member::MemberResource;
use crate::rotation::RotationResource;
use crate::tenant::TenantResource;
use crate::token::TokenResource;
use crate::user::UserState;

pub const ENDPOINT_VAR: &str = "LATCHKEY_ENDPOINT";
pub const TOKEN_VAR: &str = "LATCHKEY_TOKEN";

#[derive(Default)]
pub struct LatchkeyProvider {
    shared: Handle,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ProviderConfig {
    pub endpoint: Value<String>,
    pub token: Value<String>,
}

/// The configured value, else the environment variable, else an error
/// diagnostic on the attribute.
fn setting(
    diags: &mut Diagnostics,
    value: &Value<String>,
    name: &'static str,
    var: &str,
) -> Option<String> {
    match value {
        Value::Value(v) if !v.is_empty() => return Some(v.clone()),
        Value::Unknown => {
            diags.error(
                format!("Latchkey: `{name}` is not known yet"),
                "The provider must be configured with values known before apply.",
                AttributePath::new(name),
            );
            return None;
        }
        _ => {}
    }
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Some(v),
        _ => {
            diags.error(
                format!("Latchkey: no `{name}`"),
                format!("Set `{name}` in the provider block or the {var} environment variable."),
                AttributePath::new(name),
            );
            None
        }
    }
}

fn resource<M: Managed + 'static>(m: M) -> Box<dyn DynamicResource> {
    Box::new(Protocol(m))
}

fn data<D: DataSource + 'static>(d: D) -> Box<dyn DynamicDataSource> {
    Box::new(d)
}

#[async_trait]
impl Provider for LatchkeyProvider {
    type Config<'a> = ProviderConfig;
    type MetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        let mut token = string(
            Optional,
            "A platform token (`lkp_…`) to manage tenants and everything in them, or a tenant token (`lkt_…`, scope `admin`) to manage one tenant's directory. Falls back to `LATCHKEY_TOKEN`.",
        );
        token.sensitive = true;
        schema(
            "The Latchkey provider manages tenants, users, groups, memberships, API tokens and signing keys over Latchkey's REST API.",
            vec![
                (
                    "endpoint",
                    string(
                        Optional,
                        "The base URL of the Latchkey server, e.g. `https://id.example.com`. Falls back to `LATCHKEY_ENDPOINT`.",
                    ),
                ),
                ("token", token),
            ],
        )
    }

    async fn configure<'a>(
        &self,
        diags: &mut Diagnostics,
        _terraform_version: String,
        config: ProviderConfig,
    ) -> Option<()> {
        let endpoint = setting(diags, &config.endpoint, "endpoint", ENDPOINT_VAR);
        let token = setting(diags, &config.token, "token", TOKEN_VAR);
        let (endpoint, token) = (endpoint?, token?);
        match Client::new(&endpoint, &token) {
            Ok(client) => {
                self.shared.set(client);
                Some(())
            }
            Err(e) => {
                diags.error(
                    "Latchkey: invalid endpoint",
                    e,
                    AttributePath::new("endpoint"),
                );
                None
            }
        }
    }

    fn get_resources(
        &self,
        _diags: &mut Diagnostics,
    ) -> Option<HashMap<String, Box<dyn DynamicResource>>> {
        let shared = || self.shared.clone();
        Some(HashMap::from([
            (
                "tenant".to_owned(),
                resource(TenantResource { shared: shared() }),
            ),
            (
                "user".to_owned(),
                resource(Directory::<UserState>::new(shared())),
            ),
            (
                "group".to_owned(),
                resource(Directory::<GroupState>::new(shared())),
            ),
            (
                "group_member".to_owned(),
                resource(MemberResource { shared: shared() }),
            ),
            (
                "api_token".to_owned(),
                resource(TokenResource { shared: shared() }),
            ),
            (
                "signing_key_rotation".to_owned(),
                resource(RotationResource { shared: shared() }),
            ),
        ]))
    }

    fn get_data_sources(
        &self,
        _diags: &mut Diagnostics,
    ) -> Option<HashMap<String, Box<dyn DynamicDataSource>>> {
        let shared = || self.shared.clone();
        Some(HashMap::from([
            ("tenant".to_owned(), data(TenantData { shared: shared() })),
            (
                "user".to_owned(),
                data(DirectoryData::<UserState>::new(shared())),
            ),
            (
                "group".to_owned(),
                data(DirectoryData::<GroupState>::new(shared())),
            ),
            ("jwks".to_owned(), data(JwksData { shared: shared() })),
        ]))
    }
}
