//! Server-side row generation: one `INSERT … SELECT … FROM generate_series(…)` per
//! table, so a million rows never travel from Rust. The same statements give the
//! measured user their pose data in the small database (a few rows) and fill the big
//! database of figure 4 (10 000 users, 1 000 000 avatars, 100 000 pose generations),
//! so both hold rows of the same shape.
//!
//! Every statement takes SQL expressions for the owner columns, written in terms of the
//! series variable of that statement (`u`, `p`, `a`, `q`, `g`, `i`, `h`, `r`). They are
//! our own constants, never user input. PostgreSQL only (`text[]`, `jsonb`).

use std::ops::Range;

use migration::sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};

/// Runs one statement, returning the rows it inserted.
pub async fn exec(db: &DatabaseConnection, sql: &str) -> Result<u64, DbErr> {
    Ok(db.execute_unprepared(sql).await?.rows_affected())
}

/// A fixed point in time the generated rows are spread after.
const T0: &str = "TIMESTAMP '2025-01-06 08:00:00'";

/// `count` users `{prefix}{u}` with e-mails `{prefix}{u}@bench.test`; tiers, roles and
/// tags spread as a real user base (mostly free pay-as-you-go users).
pub fn users(prefix: &str, count: u64) -> String {
    format!(
        r#"INSERT INTO "users" ("id", "email", "password", "name", "role", "storageQuota",
  "storageUsed", "accountType", "subscriptionTier", "userTags", "unlimitedPoseActive",
  "unlimitedPoseDailyQuota", "unlimitedPoseQuotaUsed", "unlimitedPoseQuotaResetAt",
  "unlimitedPoseExpiresAt", "createdAt", "updatedAt")
SELECT '{prefix}' || u, '{prefix}' || u || '@bench.test',
  '$2b$10$benchmarkbenchmarkbenchmarkbenchmarkbenchmarkbenchmark',
  CASE WHEN u % 9 = 0 THEN NULL ELSE 'User ' || u END,
  CASE WHEN u % 1000 = 0 THEN 'admin' ELSE 'user' END,
  1073741824, (u * 7919) % 50000000,
  CASE WHEN u % 5 = 0 THEN 'subscription' ELSE 'payg' END,
  (ARRAY['free','free','free','basic','pro','enterprise'])[1 + u % 6],
  CASE WHEN u % 50 = 0 THEN '["beta_tester"]' WHEN u % 97 = 0 THEN '["enterprise_unlimited"]' END,
  u % 20 = 0, 100, u % 20,
  CASE WHEN u % 20 = 0 THEN {T0} + u * INTERVAL '1 minute' END,
  NULL,
  {T0} + u * INTERVAL '47 minutes', {T0} + u * INTERVAL '47 minutes' + INTERVAL '3 days'
FROM generate_series(0, {last}) AS u"#,
        last = count - 1
    )
}

/// One `session_revocations` row for every tenth user (`{user_prefix}{10 r}`), as "sign out
/// everywhere" leaves them, dated long before the bench's tokens so they stay valid.
pub fn session_revocations(prefix: &str, user_prefix: &str, users: u64) -> String {
    format!(
        r#"INSERT INTO "session_revocations" ("id", "userId", "revokedBefore", "updatedAt")
SELECT '{prefix}' || r, '{user_prefix}' || (r * 10), {T0} + r * INTERVAL '1 minute',
  {T0} + r * INTERVAL '1 minute'
FROM generate_series(0, {last}) AS r"#,
        last = users.div_ceil(10) - 1
    )
}

/// `count` Avatar Creator projects `{prefix}{p}` owned by `user` (an expression in `p`).
pub fn avatar_projects(prefix: &str, count: u64, user: &str) -> String {
    format!(
        r#"INSERT INTO "avatar_projects" ("id", "userId", "name", "description", "createdAt", "updatedAt")
SELECT '{prefix}' || p, {user},
  (ARRAY['Campaign','Brand Ambassadors','Spring Catalogue','Team Headshots','Launch'])[1 + p % 5] || ' ' || p,
  CASE WHEN p % 3 = 0 THEN NULL ELSE 'Seasonal campaign number ' || p END,
  {T0} + p * INTERVAL '5 minutes', {T0} + p * INTERVAL '5 minutes' + (p % 13) * INTERVAL '7 minutes'
FROM generate_series(0, {last}) AS p"#,
        last = count - 1
    )
}

