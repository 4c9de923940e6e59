//! Rate limits per client address and per bearer token: token buckets kept
//! in memory on each node (a cluster of N nodes allows up to N times the rate;
//! the limit is a guard against runaway clients, not a quota).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Key {
    Address(IpAddr),
    /// A digest of the token: the secret itself is never kept.
    Token([u8; 16]),
}

struct Bucket {
    tokens: f64,
    refilled: Instant,
}

pub struct RateLimiter {
    limits: RateLimits,
    /// The period the rates are counted over (one second unless made with
    /// [`RateLimiter::per_minute`]).
    period: Duration,
    buckets: Mutex<HashMap<Key, Bucket>>,
}

/// Buckets beyond this many are swept of idle entries.
const SWEEP_AT: usize = 100_000;

impl RateLimiter {
    pub fn new(limits: RateLimits) -> Self {
        RateLimiter {
            limits,
            period: Duration::from_secs(1),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// A limiter whose rates count requests per minute (bursts of twice
    /// that): for costly operations such as signing up or signing in.
    pub fn per_minute(limits: RateLimits) -> Self {
        RateLimiter {
            period: Duration::from_secs(60),
            ..RateLimiter::new(limits)
        }
    }

    /// The client's address (see [`ProxyTrust::client`]).
    pub fn client_address(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        self.limits.proxies.client(peer, headers)
    }

    /// Takes one request from the address's and the token's buckets; on
    /// refusal, says when to retry.
    pub fn check(&self, address: Option<IpAddr>, bearer: Option<&str>) -> Result<(), Duration> {
        let mut keys = Vec::with_capacity(2);
        if let (Some(ip), n) = (address, self.limits.per_address)
            && n > 0
        {
            keys.push((Key::Address(ip), n));
        }
        // Only strings shaped like our tokens get a bucket: random garbage
        // must not grow the map (the address limit covers its sender).
        if let (Some(token), n) = (bearer, self.limits.per_token)
            && n > 0
            && token.len() <= 128
            && ["lkp_", "lkt_", "lks_"]
                .iter()
                .any(|p| token.starts_with(p))
        {
            let digest = Sha256::digest(token.as_bytes());
            let mut short = [0u8; 16];
            short.copy_from_slice(&digest[..16]);
            keys.push((Key::Token(short), n));
        }
        if keys.is_empty() {
            return Ok(());
        }
        let now = Instant::now();
        let Ok(mut buckets) = self.buckets.lock() else {
            return Ok(());
        };
        if buckets.len() > SWEEP_AT {
            buckets.retain(|_, b| now.duration_since(b.refilled) < Duration::from_secs(60));
        }
        for (key, rate) in keys {
            let per_second = f64::from(rate) / self.period.as_secs_f64();
            let burst = f64::from(rate) * 2.0;
            let rate = per_second;
            let bucket = buckets.entry(key).or_insert(Bucket {
                tokens: burst,
                refilled: now,
            });
            let elapsed = now.duration_since(bucket.refilled).as_secs_f64();
            bucket.tokens = (bucket.tokens + elapsed * rate).min(burst);
            bucket.refilled = now;
            if bucket.tokens < 1.0 {
                return Err(Duration::from_secs_f64((1.0 - bucket.tokens) / rate)
                    .max(Duration::from_secs(1)));
            }
            bucket.tokens -= 1.0;
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

    #[test]
    fn zero_switches_the_limits_off() {
        let limiter = RateLimiter::new(RateLimits::default());
        for _ in 0..1000 {
            assert!(limiter.check(IP, Some("a")).is_ok());
        }
    }
}
