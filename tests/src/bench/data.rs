//! The benchmark's data: a user with 20 projects × 5 avatars (≈100 KB of JSON) whose
//! list is read, and a second user whose projects are created (so the list stays fixed).
//! The reader also has a few Pose Generator projects and generations, usage history and
//! pose requests ([`pose_data`]), written by the same statements as the big database of
//! figure 4 ([`super::bulk`]), so the Pose Generator lists return rows of the same shape.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use entity::{avatar_projects, avatars, users};
use migration::sea_orm::{
    ActiveModelTrait, ActiveValue::Set, DatabaseConnection, DbErr, EntityTrait,
};

pub const PROJECTS: usize = 20;
pub const AVATARS_PER_PROJECT: usize = 5;
/// The reader's Pose Generator data: projects, generations (4 poses each), usage-history
/// rows of avatar 0, pose requests.
pub const POSE_PROJECTS: u64 = 3;
pub const POSE_GENERATIONS: u64 = 10;
pub const USAGE_ROWS: u64 = 4;
pub const POSE_REQUESTS: u64 = 2;

/// The two users: `reader` owns the fixed list, `writer` receives the created projects.
#[derive(Debug, Clone)]
pub struct Users {
    pub reader: users::Model,
    pub writer: users::Model,
}

fn base_time() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2025, 10, 1)
        .and_then(|d| d.and_hms_milli_opt(8, 0, 0, 0))
        .expect("a valid date")
}

