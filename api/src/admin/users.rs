use latchkey_tenants::directory::{NewUser, UserPatch, UserQuery};
use latchkey_tenants::page::PageRequest;
use latchkey_tenants::tokens::Scope;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{ApiResponse, OpenApi};
use uuid::Uuid;

use crate::auth::{BearerToken, parse_if_match};
use crate::error::ApiResult;
use crate::etag;
use crate::models::{CreateUser, UpdateUser, UserDto, UserKindDto, UserList};
use crate::state::AppState;
use crate::tags::ApiTags;
use crate::text::Text;

pub struct UsersApi {
    pub state: AppState,
}

#[derive(ApiResponse)]
enum UserCreated {
    #[oai(status = 201)]
    Created(
        Json<UserDto>,
        #[oai(header = "ETag")] String,
        #[oai(header = "Location")] String,
    ),
}

#[derive(ApiResponse)]
enum UserFound {
    /// The user; `ETag` carries its version for `If-Match`.
    #[oai(status = 200)]
    Ok(Json<UserDto>, #[oai(header = "ETag")] String),
}

#[derive(ApiResponse)]
enum UserDeleted {
    /// The user and their memberships are gone.
    #[oai(status = 204)]
    Deleted,
}

fn found(user: UserDto) -> UserFound {
    let tag = etag::strong(user.version);
    UserFound::Ok(Json(user), tag)
}

fn opt(v: MaybeUndefined<Text>) -> Option<Option<String>> {
    match v {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v.into())),
    }
}

fn required<T>(field: &str, v: MaybeUndefined<T>) -> ApiResult<Option<T>> {
    match v {
        MaybeUndefined::Undefined => Ok(None),
        MaybeUndefined::Null => Err(crate::error::ApiError::invalid(field, "cannot be null")),
        MaybeUndefined::Value(v) => Ok(Some(v)),
    }
}

#[OpenApi(tag = "ApiTags::Users")]
impl UsersApi {
    /// Create a user
    ///
    /// `user_name` is unique in the tenant ignoring case (`409 user-name-taken`).
    /// `kind` is `internal` (workforce, counted as a seat) or `external`.
    /// A `password` that breaks the password rules is `400 invalid-request`
    /// naming `password`.
    #[oai(
        path = "/api/v1/tenants/:tenant/users",
        method = "post",
        operation_id = "createUser"
    )]
    async fn create(
        &self,
        auth: BearerToken,
        tenant: Path<String>,
        body: Json<CreateUser>,
    ) -> ApiResult<UserCreated> {
        let scope = self.state.tenant(&auth, &tenant.0, Scope::Admin).await?;
        let b = body.0;
        let user = scope
            .users()
            .create(NewUser {
                user_name: b.user_name.into(),
                external_id: b.external_id.map(String::from),
                kind: b.kind.unwrap_or_default().into(),
                email: b.email.map(String::from),
                display_name: b.display_name.map(String::from),
                given_name: b.given_name.map(String::from),
                family_name: b.family_name.map(String::from),
                active: b.active.unwrap_or(true),
                password: b.password.map(String::from),
            })
            .await?;
        let location = format!("/api/v1/tenants/{}/users/{}", tenant.0, user.id);
        let user: UserDto = user.into();
        Ok(UserCreated::Created(
            Json(user.clone()),
            etag::strong(user.version),
            location,
        ))
    }

    /// List users
    ///
    /// In creation order, paginated with `limit` and `cursor`. `q` matches
    /// the start of the user name, email, display, given or family name,
    /// ignoring case (`q=ada` finds `Ada.Lovelace` and `ada@example.com`),
    /// served by an index on each; `active` and `kind` filter.
    #[oai(
        path = "/api/v1/tenants/:tenant/users",
        method = "get",
        operation_id = "listUsers"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        auth: BearerToken,
        tenant: Path<String>,
        q: Query<Option<String>>,
        active: Query<Option<bool>>,
        kind: Query<Option<UserKindDto>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))] limit: Query<Option<u32>>,
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<UserList>> {
        let scope = self.state.tenant(&auth, &tenant.0, Scope::Read).await?;
        let page = PageRequest::parse(limit.0, cursor.0.as_deref())?;
        let query = UserQuery {
            search: q.0,
            active: active.0,
            kind: kind.0.map(Into::into),
        };
        Ok(Json(scope.users().list(query, page).await?.into()))
    }

    /// Get a user
    #[oai(
        path = "/api/v1/tenants/:tenant/users/:id",
        method = "get",
        operation_id = "getUser"
    )]
    async fn get(
        &self,
        auth: BearerToken,
        tenant: Path<String>,
        id: Path<Uuid>,
    ) -> ApiResult<UserFound> {
        let scope = self.state.tenant(&auth, &tenant.0, Scope::Read).await?;
        Ok(found(scope.users().get(id.0.into()).await?.into()))
    }

    /// Update a user
    ///
    /// Partial update: absent fields stay, `null` clears an optional field.
    /// Set `active: false` to deactivate without deleting; `password: null`
    /// removes the user's password. With `If-Match`,
    /// refuses with `412 version-mismatch` unless the user is at that version.
    #[oai(
        path = "/api/v1/tenants/:tenant/users/:id",
        method = "patch",
        operation_id = "updateUser"
    )]
    async fn update(
        &self,
        auth: BearerToken,
        tenant: Path<String>,
        id: Path<Uuid>,
        #[oai(name = "If-Match")] if_match: Header<Option<String>>,
        body: Json<UpdateUser>,
    ) -> ApiResult<UserFound> {
        let scope = self.state.tenant(&auth, &tenant.0, Scope::Admin).await?;
        let version = parse_if_match(if_match.0.as_deref())?;
        let b = body.0;
        let patch = UserPatch {
            user_name: required("user_name", b.user_name)?.map(String::from),
            external_id: opt(b.external_id),
            kind: required("kind", b.kind)?.map(Into::into),
            email: opt(b.email),
            display_name: opt(b.display_name),
            given_name: opt(b.given_name),
            family_name: opt(b.family_name),
            active: required("active", b.active)?,
            password: opt(b.password),
        };
        Ok(found(
            scope
                .users()
                .update(id.0.into(), patch, version)
                .await?
                .into(),
        ))
    }

    /// Delete a user
    ///
    /// Removes the user and all their group memberships in one transaction.
    #[oai(
        path = "/api/v1/tenants/:tenant/users/:id",
        method = "delete",
        operation_id = "deleteUser"
    )]
    async fn delete(
        &self,
        auth: BearerToken,
        tenant: Path<String>,
        id: Path<Uuid>,
        #[oai(name = "If-Match")] if_match: Header<Option<String>>,
    ) -> ApiResult<UserDeleted> {
        let scope = self.state.tenant(&auth, &tenant.0, Scope::Admin).await?;
        let version = parse_if_match(if_match.0.as_deref())?;
        scope.users().delete(id.0.into(), version).await?;
        Ok(UserDeleted::Deleted)
    }
}
