use std::future::Future;
use std::hash::Hash;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A bounded concurrent map whose entries expire after a fixed time.
///
/// Every node of a cluster keeps its own; the short lifetime bounds how long
/// a node can act on a revoked token or a suspended tenant that another node
/// changed. The map is `quick_cache`'s (sharded, so lookups on different
/// keys do not wait for each other; when full it evicts the entries least
/// worth keeping instead of emptying itself); the lifetime and the
/// invalidation rules below are ours.
///
/// A lookup that misses reads the database and then fills the entry; a
/// revocation committed between that read and the fill would leave the
/// stale copy cached for a whole lifetime, after its invalidation had
/// already emptied the entry. So every removal moves an epoch, a miss notes
/// the epoch before it reads, and the fill is dropped when any removal came
/// in between: such a reader returns what it read (its request was in
/// flight beside the change) but caches nothing. Fills share a gate that a
/// removal holds alone, so no fill can check the epoch before a removal and
/// store after it.
pub(crate) struct TtlCache<K, V> {
    ttl: Duration,
    entries: quick_cache::sync::Cache<K, (Instant, V)>,
    /// How many removals this cache has seen.
    epoch: AtomicU64,
    /// Shared by fills, held alone by removals.
    gate: RwLock<()>,
}

impl<K: Eq + Hash + Clone, V: Clone> TtlCache<K, V> {
    pub(crate) fn new(ttl: Duration, capacity: usize) -> Self {
        TtlCache {
            ttl,
            entries: quick_cache::sync::Cache::new(capacity.max(1)),
            epoch: AtomicU64::new(0),
            gate: RwLock::new(()),
        }
    }

    /// The cached value of `key`, or else the value `fetch` reads, cached
    /// unless an entry was removed while it read.
    pub(crate) async fn get_or_fill<E>(
        &self,
        key: K,
        fetch: impl Future<Output = Result<V, E>>,
    ) -> Result<V, E> {
        let epoch = self.epoch.load(Ordering::Acquire);
        if let Some(hit) = self.get(&key) {
            return Ok(hit);
        }
        let value = fetch.await?;
        self.fill(epoch, key, value.clone());
        Ok(value)
    }

    pub(crate) fn get(&self, key: &K) -> Option<V> {
        match self.entries.get(key) {
            Some((at, value)) if at.elapsed() < self.ttl => Some(value),
            _ => None,
        }
    }

    /// Caches a value computed afresh (a continuation, a status just
    /// computed); a value read to answer a miss goes through
    /// [`TtlCache::get_or_fill`], which may drop it.
    pub(crate) fn insert(&self, key: K, value: V) {
        if !self.ttl.is_zero() {
            self.entries.insert(key, (Instant::now(), value));
        }
    }

    fn fill(&self, epoch: u64, key: K, value: V) {
        let Ok(_gate) = self.gate.read() else {
            return;
        };
        if self.epoch.load(Ordering::Acquire) == epoch {
            self.insert(key, value);
        }
    }

    /// Moves the epoch, so that lookups reading meanwhile (they may have
    /// read what is being dropped) do not cache it, and runs `drop` while no
    /// fill can land.
    fn removing(&self, drop: impl FnOnce()) {
        let _gate = self.gate.write();
        self.epoch.fetch_add(1, Ordering::AcqRel);
        drop();
    }

    /// Drops the entry of `key`.
    pub(crate) fn remove(&self, key: &K) {
        self.removing(|| {
            self.entries.remove(key);
        });
    }

    /// Drops the matching entries: a scan of every shard, for changes that
    /// do not know the keys they touch (a tenant's tokens when it is
    /// suspended; everything when notifications may have been missed).
    pub(crate) fn remove_where(&self, f: impl Fn(&K, &V) -> bool) {
        self.removing(|| self.entries.retain(|k, (_, v)| !f(k, v)));
    }

    /// How many removals this cache has seen (for tests that wait for an
    /// invalidation to arrive).
    #[cfg(test)]
    pub(crate) fn removals(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use super::*;

    fn fill(cache: &TtlCache<i32, &'static str>, key: i32, value: &'static str) {
        let got = ready(cache.get_or_fill(key, async { Ok::<_, Infallible>(value) }));
        assert_eq!(got, Ok(value));
    }

    /// Runs a future that never waits (every fetch here is ready at once).
    fn ready<T>(f: impl Future<Output = T>) -> T {
        let mut f = std::pin::pin!(f);
        let waker = std::task::Waker::noop();
        match f.as_mut().poll(&mut std::task::Context::from_waker(waker)) {
            std::task::Poll::Ready(v) => v,
            std::task::Poll::Pending => panic!("the fetch waited"),
        }
    }

    #[test]
    fn an_entry_is_served_until_it_expires() {
        let cache = TtlCache::new(Duration::from_millis(50), 10);
        fill(&cache, 1, "a");
        assert_eq!(cache.get(&1), Some("a"));
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(cache.get(&1), None);
    }

    #[test]
    fn a_full_cache_makes_room() {
        let cache = TtlCache::new(Duration::from_secs(60), 2);
        for key in 0..100 {
            fill(&cache, key, "v");
        }
        assert_eq!(cache.get(&99), Some("v"));
        assert!(cache.entries.len() <= 2, "{}", cache.entries.len());
    }

    #[test]
    fn a_hit_does_not_fetch() {
        let cache = TtlCache::new(Duration::from_secs(60), 10);
        fill(&cache, 1, "a");
        let got = ready(cache.get_or_fill(1, async { Err::<&str, _>("fetched") }));
        assert_eq!(got, Ok("a"));
    }

    #[test]
    fn what_was_read_while_an_entry_was_removed_is_returned_but_not_cached() {
        let cache = TtlCache::new(Duration::from_secs(60), 10);
        let got = ready(cache.get_or_fill(1, async {
            // The invalidation lands between the read and the fill.
            cache.remove_where(|k, _| *k == 1);
            Ok::<_, Infallible>("stale")
        }));
        assert_eq!(got, Ok("stale"));
        assert_eq!(cache.get(&1), None, "the stale copy was cached");
        fill(&cache, 1, "fresh");
        assert_eq!(cache.get(&1), Some("fresh"));
    }

    #[test]
    fn a_removal_by_key_drops_that_entry_alone() {
        let cache = TtlCache::new(Duration::from_secs(60), 10);
        fill(&cache, 1, "a");
        fill(&cache, 2, "b");
        cache.remove(&1);
        assert_eq!((cache.get(&1), cache.get(&2)), (None, Some("b")));
    }

    #[test]
    fn a_zero_lifetime_caches_nothing() {
        let cache = TtlCache::new(Duration::ZERO, 10);
        fill(&cache, 1, "a");
        assert_eq!(cache.get(&1), None);
    }
}
