//! The deploy tool's `seed` command (api.md §9.1, §9.2): reference data upserted by
//! natural key, idempotent, never touching counters, ids or rows it does not own, and
//! placeholder preview images that never replace an existing file.

use std::collections::BTreeMap;

use clap::Parser;
use entity::{avatar_presets, persona_examples};
use migration::cli::{Cli, run};
use migration::deploy::exit;
use migration::sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter,
};
use migration::seed::{self, GroupCounts, data::PRESETS};
use tests::dual_test;
use tests::util::TempDir;

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

dual_test! {
    /// Seeding twice gives 19 presets and 12 persona examples; the second run inserts
    /// nothing and keeps every id.
    async fn seeding_twice_is_idempotent(db: TestDb) {
        db.migrate().await;
        let conn = db.connect().await;
        let dir = TempDir::new("seed-").unwrap();

        let first = seed::seed(&conn, dir.path()).await.unwrap();
        assert_eq!(first.avatar_presets, GroupCounts { inserted: 19, updated: 0, unchanged: 0 });
        assert_eq!(first.persona_examples, GroupCounts { inserted: 12, updated: 0, unchanged: 0 });
        let (presets, examples) = (preset_ids(&conn).await, example_ids(&conn).await);
        assert_eq!((presets.len(), examples.len()), (19, 12));
        for id in presets.values().chain(examples.values()) {
            assert_eq!(id.len(), 25, "{id}");
            assert!(id.starts_with('c'), "{id}");
        }

        let second = seed::seed(&conn, dir.path()).await.unwrap();
        assert_eq!(second.avatar_presets, GroupCounts { inserted: 0, updated: 0, unchanged: 19 });
        assert_eq!(second.persona_examples, GroupCounts { inserted: 0, updated: 0, unchanged: 12 });
        assert_eq!(preset_ids(&conn).await, presets);
        assert_eq!(example_ids(&conn).await, examples);

        // The documented sample rows.
        let woman = preset(&conn, "Professional Business Woman").await;
        assert_eq!(woman.category, "professional");
        assert_eq!(woman.preview_image_url, "/presets/avatar-creator/professional-business-woman.jpg");
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
            Some(r#"{"gender":"male","ageRange":"adult","ethnicity":"southeast-asian","style":"smart-casual"}"#)
        );
        assert_eq!((founder.display_order, founder.is_active), (0, true));
    }

    /// A re-seed restores a changed description but keeps usageCount, the id and rows
    /// that are not in the seed.
    async fn reseeding_restores_texts_and_keeps_counters_and_extra_rows(db: TestDb) {
        db.migrate().await;
        let conn = db.connect().await;
        let dir = TempDir::new("seed-").unwrap();
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
        let extra = avatar_presets::Entity::insert(extra).exec_with_returning(&conn).await.unwrap();

        let report = seed::seed(&conn, dir.path()).await.unwrap();
        assert_eq!(report.avatar_presets, GroupCounts { inserted: 0, updated: 1, unchanged: 18 });

        let after = preset(&conn, "Casual Retiree").await;
        assert_eq!(after.id, original.id);
        assert_eq!(after.usage_count, 7, "usageCount survives a re-seed");
        assert_eq!(after.generation_prompt, original.generation_prompt);
        assert_eq!(after.persona_template, original.persona_template);
        assert_eq!(after.created_at, original.created_at);

        let kept = preset(&conn, "Operator's Own Preset").await;
        assert_eq!(kept, extra, "a row not in the seed is left alone");
        assert_eq!(preset_ids(&conn).await.len(), 20);
    }

    /// Missing previews are rendered; an existing file is never replaced; `--check`
    /// validates the static data and exits 0.
    async fn previews_are_written_once_and_check_passes(db: TestDb) {
        db.migrate().await;
        let conn = db.connect().await;
        let dir = TempDir::new("seed-").unwrap();
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

        let check = Cli::parse_from(["migration", "--database-url", db.url.as_str(), "seed", "--check"]);
        assert_eq!(run(check).await.unwrap(), exit::OK);

        let presets = dir.path().to_str().unwrap();
        let cli = Cli::parse_from([
            "migration", "--database-url", db.url.as_str(), "seed", "--presets-dir", presets,
        ]);
        assert_eq!(run(cli).await.unwrap(), exit::OK);
    }
}
