//! Every entity round-trips on both backends: insert with every column set, select by
//! id, update, delete; including the list (`text[]` / JSON text) and JSON document
//! columns, and relations loaded in one call.

use chrono::NaiveDateTime;
use entity::*;
use migration::sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, ModelTrait, QueryFilter,
};
use serde_json::json;
use tests::{TestDb, dual_test};

fn at(ms: i64) -> NaiveDateTime {
    chrono::DateTime::from_timestamp_millis(1_760_781_600_000 + ms)
        .unwrap()
        .naive_utc()
}

/// Inserts `$model` with every column set, reads it back by id, sets `$field` to
/// `$value` and reads that back, then deletes the row and checks it is gone.
macro_rules! roundtrip {
    ($db:expr, $module:ident, $model:expr, $field:ident = $value:expr) => {{
        let db: &DatabaseConnection = $db;
        let model: $module::Model = $model;
        let inserted = model
            .clone()
            .into_active_model()
            .reset_all()
            .insert(db)
            .await
            .unwrap();
        assert_eq!(inserted, model, "{} insert", stringify!($module));
        let found = $module::Entity::find_by_id(model.id.clone())
            .one(db)
            .await
            .unwrap();
        assert_eq!(
            found.as_ref(),
            Some(&model),
            "{} select",
            stringify!($module)
        );
        let mut active = found.unwrap().into_active_model();
        active.$field = Set($value);
        let updated = active.update(db).await.unwrap();
        assert_eq!(updated.$field, $value, "{} update", stringify!($module));
        let reread = $module::Entity::find_by_id(model.id.clone())
            .one(db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            reread,
            updated,
            "{} select after update",
            stringify!($module)
        );
        reread.delete(db).await.unwrap();
        assert!(
            $module::Entity::find_by_id(model.id.clone())
                .one(db)
                .await
                .unwrap()
                .is_none()
        );
    }};
}

