//! Answers kept under the validator they were read with (api.md §1.3).
//!
//! A handler whose answer has a [`super::conditional::Validator`] read from the
//! database on every request (`avatar_creator::project_list`) may keep the bytes it
//! wrote, one page per key (the caller), together with that validator's tag. The next
//! request reads the validator again — the small statement the `304` path runs anyway —
//! and when the tag is the same, the page is sent from here without reading the rows or
//! writing JSON. A write anywhere, in any process, changes the validator in the
//! database, so a kept page is never served after its data changed; no invalidation
//! message is needed between replicas.
//!
//! The tag and the page must come from one snapshot of the data (one statement, or one
//! transaction): a page newer than its tag could be served again after a later write
//! brings the validator back to that tag (a project created, then deleted).
//!
//! Bounded like everything a client can make the server hold: at most `PAGE_CACHE_MB`
//! in all (32 MiB; 0 keeps nothing), least recently used first out, and a page over
//! [`MAX_PAGE_BYTES`] is not kept (one user with a huge list cannot push everyone
//! else's out).

use std::sync::Arc;

use hyper::body::Bytes;
use quick_cache::{Weighter, sync::Cache};

/// A page larger than this is written again on every request.
pub const MAX_PAGE_BYTES: usize = 1024 * 1024;

#[derive(Clone)]
struct Page {
    tag: Arc<str>,
    body: Bytes,
}

#[derive(Clone)]
struct ByLength;

impl Weighter<String, Page> for ByLength {
    fn weight(&self, key: &String, page: &Page) -> u64 {
        (key.len() + page.tag.len() + page.body.len()) as u64
    }
}

/// One page per key, with the tag of the validator it was read with; `None` when the
/// operator keeps none.
pub struct PageCache {
    pages: Option<Cache<String, Page, ByLength>>,
}

impl PageCache {
    /// At most `max_bytes` of pages; 0 keeps none.
    pub fn new(max_bytes: u64) -> Self {
        Self {
            pages: (max_bytes > 0).then(|| Cache::with_weighter(4096, max_bytes, ByLength)),
        }
    }

    /// Whether a page is kept for `key`, whatever its tag: the caller is likely to get
    /// it from here, so its statement can leave the page out.
    pub fn holds(&self, key: &str) -> bool {
        self.pages.as_ref().is_some_and(|p| p.peek(key).is_some())
    }

    /// The page kept for `key`, if it was read with the validator whose tag is `tag`.
    pub fn get(&self, key: &str, tag: &str) -> Option<Bytes> {
        self.pages
            .as_ref()?
            .get(key)
            .filter(|page| &*page.tag == tag)
            .map(|page| page.body)
    }

    /// Keeps `body`, read in the same snapshot as the validator whose tag is `tag`, in
    /// place of whatever `key` had.
    pub fn put(&self, key: &str, tag: &str, body: Bytes) {
        let Some(pages) = &self.pages else { return };
        if body.len() > MAX_PAGE_BYTES {
            pages.remove(key);
            return;
        }
        pages.insert(
            key.to_owned(),
            Page {
                tag: tag.into(),
                body,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_served_only_under_its_own_tag() {
        let cache = PageCache::new(32 * 1024 * 1024);
        assert!(!cache.holds("u1"));
        cache.put("u1", "pl-a", Bytes::from_static(b"{\"projects\":[]}"));
        assert!(cache.holds("u1"));
        assert_eq!(
            cache.get("u1", "pl-a").as_deref(),
            Some(&b"{\"projects\":[]}"[..])
        );
        assert_eq!(cache.get("u1", "pl-b"), None);
        assert_eq!(cache.get("u2", "pl-a"), None);
        // A newer page replaces the older one.
        cache.put("u1", "pl-b", Bytes::from_static(b"{}"));
        assert_eq!(cache.get("u1", "pl-a"), None);
        assert_eq!(cache.get("u1", "pl-b").as_deref(), Some(&b"{}"[..]));
    }

    #[test]
    fn memory_is_bounded() {
        let cache = PageCache::new(256 * 1024);
        let page = Bytes::from(vec![b'x'; 10 * 1024]);
        for user in 0..1000 {
            cache.put(&format!("user-{user}"), "pl-a", page.clone());
        }
        let weight = cache.pages.as_ref().unwrap().weight();
        assert!(weight <= 256 * 1024, "{weight}");
        // Too big to keep: not kept, and the user's older page goes too.
        cache.put(
            "user-999",
            "pl-b",
            Bytes::from(vec![b'x'; MAX_PAGE_BYTES + 1]),
        );
        assert!(!cache.holds("user-999"));
    }

    #[test]
    fn zero_keeps_nothing() {
        let cache = PageCache::new(0);
        cache.put("u1", "pl-a", Bytes::from_static(b"{}"));
        assert!(!cache.holds("u1"));
        assert_eq!(cache.get("u1", "pl-a"), None);
    }
}
