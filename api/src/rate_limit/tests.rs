use poem::http::header::HeaderValue as Value_;

use super::*;
use crate::config::TrustProxy;
use poem::web::RemoteAddr;

fn request(peer: &str, forwarded: &[&str]) -> Request {
    let mut req = poem::http::Request::builder().body(()).unwrap();
    for line in forwarded {
        req.headers_mut()
            .append("x-forwarded-for", Value_::from_str(line).unwrap());
    }
    let addr: std::net::SocketAddr = peer.parse().unwrap();
    let (parts, ()) = req.into_parts();
    let parts = poem::RequestParts::from((
        parts,
        poem::web::LocalAddr(poem::Addr::SocketAddr(addr)),
        RemoteAddr(poem::Addr::SocketAddr(addr)),
        poem::http::uri::Scheme::HTTP,
    ));
    Request::from_parts(parts, poem::Body::empty())
}

#[test]
fn without_a_trusted_proxy_the_peer_is_the_client() {
    let req = request("203.0.113.7:5000", &["1.2.3.4"]);
    assert_eq!(client_key(&req, &TrustProxy::Off), "203.0.113.7");
}

/// Behind one proxy that appends, the client's own `X-Forwarded-For` entries are
/// to the left of what the proxy wrote: a spoofed value changes nothing.
#[test]
fn behind_n_proxies_the_client_is_read_from_the_right() {
    let one = TrustProxy::Hops(1);
    let honest = request("10.0.0.2:80", &["198.51.100.9"]);
    assert_eq!(client_key(&honest, &one), "198.51.100.9");
    for spoof in ["1.1.1.1", "1.1.1.1, 2.2.2.2", "garbage"] {
        let req = request("10.0.0.2:80", &[spoof, "198.51.100.9"]);
        assert_eq!(client_key(&req, &one), "198.51.100.9", "{spoof}");
        let req = request("10.0.0.2:80", &[&format!("{spoof}, 198.51.100.9")]);
        assert_eq!(client_key(&req, &one), "198.51.100.9", "{spoof}");
    }
    let two = TrustProxy::Hops(2);
    let req = request("10.0.0.2:80", &["6.6.6.6, 198.51.100.9, 10.0.0.1"]);
    assert_eq!(client_key(&req, &two), "198.51.100.9");
    let no_header = request("10.0.0.2:80", &[]);
    assert_eq!(client_key(&no_header, &one), "10.0.0.2");
}

#[test]
fn behind_listed_proxies_the_client_is_the_first_untrusted_from_the_right() {
    let trust = TrustProxy::Proxies(vec!["10.0.0.0/8".parse().unwrap()]);
    let req = request("10.0.0.2:80", &["6.6.6.6, 198.51.100.9, 10.1.2.3"]);
    assert_eq!(client_key(&req, &trust), "198.51.100.9");
    let direct = request("198.51.100.50:80", &["6.6.6.6"]);
    assert_eq!(
        client_key(&direct, &trust),
        "198.51.100.50",
        "a peer that is not our proxy is believed about nothing"
    );
}

#[test]
fn ipv6_clients_are_keyed_by_their_64() {
    let a = request("[2001:db8:aa:bb:1::1]:80", &[]);
    let b = request("[2001:db8:aa:bb:ffff::9]:80", &[]);
    let c = request("[2001:db8:aa:bc::1]:80", &[]);
    assert_eq!(client_key(&a, &TrustProxy::Off), "2001:db8:aa:bb::/64");
    assert_eq!(
        client_key(&a, &TrustProxy::Off),
        client_key(&b, &TrustProxy::Off)
    );
    assert_ne!(
        client_key(&a, &TrustProxy::Off),
        client_key(&c, &TrustProxy::Off)
    );
    let mapped = request("[::ffff:192.0.2.1]:80", &[]);
    assert_eq!(client_key(&mapped, &TrustProxy::Off), "192.0.2.1");
}

