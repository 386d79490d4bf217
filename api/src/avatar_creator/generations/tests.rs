use super::*;

#[test]
fn the_prompt_joins_persona_attributes_prompt_and_suffix() {
    let avatar = AvatarFields {
        name: "Sarah".into(),
        persona_name: Some("Sarah".into()),
        persona_age: Some(32),
        persona_personality: Some(r#"["friendly","sharp"]"#.into()),
        gender: Some("female".into()),
        age_range: Some("adult".into()),
        hair_color: Some("brown".into()),
        style: Some("business".into()),
        ..AvatarFields::default()
    };
    assert_eq!(
        build_prompt(&avatar, "a portrait"),
        format!(
            "Sarah, 32 years old, friendly, sharp personality, female, adult (30-50 years old), brown hair, wearing business attire, a portrait, {QUALITY_SUFFIX}"
        )
    );
    assert_eq!(
        build_prompt(&AvatarFields::default(), "x"),
        format!("x, {QUALITY_SUFFIX}")
    );
}

#[test]
fn seeds_are_non_negative() {
    for _ in 0..100 {
        assert!(random_seed() >= 0);
    }
}
