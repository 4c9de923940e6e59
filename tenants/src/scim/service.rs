//! One SCIM request in, one SCIM response out: routing, list parameters,
//! projections, ETags and Bulk. The HTTP layer only parses and renders;
//! `/Bulk` runs its operations through this same entry point.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::filter;
use super::groups;
use super::patch::{self, MemberChange};
use super::project::Projection;
use super::query::{self, DEFAULT_COUNT, ListParams, MAX_COUNT};
use super::resource::{self, etag};
use super::schema::{self, GROUP_TYPE, ResourceType, USER_TYPE};
use super::users::{self, PasswordChange};
use crate::db::Id;
use crate::error::{Error, Resource, Result};
use crate::store::TenantScope;

/// Operations a `/Bulk` request may carry.
pub const MAX_BULK_OPERATIONS: usize = 1000;
/// A group PATCH answers with the group, members included, up to this many
/// members; beyond, the answer would cost time proportional to the group, so
/// it is `204 No Content`, as RFC 7644 §3.5.2 allows.
pub const MAX_MEMBERS_IN_PATCH_RESPONSE: i64 = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    pub fn parse(s: &str) -> Option<Method> {
        Some(match s.to_ascii_uppercase().as_str() {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone)]
pub struct ScimRequest {
    pub method: Method,
    /// The path below the SCIM base URL: `/Users/…`.
    pub path: String,
    pub query: Vec<(String, String)>,
    pub if_match: Option<String>,
    pub if_none_match: Option<String>,
    pub body: Option<Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScimResponse {
    pub status: u16,
    pub body: Option<Value>,
    pub etag: Option<String>,
    pub location: Option<String>,
}

impl ScimResponse {
    fn ok(body: Value) -> Self {
        ScimResponse {
            status: 200,
            body: Some(body),
            etag: None,
            location: None,
        }
    }

    fn status(status: u16) -> Self {
        ScimResponse {
            status,
            body: None,
            etag: None,
            location: None,
        }
    }
}

/// The SCIM error document for an error, and its status (RFC 7644 §3.12).
pub fn error_response(err: &Error) -> (u16, Value) {
    let (status, scim_type, detail): (u16, Option<&str>, String) = match err {
        Error::Scim {
            status,
            scim_type,
            detail,
        } => (*status, *scim_type, detail.clone()),
        Error::Invalid { .. } => (400, Some("invalidValue"), err.to_string()),
        Error::NotFound(_) => (404, None, err.to_string()),
        Error::Conflict { .. } => (409, Some("uniqueness"), err.to_string()),
        Error::VersionMismatch { .. } => (412, None, err.to_string()),
        Error::Unauthenticated(_) => (401, None, err.to_string()),
        Error::InsufficientScope(_)
        | Error::TenantSuspended(_)
        | Error::TenantDeleting(_)
        | Error::TenantPending(_)
        | Error::NotEntitled { .. }
        | Error::SeatsExhausted(_) => (403, None, err.to_string()),
        Error::LinkRefused(_) => (400, None, err.to_string()),
        Error::Unavailable(_) => (
            503,
            None,
            "the service cannot reach its database right now; retry later".into(),
        ),
        Error::Upstream(_) => (503, None, err.to_string()),
        Error::Config(_) | Error::Internal(_) => (
            500,
            None,
            "an internal error occurred; quote the request id when reporting it".into(),
        ),
    };
    let mut body = json!({
        "schemas": [schema::ERROR],
        "status": status.to_string(),
        "detail": detail,
    });
    if let Some(t) = scim_type {
        body["scimType"] = json!(t);
    }
    (status, body)
}

/// A tenant's SCIM service provider.
pub struct Scim<'a> {
    scope: &'a TenantScope,
    base_url: String,
    max_payload: usize,
}

impl TenantScope {
    /// `base_url`: the absolute SCIM base, e.g. `https://id.example.com/t/acme/scim/v2`.
    pub fn scim(&self, base_url: String, max_payload: usize) -> Scim<'_> {
        Scim {
            scope: self,
            base_url,
            max_payload,
        }
    }
}

