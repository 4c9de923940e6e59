//! One SCIM request from token to request log: who is calling, the
//! operation named by its path and method, the tenant's provider running it,
//! the answer rendered, and a line in the tenant's SCIM request log.

use std::time::Instant;

use latchkey_tenants::scim::{RequestLogEntry, ResourceKind, ScimProvider};
use latchkey_tenants::tokens::{Principal, TokenKind};
use latchkey_tenants::{Actor, Error, TenantScope};
use poem::Request;
use serde_json::Value;

use super::call::Call;
use super::reply::{ScimBody, ScimReply, ScimResponse, ScimToken};
use super::{bulk, create, delete, discovery, get, list, patch, replace};
use crate::request_id::current_request_id;
use crate::state::AppState;

/// What a request asks of the tenant's provider, from its path and method.
#[derive(Debug, Clone)]
pub enum Operation {
    ServiceProviderConfig,
    ResourceTypes,
    ResourceType(String),
    Schemas,
    Schema(String),
    Bulk,
    SearchAll,
    List(ResourceKind),
    Search(ResourceKind),
    Create(ResourceKind),
    Get(ResourceKind, String),
    Replace(ResourceKind, String),
    Patch(ResourceKind, String),
    Delete(ResourceKind, String),
}

/// Runs `operation` on `provider`.
pub async fn run(
    provider: &ScimProvider<'_>,
    operation: &Operation,
    call: &Call,
    max_payload: usize,
) -> Result<ScimResponse, Error> {
    match operation {
        Operation::ServiceProviderConfig => {
            Ok(discovery::service_provider_config(provider, max_payload))
        }
        Operation::ResourceTypes => Ok(discovery::resource_types(provider)),
        Operation::ResourceType(name) => discovery::resource_type(provider, name),
        Operation::Schemas => Ok(discovery::schemas(provider)),
        Operation::Schema(id) => discovery::schema(provider, id),
        Operation::Bulk => bulk::run(provider, call.body()?).await,
        Operation::SearchAll => list::search_all(provider, call.body()?).await,
        Operation::List(kind) => list::run(provider, *kind, call).await,
        Operation::Search(kind) => list::search(provider, *kind, call).await,
        Operation::Create(kind) => create::run(provider, *kind, call).await,
        Operation::Get(kind, id) => get::run(provider, *kind, id, call).await,
        Operation::Replace(kind, id) => replace::run(provider, *kind, id, call).await,
        Operation::Patch(kind, id) => patch::run(provider, *kind, id, call).await,
        Operation::Delete(kind, id) => delete::run(provider, *kind, id, call).await,
    }
}

/// Who is provisioning, for the request log.
enum Caller {
    Known {
        scope: TenantScope,
        token: String,
    },
    /// The tenant exists and the request is refused; `token` names the
    /// caller in the log (`unauthenticated` when the token opened nothing).
    Refused {
        tenant: latchkey_tenants::TenantId,
        token: String,
        error: Error,
    },
    /// No such tenant (or one this token must not learn about): nothing to log into.
    Unknown(Error),
}

