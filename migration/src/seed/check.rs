//! [`seed_check`]: the static seed data validated without a database (counts,
//! unique names, allowed categories, JSON shapes, one-sentence descriptions).

use std::collections::{HashMap, HashSet};

use super::data::{
    self, EXPECTED_PERSONA_EXAMPLES, EXPECTED_PRESETS, PERSONA_CATEGORIES, PERSONA_EXAMPLES,
    PRESET_CATEGORIES, PRESETS,
};
use super::poses;

/// Validates the static seed data without a database: the expected counts, no
/// duplicate names, every category allowed, every JSON text parses with the
/// documented shape. `Err` lists every problem found.
pub fn seed_check() -> Result<(), Vec<String>> {
    let mut problems = Vec::new();
    if PRESETS.len() != EXPECTED_PRESETS {
        problems.push(format!(
            "avatar presets: {} rows, expected {EXPECTED_PRESETS}",
            PRESETS.len()
        ));
    }
    if PERSONA_EXAMPLES.len() != EXPECTED_PERSONA_EXAMPLES {
        problems.push(format!(
            "persona examples: {} rows, expected {EXPECTED_PERSONA_EXAMPLES}",
            PERSONA_EXAMPLES.len()
        ));
    }
    duplicates(
        "avatar preset",
        PRESETS.iter().map(|p| p.name),
        &mut problems,
    );
    duplicates(
        "avatar preset preview slug",
        PRESETS.iter().map(|p| p.slug()),
        &mut problems,
    );
    duplicates(
        "persona example",
        PERSONA_EXAMPLES.iter().map(|p| p.name),
        &mut problems,
    );
    for p in &PRESETS {
        if !PRESET_CATEGORIES.contains(&p.category) {
            problems.push(format!(
                "avatar preset {:?}: unknown category {:?}",
                p.name, p.category
            ));
        }
        json_object(
            &format!("avatar preset {:?} personaTemplate", p.name),
            &p.persona_template(),
            &["name", "age", "personality", "background"],
            &mut problems,
        );
        json_object(
            &format!("avatar preset {:?} visualAttributes", p.name),
            &p.visual_attributes(),
            &[],
            &mut problems,
        );
        if p.personality.iter().any(|t| t.trim().is_empty())
            || p.background.trim().is_empty()
            || p.generation_prompt.trim().is_empty()
        {
            problems.push(format!("avatar preset {:?}: an empty text", p.name));
        }
    }
    let mut orders: HashMap<&str, Vec<i32>> = HashMap::new();
    for p in &PERSONA_EXAMPLES {
        if !PERSONA_CATEGORIES.contains(&p.category) {
            problems.push(format!(
                "persona example {:?}: unknown category {:?}",
                p.name, p.category
            ));
        }
        match serde_json::from_str::<Vec<String>>(&p.personality_json()) {
            Ok(traits) if traits.len() == 3 => {}
            Ok(_) => problems.push(format!(
                "persona example {:?}: personaPersonality needs three traits",
                p.name
            )),
            Err(e) => problems.push(format!(
                "persona example {:?} personaPersonality: {e}",
                p.name
            )),
        }
        json_object(
            &format!("persona example {:?} suggestedAttributes", p.name),
            &p.suggested_attributes(),
            &["gender", "ageRange", "ethnicity", "style"],
            &mut problems,
        );
        orders.entry(p.category).or_default().push(p.display_order);
    }
    for (category, order) in orders {
        if order != [0, 10, 20] {
            problems.push(format!(
                "persona examples in {category:?}: displayOrder {order:?}, expected [0, 10, 20]"
            ));
        }
    }
    check_pose_data(&mut problems);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// One sentence: not empty, a capital first, a full stop last and nowhere else.
pub(super) fn one_sentence(text: &str) -> bool {
    let t = text.trim();
    t.len() > 10
        && t.starts_with(|c: char| c.is_ascii_uppercase())
        && t.ends_with('.')
        && !t[..t.len() - 1].contains(". ")
}

/// The pose categories (api.md §9.3) and library poses (§9.4).
fn check_pose_data(problems: &mut Vec<String>) {
    use data::slug;
    use poses::*;
    let roots = CATEGORIES.iter().filter(|c| c.parent.is_none()).count();
    if (roots, CATEGORIES.len() - roots) != (EXPECTED_ROOT_CATEGORIES, EXPECTED_SUB_CATEGORIES) {
        problems.push(format!(
            "pose categories: {roots} top-level + {} sub-categories, expected \
             {EXPECTED_ROOT_CATEGORIES} + {EXPECTED_SUB_CATEGORIES}",
            CATEGORIES.len() - roots
        ));
    }
    duplicates(
        "pose category slug",
        CATEGORIES.iter().map(|c| c.slug),
        problems,
    );
    for (i, c) in CATEGORIES.iter().enumerate() {
        if let Some(parent) = c.parent {
            // Parents first, and only two levels.
            match CATEGORIES[..i].iter().find(|p| p.slug == parent) {
                Some(p) if p.parent.is_none() => {}
                Some(_) => problems.push(format!(
                    "pose category {:?}: parent {parent:?} is not top-level",
                    c.slug
                )),
                None => problems.push(format!(
                    "pose category {:?}: parent {parent:?} is not listed before it",
                    c.slug
                )),
            }
        }
        if slug(c.slug) != c.slug || c.display_name.trim().is_empty() || c.icon.is_empty() {
            problems.push(format!(
                "pose category {:?}: bad slug, name or icon",
                c.slug
            ));
        }
        let color = c.color();
        if color.len() != 7
            || !color.starts_with('#')
            || !color[1..].bytes().all(|b| b.is_ascii_hexdigit())
        {
            problems.push(format!("pose category {:?}: bad colour {color:?}", c.slug));
        }
        if !one_sentence(c.description) {
            problems.push(format!(
                "pose category {:?}: the description must be one sentence",
                c.slug
            ));
        }
    }

    if LIBRARY_POSES.len() != EXPECTED_LIBRARY_POSES {
        problems.push(format!(
            "library poses: {} rows, expected {EXPECTED_LIBRARY_POSES}",
            LIBRARY_POSES.len()
        ));
    }
    duplicates(
        "library pose (category, name)",
        LIBRARY_POSES
            .iter()
            .map(|p| format!("{}/{}", p.category, p.name)),
        problems,
    );
    duplicates(
        "library pose image slug",
        LIBRARY_POSES.iter().map(|p| p.slug()),
        problems,
    );
    let mut difficulty: HashMap<&str, usize> = HashMap::new();
    let mut gender: HashMap<&str, usize> = HashMap::new();
    let mut per_root: HashMap<&str, usize> = HashMap::new();
    for p in &LIBRARY_POSES {
        let what = format!("library pose {:?}", p.name);
        match category(p.category) {
            None => problems.push(format!("{what}: unknown category {:?}", p.category)),
            Some(c) if c.parent.is_none() => problems.push(format!(
                "{what}: category {:?} is top-level, not a sub-category",
                p.category
            )),
            Some(_) => {}
        }
        let slug = p.slug();
        if slug.is_empty()
            || !slug
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            problems.push(format!("{what}: image slug {slug:?} is not [a-z0-9-]+"));
        }
        if !one_sentence(p.description) {
            problems.push(format!("{what}: the description must be one sentence"));
        }
        if !(5..=6).contains(&p.tags.len()) {
            problems.push(format!("{what}: {} tags, expected 5 or 6", p.tags.len()));
        }
        for tag in p.tags {
            if tag.trim().is_empty() || *tag != tag.to_lowercase() || tag.trim() != *tag {
                problems.push(format!(
                    "{what}: tag {tag:?} is not a trimmed lowercase word"
                ));
            }
        }
        duplicates(&format!("tag of {what}"), p.tags.iter(), problems);
        let male_name = p.name.contains("Male");
        let hijab = p.root() == "hijab";
        let expected_gender = if male_name {
            Gender::Male
        } else if hijab {
            Gender::Female
        } else {
            Gender::Unisex
        };
        if p.gender != expected_gender {
            problems.push(format!(
                "{what}: genderSuitability {}, expected {} by the gender rule",
                p.gender.as_str(),
                expected_gender.as_str()
            ));
        }
        if male_name && !p.tags.contains(&"male") {
            problems.push(format!("{what}: a \"Male\" pose needs the tag \"male\""));
        }
        if hijab && !p.tags.contains(&"hijab") {
            problems.push(format!("{what}: a hijab pose needs the tag \"hijab\""));
        }
        *difficulty.entry(p.difficulty.as_str()).or_default() += 1;
        *gender.entry(p.gender.as_str()).or_default() += 1;
        *per_root.entry(p.root()).or_default() += 1;
    }
    let mut distribution =
        |what: &str, counts: &HashMap<&str, usize>, expected: &[(&str, usize)]| {
            for (key, n) in expected {
                let got = counts.get(key).copied().unwrap_or(0);
                if got != *n {
                    problems.push(format!(
                        "library poses: {what} {key:?} has {got}, expected {n}"
                    ));
                }
            }
            for key in counts.keys() {
                if !expected.iter().any(|(k, _)| k == key) {
                    problems.push(format!("library poses: unexpected {what} {key:?}"));
                }
            }
        };
    distribution("difficulty", &difficulty, &EXPECTED_DIFFICULTY);
    distribution("genderSuitability", &gender, &EXPECTED_GENDER);
    distribution("top-level category", &per_root, &EXPECTED_PER_ROOT);
    let featured = LIBRARY_POSES.iter().filter(|p| p.featured).count();
    let premium = LIBRARY_POSES.iter().filter(|p| p.premium).count();
    if (featured, premium) != (EXPECTED_FEATURED, EXPECTED_PREMIUM) {
        problems.push(format!(
            "library poses: {featured} featured and {premium} premium, expected \
             {EXPECTED_FEATURED} and {EXPECTED_PREMIUM}"
        ));
    }
}

fn duplicates<S: AsRef<str>>(
    what: &str,
    names: impl Iterator<Item = S>,
    problems: &mut Vec<String>,
) {
    let mut seen = HashSet::new();
    for name in names {
        if !seen.insert(name.as_ref().to_owned()) {
            problems.push(format!("duplicate {what} {:?}", name.as_ref()));
        }
    }
}

fn json_object(what: &str, text: &str, required: &[&str], problems: &mut Vec<String>) {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(map)) => {
            for key in required {
                if !map.contains_key(*key) {
                    problems.push(format!("{what}: missing {key:?}"));
                }
            }
        }
        Ok(_) => problems.push(format!("{what}: not a JSON object")),
        Err(e) => problems.push(format!("{what}: {e}")),
    }
}