fn not_found() -> Error {
    Error::Scim {
        status: 404,
        scim_type: None,
        detail: "no such resource".into(),
    }
}

fn method_not_allowed() -> Error {
    Error::Scim {
        status: 405,
        scim_type: None,
        detail: "this endpoint does not support this method".into(),
    }
}

/// The version an `If-Match` names: `W/"3"`, `"3"` or `3`; `*` names any.
fn version_of(tag: Option<&str>) -> Result<Option<i64>> {
    let Some(raw) = tag else { return Ok(None) };
    let t = raw.trim().trim_start_matches("W/").trim_matches('"');
    if t == "*" {
        return Ok(None);
    }
    t.parse::<i64>().map(Some).map_err(|_| Error::Scim {
        status: 412,
        scim_type: None,
        detail: format!("`{raw}` is not a version this server issued"),
    })
}

fn body_of(req: &ScimRequest) -> Result<&Value> {
    req.body
        .as_ref()
        .ok_or_else(|| Error::scim("invalidSyntax", "the request needs a JSON body"))
}

fn parse_id(s: &str) -> Result<Id> {
    s.parse::<uuid::Uuid>().map(Id).map_err(|_| not_found())
}

/// `argon2id` with the crate's defaults (RFC 9106's second recommendation).
fn hash_password(password: &str) -> Result<String> {
    use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
    let salt = SaltString::generate(&mut OsRng);
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(format!("password hashing: {e}")))
}

async fn hash_off_thread(password: Option<String>) -> Result<Option<String>> {
    match password {
        None => Ok(None),
        Some(p) => tokio::task::spawn_blocking(move || hash_password(&p))
            .await
            .map_err(|e| Error::Internal(format!("password hashing task: {e}")))?
            .map(Some),
    }
}

fn param<'q>(query: &'q [(String, String)], name: &str) -> Option<&'q str> {
    query
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn integer(name: &str, v: &Value) -> Result<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .ok_or_else(|| Error::scim("invalidValue", format!("`{name}` must be an integer")))
}

/// The list parameters, from a query string or a `.search` body.
fn list_params(
    rt: &'static ResourceType,
    get: impl Fn(&str) -> Option<Value>,
) -> Result<ListParams> {
    let filter = match get("filter") {
        None => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(filter::parse(&s)?),
        Some(_) => return Err(Error::scim("invalidFilter", "`filter` must be a string")),
    };
    let sort_by = match get("sortBy") {
        None => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) => {
            filter::sort_expr(rt, &s)?;
            Some(s)
        }
        Some(_) => return Err(Error::scim("invalidValue", "`sortBy` must be a string")),
    };
    let descending = match get("sortOrder") {
        None => false,
        Some(Value::String(s)) if s.eq_ignore_ascii_case("ascending") => false,
        Some(Value::String(s)) if s.eq_ignore_ascii_case("descending") => true,
        Some(_) => {
            return Err(Error::scim(
                "invalidValue",
                "`sortOrder` must be `ascending` or `descending`",
            ));
        }
    };
    // RFC 7644 §3.4.2.4: below 1 means 1; a negative count means 0.
    let start_index = get("startIndex")
        .map(|v| integer("startIndex", &v))
        .transpose()?
        .unwrap_or(1)
        .max(1);
    let count = get("count")
        .map(|v| integer("count", &v))
        .transpose()?
        .unwrap_or(DEFAULT_COUNT)
        .clamp(0, MAX_COUNT);
    Ok(ListParams {
        filter,
        sort_by,
        descending,
        start_index,
        count,
    })
}

