use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A small map whose entries expire after a fixed time.
///
/// Every node of a cluster keeps its own; the short lifetime bounds how long
/// a node can act on a revoked token or a suspended tenant that another node
/// changed.
///
/// A lookup that misses reads the database and then fills the entry; a
/// revocation committed between that read and the fill would leave the
/// stale copy cached for a whole lifetime, after its invalidation had
/// already emptied the entry. So every removal moves an epoch, a miss notes
/// the epoch before it reads, and the fill is dropped when any removal came
/// in between: such a reader returns what it read (its request was in
/// flight beside the change) but caches nothing.
pub(crate) struct TtlCache<K, V> {
    ttl: Duration,
    capacity: usize,
    state: Mutex<State<K, V>>,
}

struct State<K, V> {
    entries: HashMap<K, (Instant, V)>,
    /// How many removals this cache has seen.
    epoch: u64,
}

impl<K: Eq + Hash + Clone, V: Clone> TtlCache<K, V> {
    pub(crate) fn new(ttl: Duration, capacity: usize) -> Self {
        TtlCache {
            ttl,
            capacity,
            state: Mutex::new(State {
                entries: HashMap::new(),
                epoch: 0,
            }),
        }
    }

    /// The cached value of `key`, or else the value `fetch` reads, cached
    /// unless an entry was removed while it read.
    pub(crate) async fn get_or_fill<E>(
        &self,
        key: K,
        fetch: impl Future<Output = Result<V, E>>,
    ) -> Result<V, E> {
        let epoch = match self.lookup(&key) {
            Ok(hit) => return Ok(hit),
            Err(epoch) => epoch,
        };
        let value = fetch.await?;
        self.fill(epoch, key, value.clone());
        Ok(value)
    }

    pub(crate) fn get(&self, key: &K) -> Option<V> {
        self.lookup(key).ok()
    }

    /// Caches a value computed afresh (a continuation, a status just
    /// computed); a value read to answer a miss goes through
    /// [`TtlCache::get_or_fill`], which may drop it.
    pub(crate) fn insert(&self, key: K, value: V) {
        if let Ok(mut state) = self.state.lock() {
            self.store(&mut state, key, value);
        }
    }

    /// The live entry of `key`, or the epoch a fill must still find.
    fn lookup(&self, key: &K) -> Result<V, u64> {
        let Ok(state) = self.state.lock() else {
            return Err(u64::MAX);
        };
        match state.entries.get(key) {
            Some((at, value)) if at.elapsed() < self.ttl => Ok(value.clone()),
            _ => Err(state.epoch),
        }
    }

    fn fill(&self, epoch: u64, key: K, value: V) {
        if let Ok(mut state) = self.state.lock()
            && state.epoch == epoch
        {
            self.store(&mut state, key, value);
        }
    }

    fn store(&self, state: &mut State<K, V>, key: K, value: V) {
        if self.ttl.is_zero() {
            return;
        }
        if state.entries.len() >= self.capacity {
            let ttl = self.ttl;
            state.entries.retain(|_, (at, _)| at.elapsed() < ttl);
            if state.entries.len() >= self.capacity {
                state.entries.clear();
            }
        }
        state.entries.insert(key, (Instant::now(), value));
    }

    /// Drops the matching entries, and refuses the fills of lookups that
    /// were reading meanwhile (they may have read what is being dropped).
    pub(crate) fn remove_where(&self, mut f: impl FnMut(&K, &V) -> bool) {
        if let Ok(mut state) = self.state.lock() {
            state.epoch = state.epoch.wrapping_add(1);
            state.entries.retain(|k, (_, v)| !f(k, v));
        }
    }

    /// How many removals this cache has seen (for tests that wait for an
    /// invalidation to arrive).
    #[cfg(test)]
    pub(crate) fn removals(&self) -> u64 {
        self.state.lock().map(|s| s.epoch).unwrap_or_default()
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
        assert_eq!(cache.lookup(&1), Ok("a"));
        std::thread::sleep(Duration::from_millis(60));
        assert!(cache.lookup(&1).is_err());
    }

    #[test]
    fn a_full_cache_makes_room() {
        let cache = TtlCache::new(Duration::from_secs(60), 2);
        fill(&cache, 1, "a");
        fill(&cache, 2, "b");
        fill(&cache, 3, "c");
        assert_eq!(cache.lookup(&3), Ok("c"));
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
        assert!(cache.lookup(&1).is_err(), "the stale copy was cached");
        fill(&cache, 1, "fresh");
        assert_eq!(cache.lookup(&1), Ok("fresh"));
    }
}