/// Avatars `{prefix}{a}`, a in `rows`, in `project` of `user` (expressions in `a`), every
/// field filled like an uploaded or generated avatar (`personaPersonality` is JSON text).
pub fn avatars(prefix: &str, rows: Range<u64>, project: &str, user: &str) -> String {
    format!(
        r#"INSERT INTO "avatars" ("id", "userId", "projectId", "name", "baseImageUrl", "thumbnailUrl",
  "personaName", "personaAge", "personaPersonality", "personaBackground", "gender", "ageRange",
  "ethnicity", "bodyType", "hairStyle", "hairColor", "eyeColor", "skinTone", "style",
  "sourceType", "generationPrompt", "seedUsed", "usageCount", "lastUsedAt", "createdAt", "updatedAt")
SELECT '{prefix}' || a, {user}, {project}, 'Avatar ' || a,
  '/uploads/avatar-creator/' || {user} || '/' || md5(a::text) || '.jpg',
  '/uploads/avatar-creator/' || {user} || '/' || md5(a::text) || '_thumb.jpg',
  (ARRAY['Sarah Chen','Budi Santoso','Rina Wijaya','Alex Morgan','Dewi Lestari'])[1 + a % 5] || ' ' || a,
  20 + a % 40,
  (ARRAY['["professional","confident","curious"]','["friendly","creative"]','["calm","patient","caring"]'])[1 + a % 3],
  'Marketing executive at a regional retail chain who plans seasonal campaigns and hosts product livestreams.',
  (ARRAY['female','male','unisex'])[1 + a % 3], (ARRAY['young','adult','mature'])[1 + a % 3],
  (ARRAY['east-asian','southeast-asian','south-asian','caucasian','african'])[1 + a % 5],
  CASE WHEN a % 2 = 0 THEN 'athletic' END,
  (ARRAY['bob','long straight','short','curly'])[1 + a % 4], (ARRAY['black','brown','blonde'])[1 + a % 3],
  CASE WHEN a % 4 = 0 THEN 'brown' END, (ARRAY['light','medium','tan','dark'])[1 + a % 4],
  (ARRAY['professional','casual','sporty'])[1 + a % 3],
  (ARRAY['uploaded','text_to_image','from_preset'])[1 + a % 3],
  CASE WHEN a % 3 <> 0 THEN 'Portrait of a confident professional, studio light' END,
  CASE WHEN a % 3 <> 0 THEN 1000 + a % 100000 END,
  a % 7, CASE WHEN a % 4 = 0 THEN {T0} + a * INTERVAL '31 seconds' + INTERVAL '1 day' END,
  {T0} + a * INTERVAL '31 seconds', {T0} + a * INTERVAL '31 seconds'
FROM generate_series({first}, {last}) AS a"#,
        first = rows.start,
        last = rows.end - 1
    )
}

/// `count` usage-history rows `{prefix}{h}` of `avatar` owned by `user` (expressions in `h`).
pub fn usage_history(prefix: &str, count: u64, avatar: &str, user: &str) -> String {
    format!(
        r#"INSERT INTO "avatar_usage_history" ("id", "avatarId", "userId", "appId", "appName", "action",
  "referenceId", "referenceType", "metadata", "createdAt")
SELECT '{prefix}' || h, {avatar}, {user}, 'pose-generator', 'Pose Generator', 'generate_pose',
  'pose-generation-' || h, 'pose_generation', '{{"poseCount":' || (1 + h % 8) || '}}',
  {T0} + h * INTERVAL '97 seconds'
FROM generate_series(0, {last}) AS h"#,
        last = count - 1
    )
}

/// `count` Pose Generator projects `{prefix}{q}` of `user`; `avatar` (an expression in
/// `q`, or `NULL`) is an Avatar Creator avatar of that user.
pub fn pose_projects(prefix: &str, count: u64, user: &str, avatar: &str) -> String {
    format!(
        r#"INSERT INTO "pose_generator_projects" ("id", "userId", "projectName", "description",
  "avatarImageUrl", "avatarSource", "avatarId", "totalGenerations", "totalPosesGenerated", "status",
  "createdAt", "updatedAt")
SELECT '{prefix}' || q, {user}, 'Pose shoot ' || q,
  CASE WHEN q % 2 = 0 THEN 'Catalogue poses for the ' || q || ' collection' END,
  '/uploads/pose-generator/' || md5(q::text) || '.jpg',
  CASE WHEN {avatar} IS NULL THEN 'UPLOAD' ELSE 'AVATAR_CREATOR' END, {avatar},
  0, 0, CASE WHEN q % 10 = 9 THEN 'archived' ELSE 'active' END,
  {T0} + q * INTERVAL '13 minutes', {T0} + q * INTERVAL '13 minutes' + INTERVAL '2 hours'
FROM generate_series(0, {last}) AS q"#,
        last = count - 1
    )
}

/// Poses per generated pose generation (gallery: 2 library poses × 2 variations; text:
/// 4 variations), 30 credits each.
pub const POSES_PER_GENERATION: u64 = 4;

