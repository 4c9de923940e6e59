//! The installation's licences: status, install or replace, remove.
//! Platform tokens only; always available, whatever the licence state.

use latchkey_tenants::licensing::LicenseState;
use latchkey_tenants::licensing::status::LicenseStatus;
use poem_openapi::param::Path;
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{ApiResponse, Object, OpenApi};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::auth::BearerToken;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::tags::ApiTags;

pub struct LicenseApi {
    pub state: AppState,
}

/// Seats: active internal users of the whole installation against the
/// seats of the valid licences (their sum).
#[derive(Debug, Clone, Object)]
pub struct SeatsDto {
    pub used: u64,
    /// Null without a valid licence.
    #[oai(nullable)]
    pub licensed: Option<u64>,
    /// Since when more seats are used than licensed.
    #[oai(nullable)]
    pub over_since: Option<OffsetDateTime>,
    /// Until when that is tolerated; after it new internal users are refused.
    #[oai(nullable)]
    pub grace_until: Option<OffsetDateTime>,
}

/// One installed licence and whether it verifies here.
#[derive(Debug, Clone, Object)]
pub struct InstalledLicenseDto {
    pub id: String,
    pub installed_at: OffsetDateTime,
    pub valid: bool,
    /// Why it does not verify (signature, installation, not yet valid …).
    #[oai(nullable)]
    pub invalid_reason: Option<String>,
    #[oai(nullable)]
    pub licensee: Option<String>,
    #[oai(nullable)]
    pub not_before: Option<OffsetDateTime>,
    #[oai(nullable)]
    pub expires_at: Option<OffsetDateTime>,
    /// `any` or the installation id it is bound to.
    #[oai(nullable)]
    pub installation: Option<String>,
    #[oai(nullable)]
    pub seats: Option<u64>,
    pub features: Vec<String>,
}

/// The licence status of this installation.
#[derive(Debug, Clone, Object)]
pub struct LicenseStatusDto {
    /// `valid`, `expiring`, `expired`, `invalid` or `none`.
    pub status: String,
    /// For `expiring`: whole days until the earliest expiry.
    #[oai(nullable)]
    pub days_left: Option<i64>,
    /// For `expired`: until when licensed features keep working.
    #[oai(nullable)]
    pub grace_until: Option<OffsetDateTime>,
    /// For `invalid`: why no installed licence verifies.
    #[oai(nullable)]
    pub invalid_reason: Option<String>,
    /// The earliest expiry of the valid licences.
    #[oai(nullable)]
    pub expires_at: Option<OffsetDateTime>,
    /// Past a grace period: licensed features are read-only and new
    /// internal users are refused (nobody is deactivated, nothing deleted).
    pub restricted: bool,
    pub seats: SeatsDto,
    /// Features the valid licences add to every tenant.
    pub features: Vec<String>,
    /// Licences may be bound to this id (`latchkey license issue --installation`).
    pub installation_id: Uuid,
    pub warnings: Vec<String>,
    pub licenses: Vec<InstalledLicenseDto>,
}

impl From<&LicenseStatus> for LicenseStatusDto {
    fn from(s: &LicenseStatus) -> Self {
        let (days_left, grace_until, invalid_reason) = match &s.state {
            LicenseState::Expiring { days_left } => (Some(*days_left), None, None),
            LicenseState::Expired { grace_until } => (None, Some(*grace_until), None),
            LicenseState::Invalid { reason } => (None, None, Some(reason.clone())),
            LicenseState::None | LicenseState::Valid => (None, None, None),
        };
        LicenseStatusDto {
            status: s.state.as_str().to_owned(),
            days_left,
            grace_until,
            invalid_reason,
            expires_at: s.expires_at,
            restricted: s.restricted,
            seats: SeatsDto {
                used: s.seats_used,
                licensed: s.licensed_seats,
                over_since: s.over_seats_since,
                grace_until: s.seats_grace_until,
            },
            features: s.features.iter().map(|f| f.as_str().to_owned()).collect(),
            installation_id: s.installation_id,
            warnings: s.warnings.clone(),
            licenses: s
                .licenses
                .iter()
                .map(|l| match &l.verdict {
                    Ok(v) => InstalledLicenseDto {
                        id: l.id.clone(),
                        installed_at: l.installed_at,
                        valid: true,
                        invalid_reason: None,
                        licensee: Some(v.licensee.clone()),
                        not_before: Some(v.not_before),
                        expires_at: Some(v.expires_at),
                        installation: Some(v.binding.to_string()),
                        seats: Some(v.seats),
                        features: v.features.clone(),
                    },
                    Err(why) => InstalledLicenseDto {
                        id: l.id.clone(),
                        installed_at: l.installed_at,
                        valid: false,
                        invalid_reason: Some(why.to_string()),
                        licensee: None,
                        not_before: None,
                        expires_at: None,
                        installation: None,
                        seats: None,
                        features: vec![],
                    },
                })
                .collect(),
        }
    }
}

#[derive(ApiResponse)]
enum Removed {
    /// The licence is gone; the status no longer counts it.
    #[oai(status = 204)]
    Removed,
}

#[OpenApi(prefix_path = "/api/v1/license", tag = "ApiTags::License")]
impl LicenseApi {
    /// Licence status
    ///
    /// The installation's licence status (`valid`, `expiring`, `expired`,
    /// `invalid`, `none`), seats used against licensed, features, and each
    /// installed licence. Seats are counted at the time of the request.
    #[oai(path = "/", method = "get", operation_id = "getLicense")]
    async fn get(&self, auth: BearerToken) -> ApiResult<Json<LicenseStatusDto>> {
        self.state.platform(&auth).await?;
        let status = self.state.store.license_status().await?;
        Ok(Json(status.as_ref().into()))
    }

    /// Install a licence
    ///
    /// The body is the licence file as the vendor issued it, sent as is
    /// (`application/octet-stream`; `text/plain` is accepted as well).
    /// A licence with the same id replaces the installed one; several
    /// licences add their seats up, and the earliest expiry counts. A licence
    /// that does not verify (signature, installation) or has expired is
    /// refused with `400 invalid-request`. Answers the new status.
    #[oai(path = "/", method = "put", operation_id = "installLicense")]
    async fn install(
        &self,
        auth: BearerToken,
        // Declared as `application/octet-stream`, not `text/plain`: OpenAPI
        // generators such as openapi-python-client cannot send a text/plain
        // body and leave the operation out. `Binary` takes any content type,
        // so clients that send `text/plain` (the form documented first)
        // keep working.
        body: Binary<Vec<u8>>,
    ) -> ApiResult<Json<LicenseStatusDto>> {
        self.state.platform(&auth).await?;
        let license = std::str::from_utf8(&body.0)
            .map_err(|_| ApiError::invalid("license", "is not UTF-8 text"))?;
        self.state.store.install_license(license).await?;
        let status = self.state.store.license_status().await?;
        Ok(Json(status.as_ref().into()))
    }

    /// Remove a licence
    #[oai(path = "/:id", method = "delete", operation_id = "removeLicense")]
    async fn remove(&self, auth: BearerToken, id: Path<String>) -> ApiResult<Removed> {
        self.state.platform(&auth).await?;
        self.state.store.remove_license(&id.0).await?;
        Ok(Removed::Removed)
    }
}
