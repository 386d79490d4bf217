//! Prompt rules and construction for pose generation (api.md §8.5, §8.9): the
//! forbidden-term rule, the "describes a pose" rule of text mode, the prompts sent to
//! the provider, and the per-variation seed.

use sha2::{Digest, Sha256};

pub use crate::providers::QUALITY_SUFFIX;

pub const RESTRICTED: &str =
    "Your prompt contains inappropriate or restricted content. Please revise your prompt.";
pub const NOT_A_POSE: &str = "Please describe a pose or body position. Your prompt should include keywords like \"pose\", \"standing\", \"sitting\", \"arms\", \"hands\", etc.";

/// Matched case-insensitively on word boundaries.
const FORBIDDEN: &[&str] = &[
    // explicit content
    "nude",
    "naked",
    "nsfw",
    "explicit",
    "porn",
    "pornographic",
    "sexual",
    "sex",
    "sexy",
    "xxx",
    "erotic",
    "hentai",
    "lewd",
    // copyrighted characters
    "mickey mouse",
    "minnie mouse",
    "donald duck",
    "spiderman",
    "spider-man",
    "superman",
    "batman",
    "wonder woman",
    "iron man",
    "captain america",
    "hulk",
    "thor",
    "pokemon",
    "pikachu",
    "naruto",
    "goku",
    "sonic",
    "mario",
    "luigi",
    "zelda",
    "hello kitty",
    "spongebob",
    // hateful, violent and drug content
    "hitler",
    "nazi",
    "terrorist",
    "terrorism",
    "violence",
    "violent",
    "gore",
    "bloody",
    "murder",
    "kill",
    "killing",
    "suicide",
    "drug",
    "drugs",
    "cocaine",
    "heroin",
    "meth",
];

/// A text-mode prompt must contain one of these (substring, case-insensitive).
const POSE_WORDS: &[&str] = &[
    "pose",
    "posing",
    "position",
    "posture",
    "stance",
    "gesture",
    "body",
    "standing",
    "stand",
    "upright",
    "sitting",
    "sit",
    "seated",
    "chair",
    "walking",
    "walk",
    "running",
    "run",
    "jumping",
    "jump",
    "reaching",
    "reach",
    "stretching",
    "stretch",
    "leaning",
    "lean",
    "arms",
    "hands",
    "waving",
    "wave",
    "pointing",
    "point",
    "crossed arms",
    "hands on hips",
    "professional",
    "business",
    "formal",
    "confident",
    "casual",
    "relaxed",
    "natural",
    "comfortable",
    "full body",
    "full-body",
    "whole body",
    "upper body",
    "lower body",
];

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Whether `text` contains a forbidden term as a whole word (or phrase): `skill`
/// does not match `kill`, `author` does not match `thor`.
pub fn has_forbidden_term(text: &str) -> bool {
    let lower = text.to_lowercase();
    FORBIDDEN.iter().any(|term| {
        lower.match_indices(term).any(|(at, _)| {
            let before = lower[..at].chars().next_back();
            let after = lower[at + term.len()..].chars().next();
            !before.is_some_and(is_word_char) && !after.is_some_and(is_word_char)
        })
    })
}

/// Whether a text-mode prompt describes a pose.
pub fn describes_pose(text: &str) -> bool {
    let lower = text.to_lowercase();
    POSE_WORDS.iter().any(|word| lower.contains(word))
}

/// `{gender, ageRange, ethnicity, style}` of the effective avatar, as snapshotted.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AvatarAttributes {
    pub gender: Option<String>,
    pub age_range: Option<String>,
    pub ethnicity: Option<String>,
    pub style: Option<String>,
}

impl AvatarAttributes {
    /// `gender, <age phrase>, <ethnicity> ethnicity, wearing <style> attire`, empty
    /// parts skipped.
    pub fn phrase(&self) -> String {
        let age = self.age_range.as_deref().map(|range| match range {
            "young" => "young adult (20-30 years old)".to_owned(),
            "adult" => "adult (30-50 years old)".to_owned(),
            "mature" => "mature adult (50+ years old)".to_owned(),
            other => other.to_owned(),
        });
        [
            self.gender.clone(),
            age,
            self.ethnicity.as_ref().map(|e| format!("{e} ethnicity")),
            self.style.as_ref().map(|s| format!("wearing {s} attire")),
        ]
        .into_iter()
        .flatten()
        .filter(|part| !part.trim().is_empty())
        .collect::<Vec<_>>()
        .join(", ")
    }
}

fn join(parts: &[&str]) -> String {
    parts
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Gallery mode: `<prefix or 'professional portrait'>, <pose name>, <pose description>,
/// <avatar attributes>, full body photo, <quality suffix>`.
pub fn gallery_prompt(
    prefix: Option<&str>,
    pose_name: &str,
    pose_description: Option<&str>,
    attributes: &AvatarAttributes,
) -> String {
    let prefix = prefix
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .unwrap_or("professional portrait");
    join(&[
        prefix,
        pose_name,
        pose_description.unwrap_or(""),
        &attributes.phrase(),
        "full body photo",
        QUALITY_SUFFIX,
    ])
}

/// Text mode: `<textPrompt>, <avatar attributes>, <quality suffix>`.
pub fn text_prompt(prompt: &str, attributes: &AvatarAttributes) -> String {
    join(&[prompt, &attributes.phrase(), QUALITY_SUFFIX])
}

/// The first 31 bits of SHA-256 of `<generationId>:<variationKey>`: the same variation
/// always gets the same seed, across retries and workers.
pub fn variation_seed(generation_id: &str, variation_key: &str) -> u32 {
    let digest = Sha256::digest(format!("{generation_id}:{variation_key}").as_bytes());
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]) >> 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forbidden_terms_match_whole_words_only() {
        for bad in [
            "A NUDE portrait",
            "like Spider-Man",
            "iron man standing",
            "kill pose",
            "batman.",
        ] {
            assert!(has_forbidden_term(bad), "{bad}");
        }
        for ok in [
            "skill showcase pose",
            "author at a desk",
            "thorough posture",
            "Sussex coast",
            "metholodgy",
        ] {
            assert!(!has_forbidden_term(ok), "{ok}");
        }
    }

    #[test]
    fn text_mode_needs_a_pose_word() {
        assert!(describes_pose("Standing with ARMS raised"));
        assert!(describes_pose("a confident founder"));
        assert!(!describes_pose("a red apple on a table"));
    }

    #[test]
    fn prompts_follow_the_documented_shape() {
        let attrs = AvatarAttributes {
            gender: Some("female".into()),
            age_range: Some("adult".into()),
            ethnicity: None,
            style: Some("business".into()),
        };
        assert_eq!(
            gallery_prompt(
                None,
                "Classic Business Headshot",
                Some("Arms crossed"),
                &attrs
            ),
            format!(
                "professional portrait, Classic Business Headshot, Arms crossed, female, adult (30-50 years old), wearing business attire, full body photo, {QUALITY_SUFFIX}"
            )
        );
        assert_eq!(
            text_prompt("standing by a window", &AvatarAttributes::default()),
            format!("standing by a window, {QUALITY_SUFFIX}")
        );
    }

    #[test]
    fn seeds_are_stable_31_bit_values() {
        let a = variation_seed("gen1", "pose1-v0");
        assert_eq!(a, variation_seed("gen1", "pose1-v0"));
        assert_ne!(a, variation_seed("gen1", "pose1-v1"));
        assert!(a < 1 << 31);
    }
}
