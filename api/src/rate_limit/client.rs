//! Who the client is (api.md §1.9): the socket peer, or behind `TRUST_PROXY` the
//! address our proxies appended to `X-Forwarded-For`; IPv6 clients keyed by their /64.

use std::net::IpAddr;

use poem::{Request, web::RemoteAddr};

use crate::config::TrustProxy;

/// The client's rate-limit key: its address (see [`client_address`]), an IPv6 one cut
/// to its /64, which one subscriber usually holds whole.
pub fn client_key(req: &Request, trust: &TrustProxy) -> String {
    match client_address(req, trust) {
        Some(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Some(IpAddr::V4(v4)) => v4.to_string(),
        None => req.remote_addr().to_string(),
    }
}

/// The client's address (api.md §1.9): the socket peer, unless `TRUST_PROXY` says the
/// peer is a proxy of ours; then `X-Forwarded-For` is read from the right, where our
/// proxies append, never from the left, which the client writes.
pub fn client_address(req: &Request, trust: &TrustProxy) -> Option<IpAddr> {
    let peer = match req.remote_addr() {
        RemoteAddr(poem::Addr::SocketAddr(addr)) => Some(addr.ip()),
        _ => None,
    };
    // Every X-Forwarded-For line, in order, as one list.
    let forwarded = || -> Vec<&str> {
        req.headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect()
    };
    match trust {
        TrustProxy::Off => peer,
        TrustProxy::Hops(hops) => {
            let chain = forwarded();
            if chain.is_empty() {
                return peer;
            }
            // With N proxies the peer is the last one and the client the N-th entry
            // from the right; a shorter chain was written by our proxies alone.
            let index = chain.len().saturating_sub(*hops);
            chain[index].parse().ok().or(peer)
        }
        TrustProxy::Proxies(proxies) => {
            let trusted = |ip: &IpAddr| proxies.iter().any(|net| net.contains(ip));
            if !peer.as_ref().is_some_and(trusted) {
                return peer;
            }
            let mut client = peer;
            for entry in forwarded().iter().rev() {
                match entry.parse::<IpAddr>() {
                    Ok(ip) => {
                        client = Some(ip);
                        if !trusted(&ip) {
                            break;
                        }
                    }
                    // Garbage where a proxy of ours should have written an address.
                    Err(_) => break,
                }
            }
            client
        }
    }
}