/// `count` pose generations `{prefix}{g}` in `project` of `user`, `avatar` an expression
/// in `g` or `NULL`. Mostly completed; every 20th failed, every 20th partial.
pub fn pose_generations(
    prefix: &str,
    count: u64,
    project: &str,
    user: &str,
    avatar: &str,
) -> String {
    format!(
        r#"INSERT INTO "pose_generations" ("id", "projectId", "userId", "generationType", "textPrompt",
  "generatedPoseStructure", "avatarId", "avatarAttributes", "batchSize", "totalExpectedPoses",
  "useBackgroundChanger", "backgroundPrompt", "backgroundMode", "exportFormats", "status", "progress",
  "posesCompleted", "posesFailed", "creditCharged", "creditRefunded", "queueJobId", "errorMessage",
  "createdAt", "startedAt", "completedAt", "avgGenerationTime", "totalProcessingTime",
  "recoveryAttempts", "lastRecoveryAt")
SELECT '{prefix}' || g, {project}, {user},
  CASE WHEN g % 3 = 2 THEN 'TEXT_DESCRIPTION' ELSE 'GALLERY_REFERENCE' END,
  CASE WHEN g % 3 = 2 THEN 'standing with arms crossed, smiling' END,
  CASE WHEN g % 3 = 2 THEN 'Full body, weight on the left leg, arms crossed at chest height' END,
  {avatar},
  CASE WHEN {avatar} IS NOT NULL THEN '{{"gender":"female","ageRange":"adult","ethnicity":"southeast-asian","style":"casual"}}' END,
  CASE WHEN g % 3 = 2 THEN 4 ELSE 2 END, 4,
  g % 5 = 0, CASE WHEN g % 5 = 0 THEN 'a sunny beach at golden hour' END,
  CASE WHEN g % 5 = 0 THEN 'ai_generate' END,
  CASE WHEN g % 4 = 0 THEN NULL ELSE ARRAY['instagram_story','tiktok']::text[] END,
  CASE g % 20 WHEN 7 THEN 'failed' WHEN 13 THEN 'partial' ELSE 'completed' END,
  100,
  CASE g % 20 WHEN 7 THEN 0 WHEN 13 THEN 3 ELSE 4 END,
  CASE g % 20 WHEN 7 THEN 4 WHEN 13 THEN 1 ELSE 0 END,
  120,
  CASE g % 20 WHEN 7 THEN 120 WHEN 13 THEN 30 ELSE 0 END,
  'job-' || g,
  CASE g % 20 WHEN 7 THEN 'The image provider failed' END,
  {T0} + g * INTERVAL '4 minutes', {T0} + g * INTERVAL '4 minutes' + INTERVAL '2 seconds',
  {T0} + g * INTERVAL '4 minutes' + INTERVAL '40 seconds', 9.5, 38.0, 0, NULL
FROM generate_series(0, {last}) AS g"#,
        last = count - 1
    )
}

