//! Rate limits per client address and per bearer token, kept in memory on
//! each node (a cluster of N nodes allows up to N times the rate; the limit
//! is a guard against runaway clients, not a quota). The buckets are
//! `governor`'s keyed GCRA limiters; which keys exist and what a key is made
//! of (the client's address behind our proxies, a digest of a token-shaped
//! bearer) is ours.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use governor::DefaultKeyedRateLimiter;
use governor::Quota;
use governor::clock::Clock;
use poem::http::HeaderMap;
use sha2::{Digest, Sha256};

use crate::client_address::ProxyTrust;

/// Requests per second, sustained; bursts of twice that are allowed. Zero
/// switches the limit off.
#[derive(Debug, Clone, Default)]
pub struct RateLimits {
    pub per_address: u32,
    pub per_token: u32,
    /// Which proxies in front are ours, to find the client's address.
    pub proxies: ProxyTrust,
}

/// One keyed limiter, swept of idle keys as it grows.
struct Keyed<K: Hash + Eq + Clone> {
    limiter: DefaultKeyedRateLimiter<K>,
    /// The fewest keys worth a sweep ([`SWEEP_AT`]).
    floor: usize,
    /// Beyond this many keys, idle ones are swept; it grows when a sweep
    /// leaves most keys (all busy), so a flood is not swept on every request.
    sweep_at: AtomicUsize,
}

/// Keys beyond this many are swept of idle entries.
const SWEEP_AT: usize = 100_000;

impl<K: Hash + Eq + Clone> Keyed<K> {
    /// `None` when `rate` is zero (the limit is off).
    fn new(rate: u32, period: Duration) -> Option<Self> {
        let rate = NonZeroU32::new(rate)?;
        let quota = Quota::with_period(period / rate.get())?
            .allow_burst(rate.saturating_mul(NonZeroU32::MIN.saturating_add(1)));
        Some(Keyed {
            limiter: DefaultKeyedRateLimiter::dashmap(quota),
            floor: SWEEP_AT,
            sweep_at: AtomicUsize::new(SWEEP_AT),
        })
    }

    fn take(&self, key: &K) -> Result<(), Duration> {
        let len = self.limiter.len();
        if len > self.sweep_at.load(Ordering::Relaxed) {
            // A key whose bucket has refilled is the same as no key.
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
            let left = self.limiter.len();
            self.sweep_at
                .store(self.floor.max(left.saturating_mul(2)), Ordering::Relaxed);
        }
        self.limiter.check_key(key).map_err(|not_until| {
            not_until
                .wait_time_from(self.limiter.clock().now())
                .max(Duration::from_secs(1))
        })
    }
}

pub struct RateLimiter {
    proxies: ProxyTrust,
    by_address: Option<Keyed<IpAddr>>,
    /// Keyed by a digest of the token: the secret itself is never kept.
    by_token: Option<Keyed<[u8; 16]>>,
}

impl RateLimiter {
    pub fn new(limits: RateLimits) -> Self {
        Self::counting_over(limits, Duration::from_secs(1))
    }

    /// A limiter whose rates count requests per minute (bursts of twice
    /// that): for costly operations such as signing up or signing in.
    pub fn per_minute(limits: RateLimits) -> Self {
        Self::counting_over(limits, Duration::from_secs(60))
    }

    fn counting_over(limits: RateLimits, period: Duration) -> Self {
        RateLimiter {
            by_address: Keyed::new(limits.per_address, period),
            by_token: Keyed::new(limits.per_token, period),
            proxies: limits.proxies,
        }
    }

    /// The client's address (see [`ProxyTrust::client`]).
    pub fn client_address(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        self.proxies.client(peer, headers)
    }

    /// Takes one request from the address's and then the token's bucket; on
    /// refusal, says when to retry.
    pub fn check(&self, address: Option<IpAddr>, bearer: Option<&str>) -> Result<(), Duration> {
        if let (Some(ip), Some(limiter)) = (address, &self.by_address) {
            limiter.take(&ip)?;
        }
        // Only strings shaped like our tokens get a bucket: random garbage
        // must not grow the map (the address limit covers its sender).
        if let (Some(token), Some(limiter)) = (bearer, &self.by_token)
            && token.len() <= 128
            && ["lkp_", "lkt_", "lks_"]
                .iter()
                .any(|p| token.starts_with(p))
        {
            let digest = Sha256::digest(token.as_bytes());
            let mut short = [0u8; 16];
            short.copy_from_slice(&digest[..16]);
            limiter.take(&short)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IP: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));