fn user(id: &str) -> users::Model {
    users::Model {
        id: id.into(),
        email: format!("{id}@example.com"),
        password: "$2b$10$abcdefghijklmnopqrstuuN6Zb3rjs8yE3d0iQ5iZ6f1e8w2q5b6".into(),
        name: Some("Rina".into()),
        role: "user".into(),
        storage_quota: 1_073_741_824,
        storage_used: 42,
        account_type: "payg".into(),
        subscription_tier: "free".into(),
        user_tags: Some(r#"["beta_tester"]"#.into()),
        unlimited_pose_active: true,
        unlimited_pose_daily_quota: 100,
        unlimited_pose_quota_used: 3,
        unlimited_pose_quota_reset_at: Some(at(1)),
        unlimited_pose_expires_at: None,
        created_at: at(2),
        updated_at: at(3),
    }
}

fn project(id: &str, user_id: &str) -> avatar_projects::Model {
    avatar_projects::Model {
        id: id.into(),
        user_id: user_id.into(),
        name: "Campaign".into(),
        description: Some("Spring".into()),
        created_at: at(10),
        updated_at: at(11),
    }
}

fn avatar(id: &str, user_id: &str, project_id: &str) -> avatars::Model {
    avatars::Model {
        id: id.into(),
        user_id: user_id.into(),
        project_id: project_id.into(),
        name: "Sarah".into(),
        base_image_url: "/uploads/a.png".into(),
        thumbnail_url: Some("/uploads/a_t.jpg".into()),
        persona_name: Some("Sarah Chen".into()),
        persona_age: Some(32),
        persona_personality: Some(r#"["professional","confident"]"#.into()),
        persona_background: Some("Marketing".into()),
        gender: Some("female".into()),
        age_range: Some("adult".into()),
        ethnicity: Some("east-asian".into()),
        body_type: Some("slim".into()),
        hair_style: Some("bob".into()),
        hair_color: Some("black".into()),
        eye_color: Some("brown".into()),
        skin_tone: Some("fair".into()),
        style: Some("professional".into()),
        source_type: "uploaded".into(),
        generation_prompt: None,
        seed_used: Some(7),
        usage_count: 0,
        last_used_at: None,
        created_at: at(20),
        updated_at: at(21),
    }
}

fn category(id: &str, parent: Option<&str>) -> pose_categories::Model {
    pose_categories::Model {
        id: id.into(),
        name: id.into(),
        display_name: "Business".into(),
        description: None,
        slug: id.into(),
        parent_id: parent.map(Into::into),
        icon: "folder".into(),
        display_order: 1,
        color: "#3b82f6".into(),
        pose_count: 0,
        is_active: true,
        created_at: at(30),
        updated_at: at(31),
    }
}

fn pose(id: &str, category_id: &str) -> pose_library::Model {
    pose_library::Model {
        id: id.into(),
        name: format!("Arms crossed {id}"),
        description: Some("Confident".into()),
        category_id: category_id.into(),
        preview_image_url: "/uploads/p.png".into(),
        reference_image_url: "/uploads/r.png".into(),
        controlnet_image_url: "/uploads/c.png".into(),
        thumbnail_url: None,
        difficulty: "beginner".into(),
        gender_suitability: "unisex".into(),
        tags: TextList::new(["headshot", "arms crossed", "quote \" and \\ backslash"]),
        source_type: "curated".into(),
        source_credit: None,
        license_type: "platform".into(),
        usage_count: 5,
        favorite_count: 2,
        rating_avg: 4.5,
        popularity_score: 7,
        is_public: true,
        is_featured: false,
        is_premium: false,
        created_at: at(40),
        updated_at: at(41),
    }
}

fn pose_project(
    id: &str,
    user_id: &str,
    avatar_id: Option<&str>,
) -> pose_generator_projects::Model {
    pose_generator_projects::Model {
        id: id.into(),
        user_id: user_id.into(),
        project_name: "Shoot".into(),
        description: None,
        avatar_image_url: Some("/uploads/a.png".into()),
        avatar_source: "AVATAR_CREATOR".into(),
        avatar_id: avatar_id.map(Into::into),
        total_generations: 0,
        total_poses_generated: 0,
        status: "active".into(),
        created_at: at(50),
        updated_at: at(51),
    }
}

fn generation(id: &str, project_id: &str, user_id: &str) -> pose_generations::Model {
    pose_generations::Model {
        id: id.into(),
        project_id: project_id.into(),
        user_id: user_id.into(),
        generation_type: "GALLERY_REFERENCE".into(),
        text_prompt: None,
        generated_pose_structure: None,
        avatar_id: None,
        avatar_attributes: Some(r#"{"gender":"female"}"#.into()),
        batch_size: 2,
        total_expected_poses: 6,
        use_background_changer: false,
        background_prompt: None,
        background_mode: None,
        export_formats: TextList::new(["instagram_story", "tiktok"]),
        status: "pending".into(),
        progress: 0,
        poses_completed: 0,
        poses_failed: 0,
        credit_charged: 180,
        credit_refunded: 0,
        queue_job_id: None,
        error_message: None,
        created_at: at(60),
        started_at: None,
        completed_at: None,
        avg_generation_time: Some(1.25),
        total_processing_time: None,
        recovery_attempts: 0,
        last_recovery_at: None,
    }
}

fn pose_request(id: &str, user_id: &str) -> pose_requests::Model {
    pose_requests::Model {
        id: id.into(),
        user_id: user_id.into(),
        pose_name: "Jumping".into(),
        description: "Mid-air jump".into(),
        reference_image_url: None,
        category_id: None,
        use_case: Some("social".into()),
        votes_count: 0,
        status: "pending".into(),
        admin_notes: None,
        completed_pose_id: None,
        created_at: at(70),
        updated_at: at(71),
    }
}

async fn insert<A: ActiveModelTrait + migration::sea_orm::ActiveModelBehavior + Send>(
    db: &DatabaseConnection,
    model: impl IntoActiveModel<A>,
) where
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
{
    model
        .into_active_model()
        .reset_all()
        .insert(db)
        .await
        .unwrap();
}

dual_test!(every_entity_round_trips);
/// Every table's entity inserts, selects, updates and deletes a fully populated
/// row, and reads back exactly what it wrote.
async fn every_entity_round_trips(db: TestDb) {
    let conn = db.connect_migrated().await;
    let db = &conn;
    // Parents the rows under test hang on.
    insert(db, user("u1")).await;
    insert(db, project("p1", "u1")).await;
    insert(db, avatar("a1", "u1", "p1")).await;
    insert(db, category("cat", None)).await;
    insert(db, category("sub", Some("cat"))).await;
    insert(db, pose("pose1", "sub")).await;
    insert(db, pose_project("pp1", "u1", Some("a1"))).await;
    insert(db, generation("g1", "pp1", "u1")).await;
    insert(db, pose_request("r1", "u1")).await;

    roundtrip!(db, users, user("u2"), name = Some(String::from("Renamed")));
    roundtrip!(
        db,
        sessions,
        sessions::Model {
            id: "s1".into(),
            user_id: "u1".into(),
            token: "tok".into(),
            expires_at: at(100),
            created_at: at(101),
        },
        expires_at = at(200)
    );
    roundtrip!(
        db,
        credits,
        credits::Model {
            id: "c1".into(),
            user_id: "u1".into(),
            amount: -30,
            balance: 70,
            r#type: "usage".into(),
            description: Some("Pose generation".into()),
            reference_id: Some("g1".into()),
            reference_type: Some("pose_generation".into()),
            payment_id: None,
            created_at: at(102),
        },
        description = None
    );
    roundtrip!(
        db,
        app_usages,
        app_usages::Model {
            id: "au1".into(),
            user_id: "u1".into(),
            app_id: "avatar-creator".into(),
            action: "upload_avatar".into(),
            credit_used: 2,
            metadata: Some(r#"{"avatarId":"a1"}"#.into()),
            created_at: at(103),
        },
        credit_used = 0
    );
    roundtrip!(db, avatar_projects, project("p2", "u1"), description = None);
    roundtrip!(
        db,
        avatars,
        avatar("a2", "u1", "p1"),
        persona_age = Some(33)
    );
    roundtrip!(
        db,
        avatar_presets,
        avatar_presets::Model {
            id: "preset1".into(),
            name: "Executive".into(),
            preview_image_url: "/presets/e.png".into(),
            category: "professional".into(),
            persona_template:
                r#"{"name":"Rina","age":32,"personality":["calm"],"background":"Exec"}"#.into(),
            visual_attributes: r#"{"gender":"female"}"#.into(),
            generation_prompt: "a portrait".into(),
            is_public: true,
            usage_count: 0,
            created_at: at(104),
            updated_at: at(105),
        },
        is_public = false
    );
    roundtrip!(
        db,
        persona_examples,
        persona_examples::Model {
            id: "pe1".into(),
            name: "Nurse".into(),
            category: "healthcare".into(),
            persona_name: "Ana".into(),
            persona_age: 29,
            persona_personality: r#"["caring"]"#.into(),
            persona_background: "ICU nurse".into(),
            suggested_attributes: None,
            display_order: 2,
            is_active: true,
            created_at: at(106),
        },
        display_order = 3
    );
    roundtrip!(
        db,
        avatar_usage_history,
        avatar_usage_history::Model {
            id: "uh1".into(),
            avatar_id: "a1".into(),
            user_id: "u1".into(),
            app_id: "pose-generator".into(),
            app_name: "Pose Generator".into(),
            action: "generate_pose".into(),
            reference_id: Some("g1".into()),
            reference_type: Some("pose_generation".into()),
            metadata: Some(r#"{"poseCount":4}"#.into()),
            created_at: at(107),
        },
        metadata = None
    );
    roundtrip!(
        db,
        avatar_generations,
        avatar_generations::Model {
            id: "ag1".into(),
            user_id: "u1".into(),
            avatar_id: Some("a1".into()),
            project_id: "p1".into(),
            status: "pending".into(),
            prompt: "a portrait".into(),
            options: Some(r#"{"width":1024,"height":1024}"#.into()),
            error_message: None,
            created_at: at(108),
            completed_at: None,
        },
        completed_at = Some(at(300))
    );
    roundtrip!(
        db,
        pose_categories,
        category("sub2", Some("cat")),
        display_order = 9
    );
    roundtrip!(
        db,
        pose_library,
        pose("pose2", "sub"),
        tags = TextList::new(["new tag"])
    );
    roundtrip!(
        db,
        pose_generator_projects,
        pose_project("pp2", "u1", None),
        status = String::from("archived")
    );
    roundtrip!(
        db,
        pose_generations,
        generation("g2", "pp1", "u1"),
        export_formats = TextList::new(Vec::<String>::new())
    );
    roundtrip!(
        db,
        generated_poses,
        generated_poses::Model {
            id: "gp1".into(),
            generation_id: "g1".into(),
            pose_library_id: Some("pose1".into()),
            output_image_url: "/uploads/o.png".into(),
            thumbnail_url: "/uploads/o_t.jpg".into(),
            original_image_url: None,
            export_formats: json!({"instagram_story": "/uploads/s.png", "tiktok": "/uploads/t.png"}),
            background_changed: false,
            background_prompt: None,
            prompt_used: "pose".into(),
            seed_used: Some(1),
            controlnet_weight: 0.75,
            generation_time: Some(2.5),
            ai_confidence_score: Some(0.9),
            is_favorite: false,
            download_count: 0,
            status: "completed".into(),
            error_message: None,
            created_at: at(109),
            variation_key: Some("pose1-v0".into()),
        },
        export_formats = json!({})
    );
    roundtrip!(
        db,
        pose_selections,
        pose_selections::Model {
            id: "ps1".into(),
            generation_id: "g1".into(),
            pose_library_id: "pose1".into(),
            created_at: at(110),
        },
        created_at = at(111)
    );
    roundtrip!(
        db,
        pose_requests,
        pose_request("r2", "u1"),
        status = String::from("approved")
    );
    roundtrip!(
        db,
        pose_request_votes,
        pose_request_votes::Model {
            id: "v1".into(),
            request_id: "r1".into(),
            user_id: "u1".into(),
            created_at: at(112),
        },
        created_at = at(113)
    );
    roundtrip!(
        db,
        jobs,
        jobs::Model {
            id: "j1".into(),
            kind: "pose_generation".into(),
            reference_id: "g1".into(),
            payload: r#"{"generationId":"g1"}"#.into(),
            status: "queued".into(),
            priority: 0,
            attempts: 0,
            max_attempts: 3,
            run_after: at(114),
            lease_owner: None,
            lease_expires_at: None,
            last_error: None,
            created_at: at(115),
            updated_at: at(116),
            finished_at: None,
        },
        status = String::from("running")
    );
}

dual_test!(list_columns_read_null_as_empty);
/// A list column written empty reads back empty, and a NULL written by another
/// writer reads as an empty list (schema.md §2.4).
async fn list_columns_read_null_as_empty(db: TestDb) {
    let conn = db.connect_migrated().await;
    let db = &conn;
    insert(db, category("cat", None)).await;
    insert(db, pose("pose1", "cat")).await;
    use migration::sea_orm::ConnectionTrait;
    conn.execute_unprepared(r#"UPDATE "pose_library" SET "tags" = NULL"#)
        .await
        .unwrap();
    let found = pose_library::Entity::find_by_id("pose1")
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert!(found.tags.items().is_empty());
}

dual_test!(relations_load_and_cascade);
/// A project loads with its avatars in one call; deleting the project cascades to
/// them; deleting an avatar keeps Pose Generator projects (SET NULL).
async fn relations_load_and_cascade(db: TestDb) {
    let conn = db.connect_migrated().await;
    let db = &conn;
    insert(db, user("u1")).await;
    insert(db, project("p1", "u1")).await;
    insert(db, project("p2", "u1")).await;
    for (id, project) in [("a1", "p1"), ("a2", "p1"), ("a3", "p2")] {
        insert(db, avatar(id, "u1", project)).await;
    }
    insert(db, pose_project("pp1", "u1", Some("a3"))).await;

    let loaded = avatar_projects::Entity::find_by_id("p1")
        .find_with_related(avatars::Entity)
        .all(db)
        .await
        .unwrap();
    assert_eq!(loaded.len(), 1);
    let mut ids: Vec<&str> = loaded[0].1.iter().map(|a| a.id.as_str()).collect();
    ids.sort();
    assert_eq!(ids, ["a1", "a2"]);

    avatar_projects::Entity::delete_by_id("p2")
        .exec(db)
        .await
        .unwrap();
    assert!(
        avatars::Entity::find_by_id("a3")
            .one(db)
            .await
            .unwrap()
            .is_none()
    );
    let kept = pose_generator_projects::Entity::find_by_id("pp1")
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.avatar_id, None);

    users::Entity::delete_by_id("u1").exec(db).await.unwrap();
    let left = avatars::Entity::find()
        .filter(avatars::Column::UserId.eq("u1"))
        .all(db)
        .await
        .unwrap();
    assert!(left.is_empty());
}
