//! The deploy tool's `seed` command (api.md §9): avatar presets, persona examples,
//! pose categories and library poses upserted by natural key, idempotent, never
//! touching counters, ids or rows it does not own; preset previews and pose images
//! (preview, thumbnail, OpenPose map) rendered offline, never replacing a file.
//!
//! Rendering all 252 pose images takes a few seconds, so only
//! `pose_data_and_images_match_the_documentation` does it; the other tests put empty
//! files in their place, which the seed leaves alone.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use clap::Parser;
use entity::{avatar_presets, persona_examples, pose_categories, pose_library};
use migration::cli::{Cli, run};
use migration::deploy::exit;
use migration::sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter,
};
use migration::seed::pose_images::PoseImagePaths;
use migration::seed::poses::LIBRARY_POSES;
use migration::seed::skeleton::Archetype;
use migration::seed::{self, GroupCounts, data::PRESETS, skeleton_for};
use tests::util::TempDir;
use tests::{TestDb, dual_test};

/// Empty files where every pose image goes: the seed then renders none of them.
fn pose_image_placeholders(dir: &Path) {
    for pose in &LIBRARY_POSES {
        for path in PoseImagePaths::of(dir, pose).all() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, b"").unwrap();
        }
    }
}

async fn category_ids(conn: &DatabaseConnection) -> BTreeMap<String, String> {
    pose_categories::Entity::find()
        .all(conn)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.slug, c.id))
        .collect()
}

async fn pose_ids(conn: &DatabaseConnection) -> BTreeMap<(String, String), String> {
    pose_library::Entity::find()
        .all(conn)
        .await
        .unwrap()
        .into_iter()
        .map(|p| ((p.category_id, p.name), p.id))
        .collect()
}

async fn library_pose(conn: &DatabaseConnection, name: &str) -> pose_library::Model {
    pose_library::Entity::find()
        .filter(pose_library::Column::Name.eq(name))
        .one(conn)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no library pose {name:?}"))
}

fn counts<'a>(values: impl Iterator<Item = &'a str>) -> BTreeMap<&'a str, usize> {
    let mut out = BTreeMap::new();
    for v in values {
        *out.entry(v).or_default() += 1;
    }
    out
}

fn image_dimensions(path: &Path) -> (u32, u32) {
    image::ImageReader::open(path)
        .unwrap()
        .with_guessed_format()
        .unwrap()
        .into_dimensions()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

async fn preset_ids(conn: &DatabaseConnection) -> BTreeMap<String, String> {
    avatar_presets::Entity::find()
        .all(conn)
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.name, p.id))
        .collect()
}

async fn example_ids(conn: &DatabaseConnection) -> BTreeMap<String, String> {
    persona_examples::Entity::find()
        .all(conn)
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.name, p.id))
        .collect()
}

async fn preset(conn: &DatabaseConnection, name: &str) -> avatar_presets::Model {
    avatar_presets::Entity::find()
        .filter(avatar_presets::Column::Name.eq(name))
        .one(conn)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no preset {name:?}"))
}