impl Scim<'_> {
    pub async fn handle(&self, req: ScimRequest) -> Result<ScimResponse> {
        let path = req.path.trim_end_matches('/').to_owned();
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        match (segments.as_slice(), req.method) {
            (["ServiceProviderConfig"], Method::Get) => {
                Ok(ScimResponse::ok(self.service_provider_config()))
            }
            (["ServiceProviderConfig"], _) => Err(method_not_allowed()),
            (["ResourceTypes"], Method::Get) => Ok(ScimResponse::ok(
                self.list_of(
                    [&USER_TYPE, &GROUP_TYPE]
                        .iter()
                        .map(|rt| rt.to_json(&self.base_url))
                        .collect(),
                ),
            )),
            (["ResourceTypes", name], Method::Get) => [&USER_TYPE, &GROUP_TYPE]
                .iter()
                .find(|rt| rt.name.eq_ignore_ascii_case(name))
                .map(|rt| ScimResponse::ok(rt.to_json(&self.base_url)))
                .ok_or_else(not_found),
            (["ResourceTypes", ..], _) => Err(method_not_allowed()),
            (["Schemas"], Method::Get) => Ok(ScimResponse::ok(
                self.list_of(
                    schema::SCHEMAS
                        .iter()
                        .map(|s| s.to_json(&self.base_url))
                        .collect(),
                ),
            )),
            (["Schemas", id], Method::Get) => schema::SCHEMAS
                .iter()
                .find(|s| s.id.eq_ignore_ascii_case(id))
                .map(|s| ScimResponse::ok(s.to_json(&self.base_url)))
                .ok_or_else(not_found),
            (["Schemas", ..], _) => Err(method_not_allowed()),
            (["Bulk"], Method::Post) => self.bulk(body_of(&req)?).await,
            (["Bulk"], _) => Err(method_not_allowed()),
            ([".search"], Method::Post) => self.search_all(body_of(&req)?).await,
            ([".search"], _) => Err(method_not_allowed()),
            ([kind, rest @ ..], method) => {
                let rt: &'static ResourceType = if kind.eq_ignore_ascii_case("Users") {
                    &USER_TYPE
                } else if kind.eq_ignore_ascii_case("Groups") {
                    &GROUP_TYPE
                } else {
                    return Err(not_found());
                };
                self.resource(rt, rest, method, &req).await
            }
            _ => Err(not_found()),
        }
    }

    fn list_of(&self, resources: Vec<Value>) -> Value {
        json!({
            "schemas": [schema::LIST_RESPONSE],
            "totalResults": resources.len(),
            "itemsPerPage": resources.len(),
            "startIndex": 1,
            "Resources": resources,
        })
    }

    fn service_provider_config(&self) -> Value {
        json!({
            "schemas": [schema::SERVICE_PROVIDER_CONFIG],
            "documentationUri": "https://github.com/latchkey/latchkey/blob/main/docs/scim.md",
            "patch": { "supported": true },
            "bulk": {
                "supported": true,
                "maxOperations": MAX_BULK_OPERATIONS,
                "maxPayloadSize": self.max_payload,
            },
            "filter": { "supported": true, "maxResults": MAX_COUNT },
            "changePassword": { "supported": true },
            "sort": { "supported": true },
            "etag": { "supported": true },
            "authenticationSchemes": [{
                "type": "oauthbearertoken",
                "name": "Bearer token",
                "description": "A tenant SCIM token (lks_…) in the Authorization header.",
                "primary": true,
            }],
            "meta": {
                "resourceType": "ServiceProviderConfig",
                "location": format!("{}/ServiceProviderConfig", self.base_url),
            },
        })
    }

    async fn resource(
        &self,
        rt: &'static ResourceType,
        rest: &[&str],
        method: Method,
        req: &ScimRequest,
    ) -> Result<ScimResponse> {
        let projection = Projection::from_query(
            rt,
            param(&req.query, "attributes"),
            param(&req.query, "excludedAttributes"),
        )?;
        match (rest, method) {
            ([], Method::Get) => {
                let q = &req.query;
                let params = list_params(rt, |name| {
                    param(q, name).map(|v| Value::String(v.to_owned()))
                })?;
                self.list(rt, params, &projection).await
            }
            ([".search"], Method::Post) => {
                let body = body_of(req)?;
                let obj = body.as_object().ok_or_else(|| {
                    Error::scim("invalidSyntax", "a SearchRequest must be an object")
                })?;
                let get = |name: &str| {
                    obj.iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(name))
                        .map(|(_, v)| v.clone())
                        .filter(|v| !v.is_null())
                };
                let params = list_params(rt, get)?;
                let join = |v: Option<Value>| -> Result<Option<String>> {
                    match v {
                        None => Ok(None),
                        Some(Value::Array(items)) => Ok(Some(
                            items
                                .iter()
                                .filter_map(Value::as_str)
                                .collect::<Vec<_>>()
                                .join(","),
                        )),
                        Some(Value::String(s)) => Ok(Some(s)),
                        Some(_) => Err(Error::scim(
                            "invalidValue",
                            "`attributes` must be an array of strings",
                        )),
                    }
                };
                let projection = Projection::from_query(
                    rt,
                    join(get("attributes"))?.as_deref(),
                    join(get("excludedAttributes"))?.as_deref(),
                )?;
                self.list(rt, params, &projection).await
            }
            ([], Method::Post) => self.create(rt, body_of(req)?, &projection).await,
            ([id], Method::Get) => {
                let r = self.read(rt, parse_id(id)?, &projection).await?;
                // Weak comparison (RFC 9110 §13.1.2): `"1"` matches `W/"1"`.
                let weak = |t: &str| t.trim().trim_start_matches("W/").to_owned();
                if let (Some(tag), Some(current)) = (&req.if_none_match, &r.etag)
                    && tag
                        .split(',')
                        .any(|t| t.trim() == "*" || weak(t) == weak(current))
                {
                    let mut r = ScimResponse::status(304);
                    r.etag = Some(current.clone());
                    return Ok(r);
                }
                Ok(r)
            }
            ([id], Method::Put) => {
                let expected = version_of(req.if_match.as_deref())?;
                self.put(rt, parse_id(id)?, body_of(req)?, expected, &projection)
                    .await
            }
            ([id], Method::Patch) => {
                let expected = version_of(req.if_match.as_deref())?;
                self.patch(rt, parse_id(id)?, body_of(req)?, expected, &projection, req)
                    .await
            }
            ([id], Method::Delete) => {
                let expected = version_of(req.if_match.as_deref())?;
                self.delete(rt, parse_id(id)?, expected).await
            }
            ([_] | [], _) => Err(method_not_allowed()),
            _ => Err(not_found()),
        }
    }

    fn location(&self, rt: &ResourceType, id: Id) -> String {
        format!("{}{}/{id}", self.base_url, rt.endpoint)
    }

    fn render(
        &self,
        rt: &'static ResourceType,
        doc: Value,
        version: i64,
        id: Id,
        projection: &Projection,
        status: u16,
    ) -> ScimResponse {
        ScimResponse {
            status,
            body: Some(projection.apply(rt, doc)),
            etag: Some(etag(version)),
            location: Some(self.location(rt, id)),
        }
    }

    async fn read(
        &self,
        rt: &'static ResourceType,
        id: Id,
        projection: &Projection,
    ) -> Result<ScimResponse> {
        let base = self.base_url.clone();
        if rt.name == "User" {
            let with_groups = projection.wants("groups");
            let user = self
                .scope
                .read(move |tx| users::get(tx, id, with_groups))
                .await?;
            Ok(self.render(rt, user.to_json(&base), user.version, id, projection, 200))
        } else {
            let members = projection.wants("members").then_some(i64::MAX);
            let group = self
                .scope
                .read(move |tx| groups::get(tx, id, members))
                .await?;
            Ok(self.render(rt, group.to_json(&base), group.version, id, projection, 200))
        }
    }

    async fn list(
        &self,
        rt: &'static ResourceType,
        params: ListParams,
        projection: &Projection,
    ) -> Result<ScimResponse> {
        let start = params.start_index;
        let (resources, total) = self.page(rt, params, projection).await?;
        Ok(ScimResponse::ok(json!({
            "schemas": [schema::LIST_RESPONSE],
            "totalResults": total,
            "itemsPerPage": resources.len(),
            "startIndex": start,
            "Resources": resources,
        })))
    }

    /// One page of one resource type, projected, and the total.
    async fn page(
        &self,
        rt: &'static ResourceType,
        params: ListParams,
        projection: &Projection,
    ) -> Result<(Vec<Value>, i64)> {
        let cache = self.scope.store.inner.scim_pages.clone();
        let base = self.base_url.clone();
        let with_extra = projection.wants(if rt.name == "User" {
            "groups"
        } else {
            "members"
        });
        let (docs, total) = self
            .scope
            .read(move |tx| {
                let found = query::list(tx, rt, &params, &cache)?;
                let docs: Vec<Value> = if rt.name == "User" {
                    users::load(tx, &found.ids, with_extra)?
                        .iter()
                        .map(|u| u.to_json(&base))
                        .collect()
                } else {
                    groups::load(tx, &found.ids, with_extra.then_some(i64::MAX))?
                        .iter()
                        .map(|g| g.to_json(&base))
                        .collect()
                };
                Ok((docs, found.total))
            })
            .await?;
        let resources: Vec<Value> = docs.into_iter().map(|d| projection.apply(rt, d)).collect();
        Ok((resources, total))
    }

    /// `POST /.search` (RFC 7644 §3.4.3): Users, then Groups, as one list.
    /// A type whose schema lacks an attribute the filter or the sort names
    /// contributes nothing; a filter that no type can answer is an error.
    async fn search_all(&self, body: &Value) -> Result<ScimResponse> {
        let obj = body
            .as_object()
            .ok_or_else(|| Error::scim("invalidSyntax", "a SearchRequest must be an object"))?;
        let get = |name: &str| {
            obj.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
                .filter(|v| !v.is_null())
        };
        let list = |name: &str| -> String {
            match get(name) {
                Some(Value::Array(items)) => items
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(","),
                Some(Value::String(s)) => s,
                _ => String::new(),
            }
        };
        let (attributes, excluded) = (list("attributes"), list("excludedAttributes"));
        let mut first_error = None;
        let mut answered = 0;
        let mut resources = Vec::new();
        let mut total = 0;
        let mut start = None;
        let (mut skip, mut remaining) = (0, 0);
        for rt in [&USER_TYPE, &GROUP_TYPE] {
            let mut params = match list_params(rt, get) {
                Ok(p) => p,
                Err(e) => {
                    first_error.get_or_insert(e);
                    continue;
                }
            };
            if start.is_none() {
                start = Some(params.start_index);
                skip = params.start_index - 1;
                remaining = params.count;
            }
            let projection = Projection::lenient(rt, &attributes, &excluded);
            let counted = ListParams {
                start_index: 1,
                count: 0,
                ..params.clone()
            };
            let of_type = match self.page(rt, counted, &projection).await {
                Ok((_, n)) => n,
                Err(e @ Error::Scim { .. }) => {
                    first_error.get_or_insert(e);
                    continue;
                }
                Err(e) => return Err(e),
            };
            answered += 1;
            total += of_type;
            if remaining > 0 && skip < of_type {
                params.start_index = skip + 1;
                params.count = remaining;
                let (page, _) = self.page(rt, params, &projection).await?;
                remaining -= i64::try_from(page.len()).unwrap_or(remaining);
                resources.extend(page);
                skip = 0;
            } else {
                skip -= skip.min(of_type);
            }
        }
        if answered == 0 {
            return Err(first_error.unwrap_or_else(not_found));
        }
        Ok(ScimResponse::ok(json!({
            "schemas": [schema::LIST_RESPONSE],
            "totalResults": total,
            "itemsPerPage": resources.len(),
            "startIndex": start.unwrap_or(1),
            "Resources": resources,
        })))
    }

    async fn create(
        &self,
        rt: &'static ResourceType,
        body: &Value,
        projection: &Projection,
    ) -> Result<ScimResponse> {
        let base = self.base_url.clone();
        if rt.name == "User" {
            let mut input = resource::user_from_json(body)?;
            let hash = hash_off_thread(input.password.take()).await?;
            let user = self
                .scope
                .write_statement(move |tx| {
                    let has_password = hash.is_some();
                    let id = users::insert(tx, &input, hash)?;
                    users::inserted(tx, id, input, has_password)
                })
                .await
                .map_err(uniqueness)?;
            Ok(self.render(
                rt,
                user.to_json(&base),
                user.version,
                user.id,
                projection,
                201,
            ))
        } else {
            let input = resource::group_from_json(body)?;
            let group = self
                .scope
                .write(move |tx| {
                    let id = groups::insert(tx, &input)?;
                    groups::get(tx, id, Some(i64::MAX))
                })
                .await
                .map_err(uniqueness)?;
            Ok(self.render(
                rt,
                group.to_json(&base),
                group.version,
                group.id,
                projection,
                201,
            ))
        }
    }

    async fn put(
        &self,
        rt: &'static ResourceType,
        id: Id,
        body: &Value,
        expected: Option<i64>,
        projection: &Projection,
    ) -> Result<ScimResponse> {
        let base = self.base_url.clone();
        if rt.name == "User" {
            let mut input = resource::user_from_json(body)?;
            let password = match hash_off_thread(input.password.take()).await? {
                Some(h) => PasswordChange::Set(h),
                None => PasswordChange::Keep,
            };
            let user = self
                .scope
                .write(move |tx| {
                    users::replace(tx, id, &input, password, expected)?;
                    users::get(tx, id, true)
                })
                .await
                .map_err(uniqueness)?;
            Ok(self.render(rt, user.to_json(&base), user.version, id, projection, 200))
        } else {
            let mut input = resource::group_from_json(body)?;
            // A PUT replaces the whole group (RFC 7644 §3.5.1): no `members`
            // means no members.
            input.members.get_or_insert_with(Vec::new);
            let group = self
                .scope
                .write(move |tx| {
                    groups::update(tx, id, &input, &[], expected)?;
                    groups::get(tx, id, Some(i64::MAX))
                })
                .await
                .map_err(uniqueness)?;
            Ok(self.render(rt, group.to_json(&base), group.version, id, projection, 200))
        }
    }

    async fn patch(
        &self,
        rt: &'static ResourceType,
        id: Id,
        body: &Value,
        expected: Option<i64>,
        projection: &Projection,
        req: &ScimRequest,
    ) -> Result<ScimResponse> {
        let ops = patch_operations(body)?;
        let base = self.base_url.clone();
        if rt.name == "User" {
            let user = self
                .scope
                .write(move |tx| {
                    let current = users::get(tx, id, false)?;
                    if let Some(e) = expected
                        && e != current.version
                    {
                        return Err(Error::VersionMismatch {
                            current: current.version,
                        });
                    }
                    let mut doc = current.to_json(&base);
                    patch::apply(rt, &mut doc, &ops, false)?;
                    let mut input = resource::user_from_json(&doc)?;
                    let password = match input.password.take() {
                        Some(p) => PasswordChange::Set(hash_password(&p)?),
                        None => PasswordChange::Keep,
                    };
                    users::replace(tx, id, &input, password, Some(current.version))?;
                    users::get(tx, id, true)
                })
                .await
                .map_err(uniqueness)?;
            let base = self.base_url.clone();
            Ok(self.render(rt, user.to_json(&base), user.version, id, projection, 200))
        } else {
            let explicit = param(&req.query, "attributes").is_some()
                || param(&req.query, "excludedAttributes").is_some();
            let want_members = projection.wants("members");
            let limit = if explicit {
                i64::MAX
            } else {
                MAX_MEMBERS_IN_PATCH_RESPONSE + 1
            };
            let group = self
                .scope
                .write(move |tx| {
                    let current = groups::get(tx, id, None)?;
                    if let Some(e) = expected
                        && e != current.version
                    {
                        return Err(Error::VersionMismatch {
                            current: current.version,
                        });
                    }
                    let mut doc = current.to_json(&base);
                    let changes: Vec<MemberChange> = patch::apply(rt, &mut doc, &ops, true)?;
                    let mut input = resource::group_from_json(&doc)?;
                    input.members = None;
                    groups::update(tx, id, &input, &changes, Some(current.version))?;
                    groups::get(tx, id, want_members.then_some(limit))
                })
                .await
                .map_err(uniqueness)?;
            let too_many = group.members.as_ref().is_some_and(|m| {
                i64::try_from(m.len()).unwrap_or(i64::MAX) > MAX_MEMBERS_IN_PATCH_RESPONSE
            });
            if too_many && !explicit {
                let mut r = ScimResponse::status(204);
                r.etag = Some(etag(group.version));
                return Ok(r);
            }
            let base = self.base_url.clone();
            Ok(self.render(rt, group.to_json(&base), group.version, id, projection, 200))
        }
    }

    async fn delete(
        &self,
        rt: &'static ResourceType,
        id: Id,
        expected: Option<i64>,
    ) -> Result<ScimResponse> {
        if rt.name == "User" {
            self.scope
                .write(move |tx| crate::directory::users::delete_user(tx, id, expected))
                .await?;
        } else {
            self.scope
                .write(move |tx| crate::directory::groups::delete_group(tx, id, expected))
                .await?;
        }
        Ok(ScimResponse::status(204))
    }

    /// RFC 7644 §3.7: operations in order, `bulkId` references resolved to
    /// the ids created before them, stopping after `failOnErrors` errors.
    /// Each operation is its own transaction, as each would be on its own.
    async fn bulk(&self, body: &Value) -> Result<ScimResponse> {
        let obj = body
            .as_object()
            .ok_or_else(|| Error::scim("invalidSyntax", "a BulkRequest must be an object"))?;
        let get = |name: &str| {
            obj.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        };
        let ops = get("Operations").and_then(Value::as_array).ok_or_else(|| {
            Error::scim("invalidSyntax", "a BulkRequest needs an `Operations` array")
        })?;
        if ops.len() > MAX_BULK_OPERATIONS {
            return Err(Error::Scim {
                status: 413,
                scim_type: Some("tooMany"),
                detail: format!(
                    "a bulk request may carry at most {MAX_BULK_OPERATIONS} operations"
                ),
            });
        }
        let fail_on_errors = match get("failOnErrors") {
            None | Some(Value::Null) => None,
            Some(v) => Some(integer("failOnErrors", v)?.max(1)),
        };
        let mut created: HashMap<String, String> = HashMap::new();
        let mut results = Vec::with_capacity(ops.len());
        let mut errors = 0;
        for op in ops {
            if fail_on_errors.is_some_and(|n| errors >= n) {
                break;
            }
            let (result, failed) = self.bulk_operation(op, &mut created).await;
            if failed {
                errors += 1;
            }
            results.push(result);
        }
        Ok(ScimResponse::ok(json!({
            "schemas": [schema::BULK_RESPONSE],
            "Operations": results,
        })))
    }

    async fn bulk_operation(
        &self,
        op: &Value,
        created: &mut HashMap<String, String>,
    ) -> (Value, bool) {
        let field = |name: &str| {
            op.as_object()
                .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
                .map(|(_, v)| v)
        };
        let method_text = field("method")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let bulk_id = field("bulkId").and_then(Value::as_str).map(str::to_owned);
        let mut result = Map::new();
        result.insert("method".into(), json!(method_text));
        if let Some(b) = &bulk_id {
            result.insert("bulkId".into(), json!(b));
        }
        let outcome: Result<ScimResponse> = async {
            let method = Method::parse(&method_text)
                .filter(|m| *m != Method::Get)
                .ok_or_else(|| {
                    Error::scim(
                        "invalidSyntax",
                        "each operation needs a `method`: POST, PUT, PATCH or DELETE",
                    )
                })?;
            if method == Method::Post && bulk_id.is_none() {
                return Err(Error::scim(
                    "invalidSyntax",
                    "a POST operation needs a `bulkId`",
                ));
            }
            let path = field("path")
                .and_then(Value::as_str)
                .ok_or_else(|| Error::scim("invalidSyntax", "each operation needs a `path`"))?;
            let path = resolve_bulk_ids(&Value::String(path.to_owned()), created)?
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let body = field("data")
                .map(|d| resolve_bulk_ids(d, created))
                .transpose()?;
            let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
            let allowed = matches!(
                (segments.as_slice(), method),
                ([k], Method::Post) | ([k, _], Method::Put | Method::Patch | Method::Delete)
                    if k.eq_ignore_ascii_case("Users") || k.eq_ignore_ascii_case("Groups")
            );
            if !allowed {
                return Err(Error::scim(
                    "invalidPath",
                    format!("`{method_text} {path}` is not a bulk operation"),
                ));
            }
            let req = ScimRequest {
                method,
                path,
                query: Vec::new(),
                if_match: field("version").and_then(Value::as_str).map(str::to_owned),
                if_none_match: None,
                body,
            };
            Box::pin(self.handle(req)).await
        }
        .await;
        match outcome {
            Ok(resp) => {
                if let (Some(b), Some(loc)) = (&bulk_id, &resp.location)
                    && resp.status == 201
                {
                    let id = loc.rsplit('/').next().unwrap_or_default().to_owned();
                    created.insert(b.clone(), id);
                }
                if let Some(loc) = resp.location {
                    result.insert("location".into(), json!(loc));
                }
                if let Some(v) = resp.etag {
                    result.insert("version".into(), json!(v));
                }
                result.insert("status".into(), json!(resp.status.to_string()));
                (Value::Object(result), false)
            }
            Err(e) => {
                let (status, body) = error_response(&e);
                result.insert("status".into(), json!(status.to_string()));
                result.insert("response".into(), body);
                (Value::Object(result), true)
            }
        }
    }
}

