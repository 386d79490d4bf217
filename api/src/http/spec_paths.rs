//! What the OpenAPI document says about a request path, read once from the document the
//! router is built from: the methods it supports (the `Allow` header of a 405 answer,
//! which RFC 9110 §15.5.6 requires) and the query parameters each operation declares.

use std::sync::LazyLock;

use poem::{
    Response,
    http::{HeaderValue, StatusCode, header},
};
use serde_json::Value;

/// One path of the document: its segments (`None` for a `{parameter}`), its methods and
/// the query parameters of each.
struct PathMethods {
    segments: Vec<Option<String>>,
    allow: HeaderValue,
    /// (upper-case method, declared query parameter names)
    queries: Vec<(String, Vec<String>)>,
}

/// The order methods are listed in.
const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

static PATHS: LazyLock<Vec<PathMethods>> = LazyLock::new(|| {
    let spec: Value = serde_json::from_str(&crate::openapi::openapi_json()).unwrap_or_default();
    let Some(paths) = spec.get("paths").and_then(Value::as_object) else {
        return Vec::new();
    };
    paths
        .iter()
        .filter_map(|(path, operations)| {
            let operations = operations.as_object()?;
            let declared: Vec<String> = operations.keys().map(|m| m.to_ascii_uppercase()).collect();
            let queries = operations
                .iter()
                .map(|(method, operation)| {
                    let names = operation
                        .get("parameters")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter(|p| p.get("in").and_then(Value::as_str) == Some("query"))
                        .filter_map(|p| p.get("name").and_then(Value::as_str).map(str::to_owned))
                        .collect();
                    (method.to_ascii_uppercase(), names)
                })
                .collect();
            // poem answers HEAD wherever GET is routed.
            let allowed: Vec<&str> = METHODS
                .into_iter()
                .filter(|m| {
                    declared.iter().any(|d| d == m)
                        || (*m == "HEAD" && declared.iter().any(|d| d == "GET"))
                })
                .collect();
            Some(PathMethods {
                segments: segments(path)
                    .map(|s| (!(s.starts_with('{') && s.ends_with('}'))).then(|| s.to_owned()))
                    .collect(),
                allow: HeaderValue::from_str(&allowed.join(", ")).ok()?,
                queries,
            })
        })
        .collect()
});

fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

/// The document's path matching `path`; of several, the most specific (most literal
/// segments) wins, as in the router.
fn matching(path: &str) -> Option<&'static PathMethods> {
    let wanted: Vec<&str> = segments(path).collect();
    PATHS
        .iter()
        .filter(|p| {
            p.segments.len() == wanted.len()
                && p.segments
                    .iter()
                    .zip(&wanted)
                    .all(|(s, w)| s.as_deref().is_none_or(|literal| literal == *w))
        })
        .max_by_key(|p| p.segments.iter().filter(|s| s.is_some()).count())
}

/// The methods `path` supports, as an `Allow` value.
pub fn allowed(path: &str) -> Option<HeaderValue> {
    matching(path).map(|p| p.allow.clone())
}

/// Whether the operation `method path` declares the query parameter `name`.
pub fn declares_query(method: &str, path: &str, name: &str) -> bool {
    matching(path).is_some_and(|p| {
        p.queries
            .iter()
            .any(|(m, names)| m == method && names.iter().any(|n| n == name))
    })
}

/// Adds `Allow` to a 405 answer for `path`.
pub fn add_to_405(response: &mut Response, path: &str) {
    if response.status() == StatusCode::METHOD_NOT_ALLOWED
        && let Some(allow) = allowed(path)
    {
        response.headers_mut().insert(header::ALLOW, allow);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_the_methods_of_the_matching_path() {
        let allow = |p: &str| allowed(p).map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(
            allow("/api/apps/avatar-creator/projects").as_deref(),
            Some("GET, HEAD, POST")
        );
        assert_eq!(
            allow("/api/apps/avatar-creator/projects/abc").as_deref(),
            Some("GET, HEAD, PUT, DELETE")
        );
        assert_eq!(allow("/api/health").as_deref(), Some("GET, HEAD"));
        // A literal path beats a parameter in the same place.
        assert_eq!(
            allow("/api/apps/pose-generator/admin/pose-requests/stats").as_deref(),
            Some("GET, HEAD")
        );
        assert_eq!(allow("/api/nothing-here"), None);
    }

    #[test]
    fn knows_each_operations_query_parameters() {
        let library = "/api/apps/pose-generator/library";
        assert!(declares_query("GET", library, "search"));
        assert!(!declares_query("GET", library, "nonsense"));
        assert!(!declares_query("POST", library, "search"));
        assert!(!declares_query(
            "GET",
            "/api/apps/pose-generator/library/p1",
            "search"
        ));
    }
}