dual_test!(seeding_twice_is_idempotent);
/// Seeding twice gives 19 presets and 12 persona examples; the second run inserts
/// nothing and keeps every id.
async fn seeding_twice_is_idempotent(db: TestDb) {
    db.migrate().await;
    let conn = db.connect().await;
    let dir = TempDir::new("seed-").unwrap();
    pose_image_placeholders(dir.path());

    let first = seed::seed(&conn, dir.path()).await.unwrap();
    assert_eq!(
        first.avatar_presets,
        GroupCounts {
            inserted: 19,
            updated: 0,
            unchanged: 0
        }
    );
    assert_eq!(
        first.persona_examples,
        GroupCounts {
            inserted: 12,
            updated: 0,
            unchanged: 0
        }
    );
    assert_eq!(
        first.pose_categories,
        GroupCounts {
            inserted: 28,
            updated: 0,
            unchanged: 0
        }
    );
    assert_eq!(
        first.library_poses,
        GroupCounts {
            inserted: 84,
            updated: 0,
            unchanged: 0
        }
    );
    assert_eq!(
        (first.pose_images_written, first.pose_images_existing),
        (0, 252)
    );
    let (presets, examples) = (preset_ids(&conn).await, example_ids(&conn).await);
    let (categories, poses) = (category_ids(&conn).await, pose_ids(&conn).await);
    assert_eq!(
        (presets.len(), examples.len(), categories.len(), poses.len()),
        (19, 12, 28, 84)
    );
    for id in presets
        .values()
        .chain(examples.values())
        .chain(categories.values())
        .chain(poses.values())
    {
        assert_eq!(id.len(), 25, "{id}");
        assert!(id.starts_with('c'), "{id}");
    }

    let second = seed::seed(&conn, dir.path()).await.unwrap();
    assert_eq!(
        second.avatar_presets,
        GroupCounts {
            inserted: 0,
            updated: 0,
            unchanged: 19
        }
    );
    assert_eq!(
        second.persona_examples,
        GroupCounts {
            inserted: 0,
            updated: 0,
            unchanged: 12
        }
    );
    assert_eq!(
        second.pose_categories,
        GroupCounts {
            inserted: 0,
            updated: 0,
            unchanged: 28
        }
    );
    assert_eq!(
        second.library_poses,
        GroupCounts {
            inserted: 0,
            updated: 0,
            unchanged: 84
        }
    );
    assert_eq!(preset_ids(&conn).await, presets);
    assert_eq!(example_ids(&conn).await, examples);
    assert_eq!(category_ids(&conn).await, categories);
    assert_eq!(pose_ids(&conn).await, poses);
    let text = second.to_string();
    assert!(
        text.contains("library poses: 0 inserted, 0 updated, 84 unchanged"),
        "{text}"
    );
    assert!(
        text.contains("pose images: 0 written, 252 already present"),
        "{text}"
    );

    // The documented sample rows.
    let woman = preset(&conn, "Professional Business Woman").await;
    assert_eq!(woman.category, "professional");
    assert_eq!(
        woman.preview_image_url,
        "/presets/avatar-creator/professional-business-woman.jpg"
    );
    assert_eq!(
        woman.visual_attributes,
        r#"{"gender":"female","ageRange":"adult","ethnicity":"east-asian","style":"professional"}"#
    );
    assert!(woman.is_public);
    assert_eq!(woman.usage_count, 0);
    let founder = persona_examples::Entity::find()
        .filter(persona_examples::Column::Name.eq("Startup Founder"))
        .one(&conn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        founder.suggested_attributes.as_deref(),
        Some(
            r#"{"gender":"male","ageRange":"adult","ethnicity":"southeast-asian","style":"smart-casual"}"#
        )
    );
    assert_eq!((founder.display_order, founder.is_active), (0, true));
}

