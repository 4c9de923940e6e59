//! What a node keeps in memory of data every request needs: tenants by
//! slug, verified tokens by hash, unwrapped data keys. Each entry lives at
//! most the store's `cache_ttl`; a change that must apply sooner drops the
//! entries here, on this node directly and on the others through
//! [`crate::invalidation`].

use std::sync::Arc;
use std::time::Duration;

use crate::ids::{TenantId, TokenId};
use crate::keys::sealing::DataKey;
use crate::tenant::model::Tenant;
use crate::tokens::principal::CachedToken;
use crate::ttl_cache::TtlCache;

pub(crate) struct Caches {
    pub(crate) tenants_by_slug: TtlCache<String, Tenant>,
    pub(crate) tokens: TtlCache<[u8; 32], CachedToken>,
    pub(crate) data_keys: TtlCache<TenantId, Arc<DataKey>>,
}

impl Caches {
    pub(crate) fn new(ttl: Duration) -> Self {
        Caches {
            tenants_by_slug: TtlCache::new(ttl, 10_000),
            tokens: TtlCache::new(ttl, 100_000),
            data_keys: TtlCache::new(ttl, 10_000),
        }
    }

    /// Drops everything of one tenant: the tenant (under `slug`, and under
    /// any slug it had), its tokens and its data key.
    pub(crate) fn forget_tenant(&self, slug: Option<&str>, id: TenantId) {
        self.tenants_by_slug
            .remove_where(|k, v| Some(k.as_str()) == slug || v.id == id);
        self.tokens.remove_where(|_, t| t.tenant_id == Some(id));
        self.data_keys.remove(&id);
    }

    /// Drops the tenant alone, by id (its plan or billing changed).
    pub(crate) fn forget_tenant_record(&self, id: TenantId) {
        self.tenants_by_slug.remove_where(|_, v| v.id == id);
    }

    /// Drops a token: by its hash, the cache's key, when it is known; by a
    /// scan for its id otherwise.
    pub(crate) fn forget_token(&self, id: TokenId, hash: Option<[u8; 32]>) {
        match hash {
            Some(hash) => self.tokens.remove(&hash),
            None => self.tokens.remove_where(|_, t| t.token_id == id),
        }
    }

    /// Drops everything: notifications may have been missed.
    pub(crate) fn clear(&self) {
        self.tokens.remove_where(|_, _| true);
        self.tenants_by_slug.remove_where(|_, _| true);
        self.data_keys.remove_where(|_, _| true);
    }
}