    #[test]
    fn a_burst_of_twice_the_rate_is_allowed_and_then_refused() {
        let limiter = RateLimiter::new(RateLimits {
            per_address: 5,
            ..RateLimits::default()
        });
        for _ in 0..10 {
            assert!(limiter.check(IP, None).is_ok());
        }
        assert!(limiter.check(IP, None).is_err());
    }

    #[test]
    fn tokens_are_limited_apart_from_each_other() {
        let limiter = RateLimiter::new(RateLimits {
            per_token: 1,
            ..RateLimits::default()
        });
        assert!(limiter.check(IP, Some("lkp_a")).is_ok());
        assert!(limiter.check(IP, Some("lkp_a")).is_ok());
        assert!(limiter.check(IP, Some("lkp_a")).is_err());
        assert!(limiter.check(IP, Some("lkp_b")).is_ok());
    }

    #[test]
    fn a_spoofed_forwarded_entry_does_not_reset_the_budget() {
        let limiter = RateLimiter::new(RateLimits {
            per_address: 1,
            proxies: ProxyTrust {
                one_proxy: true,
                networks: Vec::new(),
            },
            ..RateLimits::default()
        });
        for spoofed in ["1.1.1.1", "2.2.2.2", "3.3.3.3"] {
            let mut headers = HeaderMap::new();
            let value = format!("{spoofed}, 203.0.113.7");
            headers.insert("x-forwarded-for", value.parse().unwrap());
            let address = limiter.client_address(IP, &headers);
            assert_eq!(address, "203.0.113.7".parse().ok());
            let allowed = limiter.check(address, None).is_ok();
            assert_eq!(
                allowed,
                spoofed != "3.3.3.3",
                "{spoofed}: a burst of two, then refused"
            );
        }
    }

    #[test]
    fn a_per_minute_limiter_refills_over_a_minute() {
        let limiter = RateLimiter::per_minute(RateLimits {
            per_address: 2,
            ..RateLimits::default()
        });
        for _ in 0..4 {
            assert!(limiter.check(IP, None).is_ok());
        }
        let retry = limiter.check(IP, None).unwrap_err();
        assert!(retry >= Duration::from_secs(29), "{retry:?}");
    }

    fn keyed_sweeping_beyond(rate: u32, period: Duration, sweep_at: usize) -> Keyed<u32> {
        Keyed {
            floor: sweep_at,
            sweep_at: AtomicUsize::new(sweep_at),
            ..Keyed::new(rate, period).unwrap()
        }
    }

    #[test]
    fn idle_keys_are_swept_once_there_are_too_many() {
        // A million a second: every bucket has refilled a moment later.
        let keyed = keyed_sweeping_beyond(1_000_000, Duration::from_secs(1), 10);
        for key in 0..10 {
            keyed.take(&key).unwrap();
        }
        std::thread::sleep(Duration::from_millis(5));
        keyed.take(&100).unwrap();
        assert_eq!(keyed.limiter.len(), 11, "ten keys are not too many");
        keyed.take(&101).unwrap();
        assert_eq!(keyed.limiter.len(), 1);
    }

    #[test]
    fn busy_keys_survive_a_sweep_and_put_the_next_one_further_off() {
        let keyed = keyed_sweeping_beyond(1, Duration::from_secs(60), 10);
        for key in 0..=10 {
            keyed.take(&key).unwrap();
        }
        keyed.take(&100).unwrap();
        assert_eq!(keyed.limiter.len(), 12);
        assert_eq!(keyed.sweep_at.load(Ordering::Relaxed), 22);
        assert_eq!(keyed.take(&0), Ok(()), "a burst of two");
        assert!(keyed.take(&0).is_err(), "the budget was kept");
    }

    #[test]
    fn zero_switches_the_limits_off() {
        let limiter = RateLimiter::new(RateLimits::default());
        for _ in 0..1000 {
            assert!(limiter.check(IP, Some("a")).is_ok());
        }
    }
}