/// `POSES_PER_GENERATION` generated poses per generation `{gen_prefix}{g}`, g in `generations`,
/// ids `{prefix}{i}`; gallery poses point at the seeded library (`pose_library` must hold
/// at least two poses), with `variationKey` `<poseId>-v<n>` / `text-v<n>`.
pub fn generated_poses(prefix: &str, gen_prefix: &str, generations: Range<u64>) -> String {
    format!(
        r#"WITH lib AS (SELECT array_agg("id" ORDER BY "id") AS ids FROM "pose_library"),
s AS (SELECT i, i / {per} AS g, i % {per} AS k FROM generate_series({first}, {last}) AS i)
INSERT INTO "generated_poses" ("id", "generationId", "poseLibraryId", "outputImageUrl", "thumbnailUrl",
  "originalImageUrl", "exportFormats", "backgroundChanged", "backgroundPrompt", "promptUsed", "seedUsed",
  "controlnetWeight", "generationTime", "aiConfidenceScore", "isFavorite", "downloadCount", "status",
  "errorMessage", "createdAt", "variationKey")
SELECT '{prefix}' || i, '{gen_prefix}' || g,
  CASE WHEN g % 3 <> 2 THEN lib.ids[1 + (g + k / 2) % array_length(lib.ids, 1)] END,
  CASE WHEN ok THEN '/uploads/pose-generator/' || md5(i::text) || '.png' ELSE '' END,
  CASE WHEN ok THEN '/uploads/pose-generator/' || md5(i::text) || '_thumb.jpg' ELSE '' END,
  CASE WHEN ok AND g % 5 = 0 THEN '/uploads/pose-generator/' || md5(i::text) || '_original.png' END,
  CASE WHEN ok AND g % 4 <> 0
    THEN jsonb_build_object('instagram_story', '/uploads/pose-generator/' || md5(i::text) || '_story.png',
                            'tiktok', '/uploads/pose-generator/' || md5(i::text) || '_tiktok.png')
    ELSE '{{}}'::jsonb END,
  ok AND g % 5 = 0, CASE WHEN g % 5 = 0 THEN 'a sunny beach at golden hour' END,
  CASE WHEN ok THEN 'full body photo of a person standing, studio light, pose ' || k ELSE '' END,
  CASE WHEN ok THEN ((i::bigint * 7919) % 1000000)::int END,
  0.75, CASE WHEN ok THEN 8.0 + (i % 30) / 10.0 END, CASE WHEN ok THEN 0.8 + (i % 20) / 100.0 END,
  ok AND i % 11 = 0, CASE WHEN ok THEN i % 3 ELSE 0 END,
  CASE WHEN ok THEN 'completed' ELSE 'failed' END,
  CASE WHEN ok THEN NULL ELSE 'The image provider failed' END,
  {T0} + g * INTERVAL '4 minutes' + (5 + 9 * k) * INTERVAL '1 second',
  CASE WHEN g % 3 = 2 THEN 'text-v' || k
       ELSE lib.ids[1 + (g + k / 2) % array_length(lib.ids, 1)] || '-v' || (k % 2) END
FROM lib, (SELECT s.*, NOT (g % 20 = 7 OR (g % 20 = 13 AND k = 3)) AS ok FROM s) AS x"#,
        per = POSES_PER_GENERATION,
        first = generations.start * POSES_PER_GENERATION,
        last = generations.end * POSES_PER_GENERATION - 1
    )
}

/// The two library poses chosen by each gallery generation `{gen_prefix}{g}`, g < `count`.
pub fn pose_selections(prefix: &str, gen_prefix: &str, count: u64) -> String {
    format!(
        r#"WITH lib AS (SELECT array_agg("id" ORDER BY "id") AS ids FROM "pose_library")
INSERT INTO "pose_selections" ("id", "generationId", "poseLibraryId", "createdAt")
SELECT '{prefix}' || i, '{gen_prefix}' || (i / 2),
  lib.ids[1 + ((i / 2) + i % 2) % array_length(lib.ids, 1)],
  {T0} + (i / 2) * INTERVAL '4 minutes'
FROM lib, generate_series(0, {last}) AS i
WHERE (i / 2) % 3 <> 2"#,
        last = count * 2 - 1
    )
}

/// `count` pose requests `{prefix}{r}` of `user` (an expression in `r`).
pub fn pose_requests(prefix: &str, count: u64, user: &str) -> String {
    format!(
        r#"WITH cat AS (SELECT array_agg("id" ORDER BY "id") AS ids FROM "pose_categories")
INSERT INTO "pose_requests" ("id", "userId", "poseName", "description", "referenceImageUrl",
  "categoryId", "useCase", "votesCount", "status", "adminNotes", "completedPoseId", "createdAt", "updatedAt")
SELECT '{prefix}' || r, {user}, 'Requested pose ' || r,
  'Sitting on a high stool, one foot on the rail, looking over the shoulder (' || r || ')',
  CASE WHEN r % 4 = 0 THEN '/uploads/pose-requests/' || md5(r::text) || '.jpg' END,
  CASE WHEN r % 3 = 2 THEN NULL ELSE cat.ids[1 + r % array_length(cat.ids, 1)] END,
  (ARRAY['e-commerce','professional','social'])[1 + r % 3], r % 17,
  (ARRAY['pending','pending','approved','in_progress','rejected'])[1 + r % 5],
  CASE WHEN r % 5 = 4 THEN 'Too close to an existing pose' END, NULL,
  {T0} + r * INTERVAL '23 minutes', {T0} + r * INTERVAL '23 minutes' + INTERVAL '1 day'
FROM cat, generate_series(0, {last}) AS r"#,
        last = count - 1
    )
}

/// `count` votes `{prefix}{v}`: vote v is by `voter` (an expression in `v`) on request
/// `{request_prefix}` || `request` (an expression in `v`); the pairs must be distinct.
pub fn pose_request_votes(
    prefix: &str,
    count: u64,
    request_prefix: &str,
    request: &str,
    voter: &str,
) -> String {
    format!(
        r#"INSERT INTO "pose_request_votes" ("id", "requestId", "userId", "createdAt")
SELECT '{prefix}' || v, '{request_prefix}' || {request}, {voter}, {T0} + v * INTERVAL '11 minutes'
FROM generate_series(0, {last}) AS v"#,
        last = count - 1
    )
}