dual_test!(reseeding_restores_texts_and_keeps_counters_and_extra_rows);
/// A re-seed restores a changed description but keeps usageCount, the id and rows
/// that are not in the seed.
async fn reseeding_restores_texts_and_keeps_counters_and_extra_rows(db: TestDb) {
    db.migrate().await;
    let conn = db.connect().await;
    let dir = TempDir::new("seed-").unwrap();
    pose_image_placeholders(dir.path());
    seed::seed(&conn, dir.path()).await.unwrap();

    let original = preset(&conn, "Casual Retiree").await;
    let mut edited = original.clone().into_active_model();
    edited.usage_count = Set(7);
    edited.generation_prompt = Set("edited by hand".into());
    edited.persona_template = Set("{}".into());
    edited.update(&conn).await.unwrap();

    let mut extra = original.clone().into_active_model();
    extra.id = Set(seed::new_id());
    extra.name = Set("Operator's Own Preset".into());
    extra.usage_count = Set(3);
    let extra = avatar_presets::Entity::insert(extra)
        .exec_with_returning(&conn)
        .await
        .unwrap();

    let report = seed::seed(&conn, dir.path()).await.unwrap();
    assert_eq!(
        report.avatar_presets,
        GroupCounts {
            inserted: 0,
            updated: 1,
            unchanged: 18
        }
    );

    let after = preset(&conn, "Casual Retiree").await;
    assert_eq!(after.id, original.id);
    assert_eq!(after.usage_count, 7, "usageCount survives a re-seed");
    assert_eq!(after.generation_prompt, original.generation_prompt);
    assert_eq!(after.persona_template, original.persona_template);
    assert_eq!(after.created_at, original.created_at);

    let kept = preset(&conn, "Operator's Own Preset").await;
    assert_eq!(kept, extra, "a row not in the seed is left alone");
    assert_eq!(preset_ids(&conn).await.len(), 20);

    // The same for poses and categories: counters survive, texts come back.
    let pose = library_pose(&conn, "Tree Pose Yoga").await;
    let mut edited = pose.clone().into_active_model();
    edited.usage_count = Set(11);
    edited.favorite_count = Set(4);
    edited.popularity_score = Set(37);
    edited.rating_avg = Set(4.5);
    edited.description = Set(Some("edited".into()));
    edited.tags = Set(entity::TextList::new(["edited"]));
    edited.is_featured = Set(true);
    edited.update(&conn).await.unwrap();
    let yoga = pose_categories::Entity::find()
        .filter(pose_categories::Column::Slug.eq("yoga-wellness"))
        .one(&conn)
        .await
        .unwrap()
        .unwrap();
    let mut edited = yoga.clone().into_active_model();
    edited.description = Set(None);
    edited.pose_count = Set(99);
    edited.update(&conn).await.unwrap();
    let mut own = yoga.clone().into_active_model();
    own.id = Set(seed::new_id());
    own.slug = Set("operators-own".into());
    own.name = Set("operators-own".into());
    let own = pose_categories::Entity::insert(own)
        .exec_with_returning(&conn)
        .await
        .unwrap();
    let mut own_pose = pose.clone().into_active_model();
    own_pose.id = Set(seed::new_id());
    own_pose.name = Set("Operator's Own Pose".into());
    // Through the active model: `before_save` encodes the tags per backend.
    let own_pose = own_pose.insert(&conn).await.unwrap();

    let report = seed::seed(&conn, dir.path()).await.unwrap();
    assert_eq!(
        report.pose_categories,
        GroupCounts {
            inserted: 0,
            updated: 1,
            unchanged: 27
        }
    );
    assert_eq!(
        report.library_poses,
        GroupCounts {
            inserted: 0,
            updated: 1,
            unchanged: 83
        }
    );
    let after = library_pose(&conn, "Tree Pose Yoga").await;
    assert_eq!(after.id, pose.id);
    assert_eq!(
        (
            after.usage_count,
            after.favorite_count,
            after.popularity_score,
            after.rating_avg
        ),
        (11, 4, 37, 4.5),
        "counters survive a re-seed"
    );
    assert_eq!(after.description, pose.description);
    assert_eq!(after.tags, pose.tags);
    assert!(!after.is_featured);
    assert_eq!(after.created_at, pose.created_at);
    let yoga_after = pose_categories::Entity::find_by_id(yoga.id.clone())
        .one(&conn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(yoga_after.description, yoga.description);
    assert_eq!(yoga_after.pose_count, 99, "poseCount is not the seed's");
    assert_eq!(
        pose_categories::Entity::find_by_id(own.id.clone())
            .one(&conn)
            .await
            .unwrap(),
        Some(own),
        "a category not in the seed is left alone"
    );
    assert_eq!(library_pose(&conn, "Operator's Own Pose").await, own_pose);
}

dual_test!(previews_are_written_once_and_check_passes);
/// Missing previews are rendered; an existing file is never replaced; `--check`
/// validates the static data and exits 0.
async fn previews_are_written_once_and_check_passes(db: TestDb) {
    db.migrate().await;
    let conn = db.connect().await;
    let dir = TempDir::new("seed-").unwrap();
    pose_image_placeholders(dir.path());
    let mine = seed::preview_path(dir.path(), &PRESETS[3]);
    std::fs::create_dir_all(mine.parent().unwrap()).unwrap();
    std::fs::write(&mine, b"hand-made preview").unwrap();

    let report = seed::seed(&conn, dir.path()).await.unwrap();
    assert_eq!((report.previews_written, report.previews_existing), (18, 1));
    for p in &PRESETS {
        let path = seed::preview_path(dir.path(), p);
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if path != mine {
            let img = image::load_from_memory(&bytes).unwrap();
            assert_eq!((img.width(), img.height()), (512, 512));
        }
    }
    assert_eq!(std::fs::read(&mine).unwrap(), b"hand-made preview");

    let report = seed::seed(&conn, dir.path()).await.unwrap();
    assert_eq!((report.previews_written, report.previews_existing), (0, 19));

    let check = Cli::parse_from([
        "migration",
        "--database-url",
        db.url.as_str(),
        "seed",
        "--check",
    ]);
    assert_eq!(run(check).await.unwrap(), exit::OK);

    let presets = dir.path().to_str().unwrap();
    let cli = Cli::parse_from([
        "migration",
        "--database-url",
        db.url.as_str(),
        "seed",
        "--presets-dir",
        presets,
    ]);
    assert_eq!(run(cli).await.unwrap(), exit::OK);
}

dual_test!(pose_data_and_images_match_the_documentation);
/// After seeding: 28 categories (6 top-level, name = slug, sub-categories in their
/// parent's colour), 84 public curated poses with the documented distributions and
/// tag rules, and every pose's preview, thumbnail and OpenPose map on disk at the
/// stored URLs. Images are written once: a re-seed writes none and never replaces
/// a file.
async fn pose_data_and_images_match_the_documentation(db: TestDb) {
    db.migrate().await;
    let conn = db.connect().await;
    let dir = TempDir::new("seed-").unwrap();
    let report = seed::seed(&conn, dir.path()).await.unwrap();
    assert_eq!(
        (report.pose_images_written, report.pose_images_existing),
        (252, 0)
    );

    // Categories.
    let categories = pose_categories::Entity::find().all(&conn).await.unwrap();
    assert_eq!(categories.len(), 28);
    let by_id: HashMap<&str, &pose_categories::Model> =
        categories.iter().map(|c| (c.id.as_str(), c)).collect();
    let roots: Vec<&pose_categories::Model> = categories
        .iter()
        .filter(|c| c.parent_id.is_none())
        .collect();
    let mut root_slugs: Vec<&str> = roots.iter().map(|c| c.slug.as_str()).collect();
    root_slugs.sort();
    assert_eq!(
        root_slugs,
        [
            "casual",
            "e-commerce",
            "fashion",
            "hijab",
            "professional",
            "sports"
        ]
    );
    for c in &categories {
        assert_eq!(c.name, c.slug);
        assert!(c.is_active);
        assert_eq!(c.pose_count, 0);
        assert!(
            c.description.as_deref().is_some_and(|d| d.ends_with('.')),
            "{}",
            c.slug
        );
        if let Some(parent) = &c.parent_id {
            let parent = by_id[parent.as_str()];
            assert!(parent.parent_id.is_none(), "two levels only");
            assert_eq!(
                c.color, parent.color,
                "{} takes its parent's colour",
                c.slug
            );
        }
    }
    let professional = roots.iter().find(|c| c.slug == "professional").unwrap();
    assert_eq!(
        (
            professional.display_name.as_str(),
            professional.display_order,
            professional.icon.as_str(),
            professional.color.as_str()
        ),
        ("Professional", 0, "briefcase", "#3B82F6")
    );
    let root_of = |category_id: &str| {
        let c = by_id[category_id];
        c.parent_id
            .as_deref()
            .map_or(c.slug.as_str(), |p| by_id[p].slug.as_str())
    };

    // Poses: the distributions, queried.
    let public = pose_library::Entity::find()
        .filter(pose_library::Column::IsPublic.eq(true))
        .count(&conn)
        .await
        .unwrap();
    assert_eq!(public, 84);
    let featured = pose_library::Entity::find()
        .filter(pose_library::Column::IsFeatured.eq(true))
        .count(&conn)
        .await
        .unwrap();
    let premium = pose_library::Entity::find()
        .filter(pose_library::Column::IsPremium.eq(true))
        .count(&conn)
        .await
        .unwrap();
    assert_eq!((featured, premium), (7, 9));
    let poses = pose_library::Entity::find().all(&conn).await.unwrap();
    assert_eq!(poses.len(), 84);
    assert_eq!(
        counts(poses.iter().map(|p| p.difficulty.as_str())),
        BTreeMap::from([("advanced", 6), ("beginner", 49), ("intermediate", 29)])
    );
    assert_eq!(
        counts(poses.iter().map(|p| p.gender_suitability.as_str())),
        BTreeMap::from([("female", 13), ("male", 20), ("unisex", 51)])
    );
    assert_eq!(
        counts(poses.iter().map(|p| root_of(&p.category_id))),
        BTreeMap::from([
            ("casual", 14),
            ("e-commerce", 16),
            ("fashion", 9),
            ("hijab", 13),
            ("professional", 18),
            ("sports", 14),
        ])
    );
    let mut slugs = HashSet::new();
    for p in &poses {
        let what = &p.name;
        assert!(
            by_id[p.category_id.as_str()].parent_id.is_some(),
            "{what}: in a sub-category"
        );
        assert_eq!(
            (p.source_type.as_str(), p.license_type.as_str()),
            ("curated", "platform")
        );
        assert_eq!(p.source_credit, None);
        assert_eq!(
            (
                p.usage_count,
                p.favorite_count,
                p.popularity_score,
                p.rating_avg
            ),
            (0, 0, 0, 0.0)
        );
        let tags = p.tags.items();
        assert!((5..=6).contains(&tags.len()), "{what}: {tags:?}");
        assert!(
            tags.iter().all(|t| *t == t.to_lowercase()),
            "{what}: {tags:?}"
        );
        let male = p.name.contains("Male");
        let hijab = root_of(&p.category_id) == "hijab";
        let gender = if male {
            "male"
        } else if hijab {
            "female"
        } else {
            "unisex"
        };
        assert_eq!(p.gender_suitability, gender, "{what}");
        assert_eq!(tags.iter().any(|t| t == "male"), male, "{what}: {tags:?}");
        if hijab {
            assert!(tags.iter().any(|t| t == "hijab"), "{what}: {tags:?}");
        }

        // The images, where the URLs say.
        let slug = p
            .preview_image_url
            .strip_prefix("/presets/pose-generator/")
            .and_then(|f| f.strip_suffix(".jpg"))
            .unwrap_or_else(|| panic!("{what}: {}", p.preview_image_url));
        assert!(
            !slug.is_empty()
                && slug
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "{slug}"
        );
        assert!(slugs.insert(slug.to_owned()), "{slug} twice");
        assert_eq!(p.reference_image_url, p.preview_image_url);
        assert_eq!(
            p.thumbnail_url.as_deref(),
            Some(format!("/presets/pose-generator/{slug}_thumb.jpg").as_str())
        );
        assert_eq!(
            p.controlnet_image_url,
            format!("/presets/pose-generator/{slug}_pose.png")
        );
        let file = |url: &str| dir.path().join(url.strip_prefix("/presets/").unwrap());
        assert_eq!(
            image_dimensions(&file(&p.preview_image_url)),
            (1024, 1024),
            "{what}"
        );
        assert_eq!(
            image_dimensions(&file(p.thumbnail_url.as_deref().unwrap())),
            (400, 400),
            "{what}"
        );
        assert_eq!(
            image_dimensions(&file(&p.controlnet_image_url)),
            (1024, 1024),
            "{what}"
        );
    }

    // Decoded: pose maps are mostly black with OpenPose colours; different
    // archetypes give different maps and previews.
    let sample = [
        "Classic Business Headshot",
        "Plank Position Strong",
        "Running Mid-Stride",
        "Casual Hijab Smile",
    ];
    let mut maps = Vec::new();
    let mut archetypes = HashSet::new();
    for name in sample {
        let paths = PoseImagePaths::of(
            dir.path(),
            LIBRARY_POSES.iter().find(|p| p.name == name).unwrap(),
        );
        let map = image::open(&paths.pose_map).unwrap().to_rgb8();
        let black = map.pixels().filter(|p| p.0 == [0, 0, 0]).count();
        let total = map.pixels().len();
        assert!(black * 100 > total * 85, "{name}: {black} of {total} black");
        let coloured: HashSet<[u8; 3]> = map
            .pixels()
            .map(|p| p.0)
            .filter(|c| *c != [0, 0, 0])
            .collect();
        assert!(coloured.contains(&[255, 0, 0]), "{name}: the red nose dot");
        assert!(coloured.len() >= 20, "{name}: {} colours", coloured.len());
        let preview = image::open(&paths.preview).unwrap().to_rgb8();
        assert_eq!(preview.dimensions(), (1024, 1024));
        // A figure: a good share of the pixels far from the background's colour.
        let background = preview.get_pixel(1000, 300).0;
        let figure = preview
            .pixels()
            .filter(|p| {
                p.0.iter()
                    .zip(background)
                    .map(|(a, b)| u32::from(a.abs_diff(b)))
                    .sum::<u32>()
                    > 120
            })
            .count();
        assert!(figure * 100 > total * 4, "{name}: {figure} figure pixels");
        assert!(
            archetypes.insert(skeleton_for(name).archetype),
            "{name}: archetypes differ"
        );
        maps.push((
            name,
            std::fs::read(&paths.pose_map).unwrap(),
            std::fs::read(&paths.preview).unwrap(),
        ));
    }
    assert!(archetypes.contains(&Archetype::Plank));
    for (i, (a, map_a, preview_a)) in maps.iter().enumerate() {
        for (b, map_b, preview_b) in &maps[i + 1..] {
            assert_ne!(map_a, map_b, "{a} vs {b}");
            assert_ne!(preview_a, preview_b, "{a} vs {b}");
        }
    }

    // Written once: a re-seed writes nothing, replaces nothing, fills a gap.
    let again = seed::seed(&conn, dir.path()).await.unwrap();
    assert_eq!(
        (again.pose_images_written, again.pose_images_existing),
        (0, 252)
    );
    let first = PoseImagePaths::of(dir.path(), &LIBRARY_POSES[0]);
    std::fs::write(&first.preview, b"hand-made").unwrap();
    let removed = std::fs::read(&first.pose_map).unwrap();
    std::fs::remove_file(&first.pose_map).unwrap();
    let again = seed::seed(&conn, dir.path()).await.unwrap();
    assert_eq!(
        (again.pose_images_written, again.pose_images_existing),
        (1, 251)
    );
    assert_eq!(std::fs::read(&first.preview).unwrap(), b"hand-made");
    assert_eq!(
        std::fs::read(&first.pose_map).unwrap(),
        removed,
        "deterministic"
    );
    let leftovers: Vec<_> = std::fs::read_dir(first.preview.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "no temporary files: {leftovers:?}");
}
