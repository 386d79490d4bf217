//! What a user pays: the listed price, or nothing for users tagged
//! `enterprise_unlimited` (api.md §8.2.4).

/// Whether `users.userTags` (JSON text, an array of strings) contains
/// `enterprise_unlimited`. Malformed JSON means no tags (api.md §8.2.4).
pub fn is_enterprise_unlimited(user_tags: Option<&str>) -> bool {
    user_tags
        .and_then(|text| serde_json::from_str::<Vec<serde_json::Value>>(text).ok())
        .is_some_and(|tags| tags.iter().any(|t| t == "enterprise_unlimited"))
}

/// What `user` pays for an action listed at `price`: nothing when tagged
/// `enterprise_unlimited` (api.md §8.2.4).
pub fn price_for(user: &entity::users::Model, price: i32) -> i32 {
    if is_enterprise_unlimited(user.user_tags.as_deref()) {
        0
    } else {
        price
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enterprise_tag_is_read_from_json_text() {
        assert!(is_enterprise_unlimited(Some(
            r#"["beta","enterprise_unlimited"]"#
        )));
        assert!(!is_enterprise_unlimited(Some(r#"["beta"]"#)));
        assert!(!is_enterprise_unlimited(Some("enterprise_unlimited")));
        assert!(!is_enterprise_unlimited(Some(
            r#"{"enterprise_unlimited":true}"#
        )));
        assert!(!is_enterprise_unlimited(None));
    }
}