#[test]
fn an_account_slows_down_but_never_locks() {
    assert_eq!(slowdown(0), Duration::ZERO);
    assert_eq!(slowdown(SLOWDOWN_AFTER - 1), Duration::ZERO);
    assert_eq!(slowdown(SLOWDOWN_AFTER), SLOWDOWN_BASE);
    assert_eq!(slowdown(SLOWDOWN_AFTER + 1), SLOWDOWN_BASE * 2);
    assert_eq!(slowdown(1_000_000), SLOWDOWN_CAP);
}

/// 1M distinct keys (an attacker rotating addresses) against a cap of 100 000
/// counters: the map stays at its cap and this thread holds under 32 MB for it
/// (an unbounded map of the same keys needs well over 100 MB).
#[test]
fn a_flood_of_keys_stays_within_the_memory_bound() {
    let before = crate::test_alloc::live_bytes();
    let l = Limiters::new(true, &HashMap::new(), 100_000);
    for n in 0..1_000_000u32 {
        let key = format!("2001:db8:{:x}:{:x}::/64", n >> 16, n & 0xffff);
        assert!(l.hit("auth-register", &key).is_some());
    }
    let held = crate::test_alloc::live_bytes() - before;
    println!("{} counters, {held} bytes held", l.len());
    assert!(l.len() <= 110_000, "{} counters", l.len());
    assert!(held < 32 * 1024 * 1024, "{held} bytes held");
    // The hot key of a victim under the flood is still counted.
    let l = Limiters::new(true, &HashMap::new(), 1_000);
    for n in 0..100_000u32 {
        l.hit("ac-upload", "victim");
        l.hit("ac-upload", &n.to_string());
    }
    assert!(l.peek("ac-upload", "victim").unwrap().exceeded());
}

#[test]
fn limits_parse_from_configuration() {
    assert_eq!(parse("5/60s"), Some(limit(5, 60)));
    assert_eq!(parse("20/1h"), Some(limit(20, 3600)));
    assert_eq!(parse("5/15m"), Some(limit(5, 900)));
    for bad in ["", "5", "0/60s", "5/0s", "5/60", "5/60d", "x/60s"] {
        assert_eq!(parse(bad), None, "{bad}");
    }
    assert_eq!(variable("ac-generate"), "RATE_LIMIT_AC_GENERATE");
}

#[test]
fn a_fixed_window_counts_then_refuses_then_resets() {
    let overrides = HashMap::from([("ac-upload".to_owned(), limit(2, 60))]);
    let l = Limiters::new(true, &overrides, 1000);
    let now = 1_000;
    assert_eq!(l.apply("ac-upload", "u1", 1, now).unwrap().remaining, 1);
    assert_eq!(l.apply("ac-upload", "u1", 1, now).unwrap().remaining, 0);
    assert!(l.apply("ac-upload", "u1", 0, now).unwrap().exceeded());
    assert_eq!(
        l.apply("ac-upload", "u2", 0, now).unwrap().remaining,
        2,
        "per key"
    );
    let next = l.apply("ac-upload", "u1", 0, now + 60).unwrap();
    assert_eq!((next.remaining, next.reset), (2, now + 120), "a new window");
    assert_eq!(next.retry_after(now + 60), 60);
}

#[test]
fn switched_off_limiters_never_refuse() {
    let l = Limiters::new(false, &HashMap::new(), 1000);
    assert!(l.hit("ac-upload", "u1").is_none());
}

#[test]
fn routes_map_to_their_limiters() {
    assert_eq!(
        route_limiter(&Method::POST, "/api/auth/login"),
        Some(("auth-login-ip", Key::Login))
    );
    assert_eq!(
        route_limiter(
            &Method::POST,
            "/api/apps/avatar-creator/projects/p1/avatars/upload"
        ),
        Some(("ac-upload", Key::User))
    );
    assert_eq!(
        route_limiter(&Method::GET, "/api/apps/avatar-creator/projects"),
        None
    );
    assert_eq!(
        route_limiter(&Method::POST, "/api/apps/avatar-creator/projects/"),
        None
    );
}
