//! The persona and visual fields shared by upload, generate and avatar update
//! (api.md §6.0): trimmed, an empty string is null, bounded lengths, two enums.

use super::avatars::AvatarFields;
use crate::error::FieldErrors;

pub const GENDERS: [&str; 3] = ["male", "female", "unisex"];
pub const AGE_RANGES: [&str; 3] = ["young", "adult", "mature"];
/// The free-text visual fields, at most 50 characters each.
pub const FREE_TEXT: [&str; 7] = [
    "ethnicity",
    "bodyType",
    "hairStyle",
    "hairColor",
    "eyeColor",
    "skinTone",
    "style",
];

/// Trims; an empty string becomes `None`; longer than `max` characters is an error.
pub fn text(
    errors: &mut FieldErrors,
    field: &str,
    raw: Option<&str>,
    max: usize,
) -> Option<String> {
    let value = raw.map(str::trim).filter(|v| !v.is_empty())?;
    if value.chars().count() > max {
        errors.add(field, format!("Must be at most {max} characters"));
        return None;
    }
    Some(value.to_owned())
}

/// One of `allowed`, with api.md's message otherwise.
pub fn one_of(
    errors: &mut FieldErrors,
    field: &str,
    raw: Option<&str>,
    allowed: &[&str],
) -> Option<String> {
    let value = raw.map(str::trim).filter(|v| !v.is_empty())?;
    if allowed.contains(&value) {
        Some(value.to_owned())
    } else {
        let expected: Vec<String> = allowed.iter().map(|a| format!("'{a}'")).collect();
        errors.add(
            field,
            format!("Invalid enum value. Expected {}", expected.join(" | ")),
        );
        None
    }
}

pub fn age(errors: &mut FieldErrors, raw: Option<i32>) -> Option<i32> {
    let age = raw?;
    if (1..=120).contains(&age) {
        Some(age)
    } else {
        errors.add("personaAge", "Must be between 1 and 120");
        None
    }
}

/// At most 10 traits, each 1..50 characters after trimming; stored as compact JSON.
pub fn personality(errors: &mut FieldErrors, raw: Option<&[String]>) -> Option<String> {
    let traits = raw?;
    if traits.len() > 10 {
        errors.add("personaPersonality", "At most 10 traits");
        return None;
    }
    let mut clean = Vec::with_capacity(traits.len());
    for (i, t) in traits.iter().enumerate() {
        let t = t.trim();
        let n = t.chars().count();
        if n == 0 || n > 50 {
            errors.add(
                format!("personaPersonality[{i}]"),
                "Must be 1 to 50 characters",
            );
        } else {
            clean.push(t.to_owned());
        }
    }
    if clean.len() != traits.len() {
        return None;
    }
    Some(serde_json::to_string(&clean).expect("strings serialize"))
}

/// The text-valued persona and visual fields of a create request (upload, generate),
/// as received.
#[derive(Debug, Clone, Copy, Default)]
pub struct Texts<'a> {
    pub persona_name: Option<&'a str>,
    pub persona_background: Option<&'a str>,
    pub gender: Option<&'a str>,
    pub age_range: Option<&'a str>,
    pub ethnicity: Option<&'a str>,
    pub body_type: Option<&'a str>,
    pub hair_style: Option<&'a str>,
    pub hair_color: Option<&'a str>,
    pub eye_color: Option<&'a str>,
    pub skin_tone: Option<&'a str>,
    pub style: Option<&'a str>,
}

/// Validates [`Texts`] by the rules above. The name, age and personality are left
/// empty for the caller, whose request carries them in its own shape.
pub fn texts(errors: &mut FieldErrors, t: Texts<'_>) -> AvatarFields {
    let mut free = |field: &str, raw: Option<&str>| text(errors, field, raw, 50);
    let ethnicity = free("ethnicity", t.ethnicity);
    let body_type = free("bodyType", t.body_type);
    let hair_style = free("hairStyle", t.hair_style);
    let hair_color = free("hairColor", t.hair_color);
    let eye_color = free("eyeColor", t.eye_color);
    let skin_tone = free("skinTone", t.skin_tone);
    let style = free("style", t.style);
    AvatarFields {
        persona_name: text(errors, "personaName", t.persona_name, 100),
        persona_background: text(errors, "personaBackground", t.persona_background, 500),
        gender: one_of(errors, "gender", t.gender, &GENDERS),
        age_range: one_of(errors, "ageRange", t.age_range, &AGE_RANGES),
        ethnicity,
        body_type,
        hair_style,
        hair_color,
        eye_color,
        skin_tone,
        style,
        ..AvatarFields::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_empty_is_null_and_bounded() {
        let mut e = FieldErrors::new();
        assert_eq!(
            text(&mut e, "style", Some("  casual "), 50),
            Some("casual".into())
        );
        assert_eq!(text(&mut e, "style", Some("   "), 50), None);
        assert!(e.is_empty());
        assert_eq!(text(&mut e, "style", Some(&"x".repeat(51)), 50), None);
        assert!(!e.is_empty());
    }

    #[test]
    fn enums_name_the_allowed_values() {
        let mut e = FieldErrors::new();
        assert_eq!(
            one_of(&mut e, "gender", Some("female"), &GENDERS),
            Some("female".into())
        );
        assert_eq!(one_of(&mut e, "gender", Some("robot"), &GENDERS), None);
        let err = crate::avatar_creator::error::AvatarCreatorError::Invalid(e);
        assert_eq!(
            err.to_string(),
            "gender: Invalid enum value. Expected 'male' | 'female' | 'unisex'"
        );
    }

    #[test]
    fn personality_is_compact_json_of_trimmed_traits() {
        let mut e = FieldErrors::new();
        let traits = vec![" professional ".to_owned(), "confident".to_owned()];
        assert_eq!(
            personality(&mut e, Some(&traits)).as_deref(),
            Some(r#"["professional","confident"]"#)
        );
        let too_many: Vec<String> = (0..11).map(|i| format!("t{i}")).collect();
        assert_eq!(personality(&mut e, Some(&too_many)), None);
        assert!(!e.is_empty());
    }
}