/// Replaces every `"bulkId:<id>"` string with the id created for it.
fn resolve_bulk_ids(v: &Value, created: &HashMap<String, String>) -> Result<Value> {
    Ok(match v {
        Value::String(s) => {
            let mut out = s.clone();
            while let Some(start) = out.find("bulkId:") {
                let rest = &out[start + 7..];
                let end = rest
                    .find(|c: char| c == '/' || c == '"' || c.is_whitespace())
                    .unwrap_or(rest.len());
                let key = &rest[..end];
                let id = created.get(key).ok_or_else(|| Error::Scim {
                    status: 409,
                    scim_type: Some("invalidValue"),
                    detail: format!(
                        "`bulkId:{key}` names no resource created earlier in this request"
                    ),
                })?;
                out = format!("{}{}{}", &out[..start], id, &rest[end..]);
            }
            Value::String(out)
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| resolve_bulk_ids(i, created))
                .collect::<Result<_>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), resolve_bulk_ids(v, created)?)))
                .collect::<Result<_>>()?,
        ),
        other => other.clone(),
    })
}

fn patch_operations(body: &Value) -> Result<Vec<Value>> {
    let obj = body
        .as_object()
        .ok_or_else(|| Error::scim("invalidSyntax", "a PatchOp must be an object"))?;
    let ops = obj
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("Operations"))
        .map(|(_, v)| v)
        .and_then(Value::as_array)
        .ok_or_else(|| Error::scim("invalidSyntax", "a PatchOp needs an `Operations` array"))?;
    if ops.is_empty() {
        return Err(Error::scim("invalidSyntax", "`Operations` is empty"));
    }
    Ok(ops.clone())
}

/// A clash on `userName` or a group's name is SCIM's `uniqueness`.
fn uniqueness(e: Error) -> Error {
    match e {
        Error::Conflict { message, .. } => Error::Scim {
            status: 409,
            scim_type: Some("uniqueness"),
            detail: message,
        },
        Error::NotFound(Resource::User | Resource::Group) => not_found(),
        other => other,
    }
}