impl AppState {
    /// A SCIM token of this tenant, or a platform token. A tenant admin
    /// token is refused: SCIM clients get tokens that can do nothing else.
    ///
    /// The token is checked before the tenant is looked up, so a caller
    /// without a valid token learns nothing about which tenants exist; the
    /// refusal is still logged in the tenant's request log when it exists.
    async fn scim_caller(&self, auth: &ScimToken, slug: &str) -> Caller {
        let authenticated = self.store.authenticate(&auth.0.token).await;
        let tenant = match self.store.tenants().get(slug).await {
            Ok(t) => t,
            Err(e) => {
                return Caller::Unknown(match authenticated {
                    Err(auth_error) => auth_error,
                    Ok(_) => e,
                });
            }
        };
        let principal = match authenticated {
            Ok(p) => p,
            Err(error) => {
                return Caller::Refused {
                    tenant: tenant.id,
                    token: "unauthenticated".into(),
                    error,
                };
            }
        };
        if let Principal::Tenant {
            tenant_id, kind, ..
        } = &principal
        {
            if *tenant_id != tenant.id {
                return Caller::Unknown(Error::NotFound(latchkey_tenants::error::Resource::Tenant));
            }
            if *kind != TokenKind::Scim {
                return Caller::Refused {
                    tenant: tenant.id,
                    token: principal.actor_id(),
                    error: Error::InsufficientScope("scim"),
                };
            }
        }
        tracing::Span::current().record("tenant", tenant.slug.as_str());
        if let Err(error) = tenant.ensure_usable() {
            return Caller::Refused {
                tenant: tenant.id,
                token: principal.actor_id(),
                error,
            };
        }
        let actor = Actor {
            id: principal.actor_id(),
            request_id: current_request_id().unwrap_or_default(),
        };
        Caller::Known {
            token: actor.id.clone(),
            scope: self.store.tenant(tenant, actor),
        }
    }

    fn scim_base(&self, slug: &str) -> String {
        format!("{}/t/{slug}/scim/v2", self.public_url)
    }

    /// One SCIM request: the caller authenticated, `operation` run on the
    /// tenant's provider, the answer rendered and logged.
    pub(super) async fn scim(
        &self,
        auth: ScimToken,
        slug: &str,
        req: &Request,
        operation: Operation,
        mut call: Call,
        body: Option<ScimBody>,
    ) -> ScimReply {
        let started = Instant::now();
        let parsed_body: Option<Result<Value, String>> = body
            .filter(|b| !b.0.iter().all(u8::is_ascii_whitespace))
            .map(|b| serde_json::from_slice::<Value>(&b.0).map_err(|e| e.to_string()));
        let logged_body = match &parsed_body {
            Some(Ok(v)) => Some(v.clone()),
            Some(Err(_)) => Some(Value::String("<not JSON>".into())),
            None => None,
        };
        let (tenant_for_log, token, outcome) = match self.scim_caller(&auth, slug).await {
            Caller::Unknown(e) => (None, String::new(), Err(e)),
            Caller::Refused {
                tenant,
                token,
                error,
            } => (Some(tenant), token, Err(error)),
            Caller::Known { scope, token } => {
                let outcome = match parsed_body {
                    Some(Err(e)) => Err(Error::scim(
                        latchkey_tenants::error::ScimError::InvalidSyntax,
                        format!("the body is not JSON: {e}"),
                    )),
                    other => {
                        call.query = req.params::<Vec<(String, String)>>().unwrap_or_default();
                        call.body = other.and_then(Result::ok);
                        let provider = scope.scim(self.scim_base(slug));
                        run(&provider, &operation, &call, self.max_body_bytes).await
                    }
                };
                (Some(scope.tenant().id), token, outcome)
            }
        };
        let (response, scim_type, detail) = match outcome {
            Ok(resp) => (resp, None, None),
            Err(e) => {
                let (resp, scim_type, detail) = ScimResponse::failure(e);
                (resp, scim_type, Some(detail))
            }
        };
        if let Some(tenant_id) = tenant_for_log {
            self.store.log_scim_request(RequestLogEntry {
                tenant_id,
                token_id: token,
                method: req.method().as_str().to_owned(),
                path: logged_path(req, slug),
                status: response.status.as_u16(),
                scim_type: scim_type.map(str::to_owned),
                detail,
                duration: started.elapsed(),
                request_id: current_request_id().unwrap_or_default(),
                body: logged_body,
            });
        }
        ScimReply(response.render())
    }
}

/// The request's path below the tenant's SCIM base, with its query as sent.
fn logged_path(req: &Request, slug: &str) -> String {
    let path = req.uri().path();
    let below = path
        .strip_prefix(&format!("/t/{slug}/scim/v2"))
        .unwrap_or(path);
    match req.uri().query() {
        Some(q) if !q.is_empty() => format!("{below}?{q}"),
        _ => below.to_owned(),
    }
}
