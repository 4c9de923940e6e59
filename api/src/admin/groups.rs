use latchkey_tenants::page::PageRequest;
use latchkey_tenants::tokens::Scope;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use uuid::Uuid;

use crate::auth::{BearerToken, parse_if_match};
use crate::error::ApiResult;
use crate::etag;
use crate::models::{CreateGroup, GroupDto, GroupList, MemberDto, MemberList, UpdateGroup};
use crate::state::AppState;
use crate::tags::ApiTags;

pub struct GroupsApi {
    pub state: AppState,
}

#[derive(ApiResponse)]
enum GroupCreated {
    #[oai(status = 201)]
    Created(
        Json<GroupDto>,
        #[oai(header = "ETag")] String,
        #[oai(header = "Location")] String,
    ),
}

#[derive(ApiResponse)]
enum GroupFound {
    #[oai(status = 200)]
    Ok(Json<GroupDto>, #[oai(header = "ETag")] String),
}

#[derive(ApiResponse)]
enum Done {
    #[oai(status = 204)]
    Done,
}

#[derive(ApiResponse)]
enum MemberAdded {
    /// The user was added.
    #[oai(status = 201)]
    Added,
    /// The user was already a member; nothing changed.
    #[oai(status = 204)]
    AlreadyMember,
}

fn found(g: GroupDto) -> GroupFound {
    let tag = etag::strong(g.version);
    GroupFound::Ok(Json(g), tag)
}

#[OpenApi(tag = "ApiTags::Groups")]
impl GroupsApi {
    /// Create a group
    ///
    /// Group names are unique in the tenant, ignoring case (`409 group-name-taken`).
    #[oai(
        path = "/api/v1/tenants/:tenant/groups",
        method = "post",
        operation_id = "createGroup"
    )]
    async fn create(
        &self,
        auth: BearerToken,
        tenant: Path<String>,
        body: Json<CreateGroup>,
    ) -> ApiResult<GroupCreated> {
        let scope = self.state.tenant(&auth, &tenant.0, Scope::Admin).await?;
        let g: GroupDto = scope
            .groups()
            .create(&body.0.display_name, body.0.external_id.map(String::from))
            .await?
            .into();
        let tag = etag::strong(g.version);
        let location = format!("/api/v1/tenants/{}/groups/{}", tenant.0, g.id);
        Ok(GroupCreated::Created(Json(g), tag, location))
    }

    /// List groups
    ///
    /// `q` searches the display name (case-insensitive substring).
    #[oai(
        path = "/api/v1/tenants/:tenant/groups",
        method = "get",
        operation_id = "listGroups"
    )]
    async fn list(
        &self,
        auth: BearerToken,
        tenant: Path<String>,
        q: Query<Option<String>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))] limit: Query<Option<u32>>,
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<GroupList>> {
        let scope = self.state.tenant(&auth, &tenant.0, Scope::Read).await?;
        let page = PageRequest::parse(limit.0, cursor.0.as_deref())?;
        Ok(Json(scope.groups().list(q.0, page).await?.into()))
    }

    /// Get a group
    #[oai(
        path = "/api/v1/tenants/:tenant/groups/:id",
        method = "get",
        operation_id = "getGroup"
    )]
    async fn get(
        &self,
        auth: BearerToken,
        tenant: Path<String>,
        id: Path<Uuid>,
    ) -> ApiResult<GroupFound> {
        let scope = self.state.tenant(&auth, &tenant.0, Scope::Read).await?;
        Ok(found(scope.groups().get(id.0.into()).await?.into()))
    }

    /// Rename a group
    #[oai(
        path = "/api/v1/tenants/:tenant/groups/:id",
        method = "patch",
        operation_id = "updateGroup"
    )]
    async fn update(
        &self,
        auth: BearerToken,
        tenant: Path<String>,
        id: Path<Uuid>,
        #[oai(name = "If-Match")] if_match: Header<Option<String>>,
        body: Json<UpdateGroup>,
    ) -> ApiResult<GroupFound> {
        let scope = self.state.tenant(&auth, &tenant.0, Scope::Admin).await?;
        let version = parse_if_match(if_match.0.as_deref())?;
        Ok(found(
            scope
                .groups()
                .rename(id.0.into(), &body.0.display_name, version)
                .await?
                .into(),
        ))
    }

    /// Delete a group
    ///
    /// Its memberships go with it; the users stay.
    #[oai(
        path = "/api/v1/tenants/:tenant/groups/:id",
        method = "delete",
        operation_id = "deleteGroup"
    )]
    async fn delete(
        &self,
        auth: BearerToken,
        tenant: Path<String>,
        id: Path<Uuid>,
        #[oai(name = "If-Match")] if_match: Header<Option<String>>,
    ) -> ApiResult<Done> {
        let scope = self.state.tenant(&auth, &tenant.0, Scope::Admin).await?;
        let version = parse_if_match(if_match.0.as_deref())?;
        scope.groups().delete(id.0.into(), version).await?;
        Ok(Done::Done)
    }

    /// List the members of a group
    #[oai(
        path = "/api/v1/tenants/:tenant/groups/:id/members",
        method = "get",
        operation_id = "listGroupMembers"
    )]
    async fn members(
        &self,
        auth: BearerToken,
        tenant: Path<String>,
        id: Path<Uuid>,
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))] limit: Query<Option<u32>>,
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<MemberList>> {
        let scope = self.state.tenant(&auth, &tenant.0, Scope::Read).await?;
        let page = PageRequest::parse(limit.0, cursor.0.as_deref())?;
        Ok(Json(
            scope.groups().members(id.0.into(), page).await?.into(),
        ))
    }

    /// Get one membership
    ///
    /// The user, when they are a member of the group; `404 member-not-found`
    /// when they are not (`404 group-not-found` when there is no such group).
    /// Costs the same whatever the size of the group.
    #[oai(
        path = "/api/v1/tenants/:tenant/groups/:id/members/:user_id",
        method = "get",
        operation_id = "getGroupMember"
    )]
    async fn member(
        &self,
        auth: BearerToken,
        tenant: Path<String>,
        id: Path<Uuid>,
        user_id: Path<Uuid>,
    ) -> ApiResult<Json<MemberDto>> {
        let scope = self.state.tenant(&auth, &tenant.0, Scope::Read).await?;
        Ok(Json(
            scope
                .groups()
                .member(id.0.into(), user_id.0.into())
                .await?
                .into(),
        ))
    }

    /// Add a user to a group
    ///
    /// Idempotent: `201` when added, `204` when the user already was a member.
    #[oai(
        path = "/api/v1/tenants/:tenant/groups/:id/members/:user_id",
        method = "put",
        operation_id = "addGroupMember"
    )]
    async fn add_member(
        &self,
        auth: BearerToken,
        tenant: Path<String>,
        id: Path<Uuid>,
        user_id: Path<Uuid>,
    ) -> ApiResult<MemberAdded> {
        let scope = self.state.tenant(&auth, &tenant.0, Scope::Admin).await?;
        Ok(
            if scope
                .groups()
                .add_member(id.0.into(), user_id.0.into())
                .await?
            {
                MemberAdded::Added
            } else {
                MemberAdded::AlreadyMember
            },
        )
    }

    /// Remove a user from a group
    #[oai(
        path = "/api/v1/tenants/:tenant/groups/:id/members/:user_id",
        method = "delete",
        operation_id = "removeGroupMember"
    )]
    async fn remove_member(
        &self,
        auth: BearerToken,
        tenant: Path<String>,
        id: Path<Uuid>,
        user_id: Path<Uuid>,
    ) -> ApiResult<Done> {
        let scope = self.state.tenant(&auth, &tenant.0, Scope::Admin).await?;
        scope
            .groups()
            .remove_member(id.0.into(), user_id.0.into())
            .await?;
        Ok(Done::Done)
    }
}
