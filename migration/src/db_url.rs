//! Database URLs carry passwords, as `user:password@` or as a `?password=` parameter.
//! [`redacted`] is what may be printed or logged; [`split_password`] hands a client
//! program (`pg_dump`) the URL without it, so the password travels in `PGPASSWORD`
//! and never appears on a command line (readable by anyone in `/proc/*/cmdline`).

const MASK: &str = "[redacted]";

/// Whether a query parameter holds a secret (`password`, `sslpassword`, …).
fn is_secret_key(key: &str) -> bool {
    key.to_ascii_lowercase().ends_with("password")
}

/// Byte ranges of `url`'s secrets: the password of `scheme://user:password@host` and
/// the values of `…password=` query parameters.
fn secret_ranges(url: &str) -> Vec<std::ops::Range<usize>> {
    let mut ranges = Vec::new();
    let Some(scheme_end) = url.find("://") else {
        return ranges;
    };
    let authority_start = scheme_end + 3;
    let rest = &url[authority_start..];
    let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_len];
    if let Some(at) = authority.rfind('@')
        && let Some(colon) = authority[..at].find(':')
    {
        ranges.push(authority_start + colon + 1..authority_start + at);
    }
    if let Some(query_start) = url.find('?') {
        let query_end = url[query_start..]
            .find('#')
            .map_or(url.len(), |i| query_start + i);
        let mut offset = query_start + 1;
        for pair in url[query_start + 1..query_end].split('&') {
            if let Some((key, _)) = pair.split_once('=')
                && is_secret_key(key)
            {
                ranges.push(offset + key.len() + 1..offset + pair.len());
            }
            offset += pair.len() + 1;
        }
    }
    ranges
}

/// `url` with every password replaced by `[redacted]`.
pub fn redacted(url: &str) -> String {
    let mut out = url.to_owned();
    for range in secret_ranges(url).into_iter().rev() {
        out.replace_range(range, MASK);
    }
    out
}

/// `url` without its password, and the password (percent-decoded) if there was one.
/// A `?password=` parameter is removed with its `&`; `user:password@` becomes `user@`.
pub fn split_password(url: &str) -> (String, Option<String>) {
    let ranges = secret_ranges(url);
    let Some(first) = ranges.first() else {
        return (url.to_owned(), None);
    };
    let password = percent_decode(&url[first.clone()]);
    let mut out = url.to_owned();
    for range in ranges.into_iter().rev() {
        if out[..range.start].ends_with(':') && out[range.end..].starts_with('@') {
            // user:password@ → user@
            out.replace_range(range.start - 1..range.end, "");
        } else {
            // Remove the whole `key=value` pair and one separator.
            let pair_start = out[..range.start].rfind(['?', '&']).map_or(0, |i| i + 1);
            let mut pair_end = range.end;
            if out[pair_end..].starts_with('&') {
                pair_end += 1;
            } else if out[..pair_start].ends_with('&') {
                out.replace_range(pair_start - 1..pair_end, "");
                continue;
            }
            out.replace_range(pair_start..pair_end, "");
        }
    }
    let out = out.trim_end_matches('?').to_owned();
    (out, Some(password))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(byte) = u8::from_str_radix(&text[i + 1..i + 3], 16)
        {
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted_in_the_authority_and_the_query() {
        assert_eq!(
            redacted("postgresql://app:s3cret@db:5432/app?sslmode=require"),
            "postgresql://app:[redacted]@db:5432/app?sslmode=require"
        );
        assert_eq!(
            redacted("postgres://app@db/app?sslmode=require&password=s3cret&x=1"),
            "postgres://app@db/app?sslmode=require&password=[redacted]&x=1"
        );
        assert_eq!(
            redacted("postgres://app:a@db/app?PASSWORD=b&sslpassword=c"),
            "postgres://app:[redacted]@db/app?PASSWORD=[redacted]&sslpassword=[redacted]"
        );
        assert_eq!(
            redacted("sqlite://./data/app.db?mode=rwc"),
            "sqlite://./data/app.db?mode=rwc"
        );
    }

    #[test]
    fn the_password_is_split_off_for_the_environment() {
        assert_eq!(
            split_password("postgres://app:p%40ss@db:5432/app?sslmode=require"),
            (
                "postgres://app@db:5432/app?sslmode=require".to_owned(),
                Some("p@ss".to_owned())
            )
        );
        assert_eq!(
            split_password("postgres://app@db/app?password=s3cret&sslmode=require"),
            (
                "postgres://app@db/app?sslmode=require".to_owned(),
                Some("s3cret".to_owned())
            )
        );
        assert_eq!(
            split_password("postgres://app@db/app?sslmode=require&password=s3cret"),
            (
                "postgres://app@db/app?sslmode=require".to_owned(),
                Some("s3cret".to_owned())
            )
        );
        assert_eq!(
            split_password("postgres://app@db/app?password=s3cret"),
            (
                "postgres://app@db/app".to_owned(),
                Some("s3cret".to_owned())
            )
        );
        assert_eq!(
            split_password("postgres://app@db/app"),
            ("postgres://app@db/app".to_owned(), None)
        );
    }
}
