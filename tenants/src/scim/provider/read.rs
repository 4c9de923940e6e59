//! Reading: one resource, a page of one kind, and `/.search` over both.

use serde_json::{Map, Value};

use super::params::list_params;
use super::{ResourceKind, ScimProvider, no_such_resource};
use crate::db::Id;
use crate::error::{Error, Result};
use crate::scim::project::Projection;
use crate::scim::query::{self, ListParams};
use crate::scim::{groups, users};

use super::Resource;

/// One page of a list: the resources (projected), how many match in all,
/// and the 1-based index of the first.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub resources: Vec<Value>,
    pub total: i64,
    pub start_index: i64,
}

impl ScimProvider<'_> {
    pub async fn get(
        &self,
        kind: ResourceKind,
        id: Id,
        projection: &Projection,
    ) -> Result<Resource> {
        let base = self.base_url.clone();
        let (version, document) = match kind {
            ResourceKind::User => {
                let with_groups = projection.wants("groups");
                let user = self
                    .scope
                    .read(move |tx| users::get(tx, id, with_groups))
                    .await?;
                (user.version, user.to_json(&base))
            }
            ResourceKind::Group => {
                let members = projection.wants("members").then_some(i64::MAX);
                let group = self
                    .scope
                    .read(move |tx| groups::get(tx, id, members))
                    .await?;
                (group.version, group.to_json(&base))
            }
        };
        Ok(self.resource(kind, id, version, document, projection))
    }

    pub async fn list(
        &self,
        kind: ResourceKind,
        params: ListParams,
        projection: &Projection,
    ) -> Result<Page> {
        let start_index = params.start_index;
        let (resources, total) = self.page(kind, params, projection).await?;
        Ok(Page {
            resources,
            total,
            start_index,
        })
    }

    /// One page of one kind, projected, and the total.
    async fn page(
        &self,
        kind: ResourceKind,
        params: ListParams,
        projection: &Projection,
    ) -> Result<(Vec<Value>, i64)> {
        let cache = self.scope.store.shared.scim.pages.clone();
        let base = self.base_url.clone();
        let rt = kind.resource_type();
        let with_extra = projection.wants(kind.memberships());
        let (docs, total) = self
            .scope
            .read(move |tx| {
                let found = query::list(tx, rt, &params, &cache)?;
                let docs: Vec<Value> = match kind {
                    ResourceKind::User => users::load(tx, &found.ids, with_extra)?
                        .iter()
                        .map(|u| u.to_json(&base))
                        .collect(),
                    ResourceKind::Group => {
                        groups::load(tx, &found.ids, with_extra.then_some(i64::MAX))?
                            .iter()
                            .map(|g| g.to_json(&base))
                            .collect()
                    }
                };
                Ok((docs, found.total))
            })
            .await?;
        let resources: Vec<Value> = docs.into_iter().map(|d| projection.apply(rt, d)).collect();
        Ok((resources, total))
    }

    /// `POST /.search` (RFC 7644 §3.4.3): Users, then Groups, as one list.
    /// A kind whose schema lacks an attribute the filter or the sort names
    /// contributes nothing; a filter that no kind can answer is an error.
    pub async fn search_all(&self, request: &Map<String, Value>) -> Result<Page> {
        use super::params::ListFields;
        let list = |name: &str| -> String {
            match request.field(name) {
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
        for kind in ResourceKind::ALL {
            let rt = kind.resource_type();
            let mut params = match list_params(rt, request) {
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
            let of_kind = match self.page(kind, counted, &projection).await {
                Ok((_, n)) => n,
                Err(e @ Error::Scim { .. }) => {
                    first_error.get_or_insert(e);
                    continue;
                }
                Err(e) => return Err(e),
            };
            answered += 1;
            total += of_kind;
            if remaining > 0 && skip < of_kind {
                params.start_index = skip + 1;
                params.count = remaining;
                let (page, _) = self.page(kind, params, &projection).await?;
                remaining -= i64::try_from(page.len()).unwrap_or(remaining);
                resources.extend(page);
                skip = 0;
            } else {
                skip -= skip.min(of_kind);
            }
        }
        if answered == 0 {
            return Err(first_error.unwrap_or_else(no_such_resource));
        }
        Ok(Page {
            resources,
            total,
            start_index: start.unwrap_or(1),
        })
    }
}

impl ScimProvider<'_> {
    /// `POST /{Users,Groups}/.search`: a SearchRequest over one kind.
    pub async fn search(&self, kind: ResourceKind, request: &Map<String, Value>) -> Result<Page> {
        use super::params::ListFields;
        use crate::error::ScimError;
        let rt = kind.resource_type();
        let params = list_params(rt, request)?;
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
                    ScimError::InvalidValue,
                    "`attributes` must be an array of strings",
                )),
            }
        };
        let projection = Projection::from_query(
            rt,
            join(request.field("attributes"))?.as_deref(),
            join(request.field("excludedAttributes"))?.as_deref(),
        )?;
        self.list(kind, params, &projection).await
    }
}