fn user(id: &str, email: &str) -> users::ActiveModel {
    let now = base_time();
    users::ActiveModel {
        id: Set(id.to_owned()),
        email: Set(email.to_owned()),
        // Never used to log in: the benchmark mints its tokens.
        password: Set("$2b$10$benchmarkbenchmarkbenchmarkbenchmarkbenchmarkbenchmark".into()),
        name: Set(Some("Benchmark User".into())),
        role: Set("user".into()),
        storage_quota: Set(1_073_741_824),
        storage_used: Set(0),
        account_type: Set("payg".into()),
        subscription_tier: Set("free".into()),
        user_tags: Set(None),
        unlimited_pose_active: Set(false),
        unlimited_pose_daily_quota: Set(0),
        unlimited_pose_quota_used: Set(0),
        unlimited_pose_quota_reset_at: Set(None),
        unlimited_pose_expires_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

const BACKGROUND: &str = "Marketing executive at a regional retail chain who grew up in a family \
of shopkeepers, studied communication, and now plans seasonal campaigns, writes the weekly \
newsletter, hosts product livestreams and mentors two junior designers on brand voice.";

/// Inserts the two users, the reader's projects and avatars and their pose data (the
/// seeded pose library must be there).
pub async fn load(db: &DatabaseConnection) -> Result<Users, DbErr> {
    let reader = user_with_projects(db, "reader", PROJECTS, AVATARS_PER_PROJECT).await?;
    pose_data(
        db,
        "reader",
        POSE_PROJECTS,
        POSE_GENERATIONS,
        USAGE_ROWS,
        POSE_REQUESTS,
    )
    .await?;
    let writer = user_with_projects(db, "writer", 0, 0).await?;
    Ok(Users { reader, writer })
}

/// The id of avatar `n` of the user named `tag`.
pub fn avatar_id(tag: &str, n: usize) -> String {
    format!("cbench-{tag}-avatar-{n}")
}

/// Inserts a user `tag@bench.test` with `projects` × `avatars_per_project` avatars.
pub async fn user_with_projects(
    db: &DatabaseConnection,
    tag: &str,
    projects: usize,
    avatars_per_project: usize,
) -> Result<users::Model, DbErr> {
    let owner = user(&format!("cbench-{tag}"), &format!("{tag}@bench.test"))
        .insert(db)
        .await?;
    let t0 = base_time();
    let mut project_rows = Vec::with_capacity(projects);
    let mut all_avatars = Vec::with_capacity(projects * avatars_per_project);
    for p in 0..projects {
        let project_id = format!("cbench-{tag}-project-{p}");
        let created = t0 + Duration::hours(p as i64);
        project_rows.push(avatar_projects::ActiveModel {
            id: Set(project_id.clone()),
            user_id: Set(owner.id.clone()),
            name: Set(format!("Campaign {p:02}")),
            description: Set(
                (!p.is_multiple_of(3)).then(|| format!("Seasonal campaign number {p}"))
            ),
            created_at: Set(created),
            updated_at: Set(created + Duration::minutes((p * 7 % 13) as i64)),
        });
        for a in 0..avatars_per_project {
            let n = p * avatars_per_project + a;
            let file = format!("{n:032x}");
            let at = created + Duration::minutes(a as i64 * 3);
            all_avatars.push(avatars::ActiveModel {
                id: Set(avatar_id(tag, n)),
                user_id: Set(owner.id.clone()),
                project_id: Set(project_id.clone()),
                name: Set(format!("Avatar {n}")),
                base_image_url: Set(format!("/uploads/avatar-creator/{}/{file}.jpg", owner.id)),
                thumbnail_url: Set(Some(format!(
                    "/uploads/avatar-creator/{}/{file}_thumb.jpg",
                    owner.id
                ))),
                persona_name: Set(Some(format!("Sarah Chen {n}"))),
                persona_age: Set(Some(20 + (n % 40) as i32)),
                persona_personality: Set(Some(r#"["professional","confident","curious"]"#.into())),
                persona_background: Set(Some(BACKGROUND.into())),
                gender: Set(Some(["female", "male", "unisex"][n % 3].into())),
                age_range: Set(Some("adult".into())),
                ethnicity: Set(Some("east-asian".into())),
                body_type: Set(n.is_multiple_of(2).then(|| "athletic".into())),
                hair_style: Set(Some("bob".into())),
                hair_color: Set(Some("black".into())),
                eye_color: Set(None),
                skin_tone: Set(Some("medium".into())),
                style: Set(Some("professional".into())),
                source_type: Set(["uploaded", "text_to_image", "from_preset"][n % 3].into()),
                generation_prompt: Set((!n.is_multiple_of(3))
                    .then(|| "Portrait of a confident professional woman, studio light".into())),
                seed_used: Set((!n.is_multiple_of(3)).then_some(1000 + n as i32)),
                usage_count: Set((n % 7) as i32),
                last_used_at: Set(n.is_multiple_of(4).then_some(at + Duration::days(1))),
                created_at: Set(at),
                updated_at: Set(at),
            });
        }
    }
    if !project_rows.is_empty() {
        avatar_projects::Entity::insert_many(project_rows)
            .exec(db)
            .await?;
    }
    if !all_avatars.is_empty() {
        avatars::Entity::insert_many(all_avatars).exec(db).await?;
    }
    Ok(owner)
}

/// Gives the user `tag` (see [`user_with_projects`], with at least `projects` avatars)
/// `projects` Pose Generator projects (the even ones on one of their avatars),
/// `generations` generations spread over them with their poses and selections,
/// `usage` usage-history rows of avatar 0 and `requests` pose requests (each with the
/// user's vote).
pub async fn pose_data(
    db: &DatabaseConnection,
    tag: &str,
    projects: u64,
    generations: u64,
    usage: u64,
    requests: u64,
) -> Result<(), DbErr> {
    use super::bulk;
    let user = format!("'cbench-{tag}'");
    let project_prefix = format!("cbench-{tag}-pose-project-");
    let generation_prefix = format!("cbench-{tag}-generation-");
    bulk::exec(
        db,
        &bulk::pose_projects(
            &project_prefix,
            projects,
            &user,
            &format!("CASE WHEN q % 2 = 0 THEN 'cbench-{tag}-avatar-' || q END"),
        ),
    )
    .await?;
    bulk::exec(
        db,
        &bulk::pose_generations(
            &generation_prefix,
            generations,
            &format!("'{project_prefix}' || (g % {projects})"),
            &user,
            &format!("CASE WHEN g % {projects} % 2 = 0 THEN 'cbench-{tag}-avatar-' || (g % {projects}) END"),
        ),
    )
    .await?;
    bulk::exec(
        db,
        &bulk::generated_poses(
            &format!("cbench-{tag}-pose-"),
            &generation_prefix,
            0..generations,
        ),
    )
    .await?;
    bulk::exec(
        db,
        &bulk::pose_selections(
            &format!("cbench-{tag}-selection-"),
            &generation_prefix,
            generations,
        ),
    )
    .await?;
    bulk::exec(
        db,
        &bulk::usage_history(
            &format!("cbench-{tag}-usage-"),
            usage,
            &format!("'{}'", avatar_id(tag, 0)),
            &user,
        ),
    )
    .await?;
    bulk::exec(
        db,
        &bulk::pose_requests(&format!("cbench-{tag}-request-"), requests, &user),
    )
    .await?;
    // The user voted for each of their own requests.
    bulk::exec(
        db,
        &bulk::pose_request_votes(
            &format!("cbench-{tag}-vote-"),
            requests,
            &format!("cbench-{tag}-request-"),
            "v",
            &user,
        ),
    )
    .await?;
    Ok(())
}
