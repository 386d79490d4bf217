//! Field rules both apps share: a project's name and description (api.md §6.2, §7.2).

/// A validated project name: trimmed, inner whitespace collapsed, 1..100 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectName(String);

impl ProjectName {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        match name.chars().count() {
            0 => Err("Project name is required"),
            n if n > 100 => Err("Project name must be at most 100 characters"),
            _ => Ok(Self(name)),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A validated description: trimmed, at most 500 characters; empty means none.
pub fn parse_description(raw: &str) -> Result<Option<String>, &'static str> {
    let text = raw.trim();
    if text.is_empty() {
        Ok(None)
    } else if text.chars().count() > 500 {
        Err("Description must be at most 500 characters")
    } else {
        Ok(Some(text.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_collapsed_and_bounded() {
        assert_eq!(
            ProjectName::parse("  Brand   Ambassadors \n")
                .unwrap()
                .into_inner(),
            "Brand Ambassadors"
        );
        assert_eq!(ProjectName::parse("   "), Err("Project name is required"));
        assert!(ProjectName::parse(&"é".repeat(100)).is_ok());
        assert!(ProjectName::parse(&"é".repeat(101)).is_err());
    }

    #[test]
    fn descriptions_are_trimmed_and_empty_means_none() {
        assert_eq!(parse_description("  Q4  "), Ok(Some("Q4".into())));
        assert_eq!(parse_description("   "), Ok(None));
        assert!(parse_description(&"x".repeat(501)).is_err());
    }
}
