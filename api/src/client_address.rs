//! Which address a request comes from, for the per-address rate limits.
//!
//! `X-Forwarded-For` is a list each proxy appends to: the entry on the right
//! was written by the proxy nearest to us, every entry left of an untrusted
//! hop by whoever sent it, so possibly invented. The client is found by
//! walking from the right, as nginx's `real_ip_recursive` does: past our
//! own proxies, to the first address none of them is.

use std::net::IpAddr;

use ipnet::IpNet;
use poem::http::HeaderMap;

/// Which hops in front of this service are ours.
#[derive(Debug, Clone, Default)]
pub struct ProxyTrust {
    /// Exactly one proxy sits in front and appends the address it saw
    /// (`trust_forwarded_for`): the peer is trusted, whatever its address.
    pub one_proxy: bool,
    /// Networks whose addresses are our proxies (`trusted_proxies`), for a
    /// chain of them.
    pub networks: Vec<IpNet>,
}

impl ProxyTrust {
    fn trusts(&self, ip: IpAddr) -> bool {
        self.networks.iter().any(|n| n.contains(&ip))
    }

    /// The client's address: the peer's, unless the peer is a trusted proxy;
    /// then the rightmost `X-Forwarded-For` entry that is not a trusted
    /// proxy (every header line counts, in order). An entry that is not an
    /// address ends the walk at the hop that reported it: what lies further
    /// left was not written by one of ours.
    pub fn client(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        if !self.one_proxy && !peer.is_some_and(|p| self.trusts(p)) {
            return peer;
        }
        let lines: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        let mut client = peer;
        for entry in lines.iter().rev().flat_map(|line| line.rsplit(',')) {
            let Ok(ip) = entry.trim().parse::<IpAddr>() else {
                break;
            };
            client = Some(ip);
            if !self.trusts(ip) {
                break;
            }
        }
        client
    }
}

/// `trusted_proxies` as set: addresses or networks, separated by commas.
pub fn parse_networks(list: &str) -> Result<Vec<IpNet>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    format!("`{s}` is neither an address nor a network such as 10.0.0.0/8")
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use poem::http::HeaderValue;

    use super::*;

    const PEER: &str = "10.0.0.1";

    fn ip(s: &str) -> Option<IpAddr> {
        s.parse().ok()
    }

    fn forwarded(lines: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for line in lines {
            headers.append("x-forwarded-for", HeaderValue::from_str(line).unwrap());
        }
        headers
    }

    fn one_proxy() -> ProxyTrust {
        ProxyTrust {
            one_proxy: true,
            networks: Vec::new(),
        }
    }

    fn chain(networks: &str) -> ProxyTrust {
        ProxyTrust {
            one_proxy: false,
            networks: parse_networks(networks).unwrap(),
        }
    }

    #[test]
    fn without_trust_the_peer_is_the_client() {
        let headers = forwarded(&["203.0.113.7"]);
        assert_eq!(ProxyTrust::default().client(ip(PEER), &headers), ip(PEER));
    }

    #[test]
    fn behind_one_proxy_the_last_entry_is_the_client() {
        let headers = forwarded(&["198.51.100.99, 203.0.113.7"]);
        assert_eq!(one_proxy().client(ip(PEER), &headers), ip("203.0.113.7"));
    }

    #[test]
    fn entries_the_client_wrote_cannot_change_its_address() {
        for spoofed in [
            "1.2.3.4, 203.0.113.7",
            "garbage, 203.0.113.7",
            ", 203.0.113.7",
        ] {
            let headers = forwarded(&[spoofed]);
            assert_eq!(
                one_proxy().client(ip(PEER), &headers),
                ip("203.0.113.7"),
                "{spoofed}"
            );
        }
    }

    #[test]
    fn a_later_header_line_is_nearer_than_an_earlier_one() {
        let headers = forwarded(&["1.2.3.4", "203.0.113.7"]);
        assert_eq!(one_proxy().client(ip(PEER), &headers), ip("203.0.113.7"));
    }

    #[test]
    fn an_entry_that_is_no_address_stops_at_the_proxy_that_reported_it() {
        let headers = forwarded(&["garbage"]);
        assert_eq!(one_proxy().client(ip(PEER), &headers), ip(PEER));
    }

    #[test]
    fn a_chain_of_trusted_proxies_is_walked_from_the_right() {
        let proxies = chain("10.0.0.0/8, 192.168.1.5");
        let headers = forwarded(&["1.2.3.4, 203.0.113.7, 192.168.1.5, 10.1.1.1"]);
        assert_eq!(proxies.client(ip(PEER), &headers), ip("203.0.113.7"));
    }

    #[test]
    fn a_peer_outside_the_trusted_networks_is_the_client() {
        let proxies = chain("10.0.0.0/8");
        let headers = forwarded(&["203.0.113.7"]);
        assert_eq!(
            proxies.client(ip("198.51.100.1"), &headers),
            ip("198.51.100.1")
        );
    }

    #[test]
    fn when_every_entry_is_a_trusted_proxy_the_leftmost_is_the_client() {
        let proxies = chain("10.0.0.0/8");
        let headers = forwarded(&["10.2.2.2, 10.1.1.1"]);
        assert_eq!(proxies.client(ip(PEER), &headers), ip("10.2.2.2"));
    }

    #[test]
    fn a_bad_network_is_named() {
        let err = parse_networks("10.0.0.0/8, nonsense").unwrap_err();
        assert!(err.contains("`nonsense`"), "{err}");
        assert_eq!(parse_networks(" ").unwrap(), Vec::<IpNet>::new());
    }
}
