//! PostgreSQL databases in the shapes the deploy tool must handle (schema.md §1.2,
//! Appendix A and C), written as the SQL the Node/Prisma backend produced. They never
//! contain real data.

use migration::sea_orm::{ConnectionTrait, DatabaseConnection};

async fn run(conn: &DatabaseConnection, sql: &str) {
    conn.execute_unprepared(sql)
        .await
        .unwrap_or_else(|e| panic!("fixture SQL failed: {e}\n{sql}"));
}

/// The password of the runbook fixture's users.
pub const PREVIOUS_PASSWORD: &str = "password123";

/// A `$2b$` bcrypt hash at cost 10 of [`PREVIOUS_PASSWORD`], as the previous backend
/// stored passwords.
pub fn previous_backend_hash() -> String {
    bcrypt::hash(PREVIOUS_PASSWORD, 10).expect("bcrypt hashes")
}

/// The base tables as the runbook's production database has them (A.5 and F1):
/// `users` with the eleven user-settings columns of other apps and without the
/// `unlimitedPose*` columns, only the early single-column indexes, unrelated tables of
/// other apps, Prisma's `_prisma_migrations` with one row, and some users and credits.
pub async fn runbook_production(conn: &DatabaseConnection) {
    run(
        conn,
        r#"
CREATE TABLE "users" (
    "id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "password" TEXT NOT NULL,
    "name" TEXT,
    "role" TEXT NOT NULL DEFAULT 'user',
    "storageQuota" INTEGER NOT NULL DEFAULT 1073741824,
    "storageUsed" INTEGER NOT NULL DEFAULT 0,
    "accountType" TEXT NOT NULL DEFAULT 'payg',
    "subscriptionTier" TEXT NOT NULL DEFAULT 'free',
    "userTags" TEXT,
    "emailNotifications" BOOLEAN NOT NULL DEFAULT true,
    "pushNotifications" BOOLEAN NOT NULL DEFAULT false,
    "marketingEmails" BOOLEAN NOT NULL DEFAULT false,
    "projectUpdates" BOOLEAN NOT NULL DEFAULT true,
    "creditAlerts" BOOLEAN NOT NULL DEFAULT true,
    "theme" TEXT NOT NULL DEFAULT 'light',
    "language" TEXT NOT NULL DEFAULT 'id',
    "profileVisibility" TEXT NOT NULL DEFAULT 'public',
    "showEmail" BOOLEAN NOT NULL DEFAULT false,
    "analyticsTracking" BOOLEAN NOT NULL DEFAULT true,
    "settingsUpdatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "users_email_key" ON "users"("email");

CREATE TABLE "sessions" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "token" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "sessions_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "sessions_token_key" ON "sessions"("token");

CREATE TABLE "credits" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "amount" INTEGER NOT NULL,
    "balance" INTEGER NOT NULL,
    "type" TEXT NOT NULL,
    "description" TEXT,
    "referenceId" TEXT,
    "referenceType" TEXT,
    "paymentId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "credits_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "credits_userId_idx" ON "credits"("userId");

CREATE TABLE "app_usages" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "appId" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "creditUsed" INTEGER NOT NULL,
    "metadata" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "app_usages_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "app_usages_userId_idx" ON "app_usages"("userId");
CREATE INDEX "app_usages_appId_idx" ON "app_usages"("appId");
CREATE INDEX "app_usages_createdAt_idx" ON "app_usages"("createdAt");

ALTER TABLE "sessions" ADD CONSTRAINT "sessions_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "credits" ADD CONSTRAINT "credits_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "app_usages" ADD CONSTRAINT "app_usages_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "devices" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "userId" TEXT NOT NULL REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    "name" TEXT NOT NULL
);
CREATE TABLE "payments" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "userId" TEXT NOT NULL REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    "amount" INTEGER NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending'
);
CREATE TABLE "_prisma_migrations" (
    "id" VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum" VARCHAR(64) NOT NULL,
    "finished_at" TIMESTAMPTZ,
    "migration_name" VARCHAR(255) NOT NULL,
    "logs" TEXT,
    "rolled_back_at" TIMESTAMPTZ,
    "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count" INTEGER NOT NULL DEFAULT 0
);
INSERT INTO "_prisma_migrations" ("id","checksum","finished_at","migration_name","applied_steps_count")
VALUES ('0d6f1c7e-0000-4000-8000-000000000001', 'a1b2c3', now(), '20250101000000_init', 1);
"#,
    )
    .await;
    let users = [
        (
            "cm0user000000000000000001",
            "rina@example.com",
            "Rina",
            "admin",
        ),
        (
            "cm0user000000000000000002",
            "budi@example.com",
            "Budi",
            "user",
        ),
        (
            "cm0user000000000000000003",
            "sari@example.com",
            "Sari",
            "user",
        ),
    ];
    let hash = previous_backend_hash();
    for (id, email, name, role) in users {
        run(
            conn,
            &format!(
                r#"INSERT INTO "users" ("id","email","password","name","role","createdAt","updatedAt")
                   VALUES ('{id}','{email}','{hash}','{name}','{role}','2025-09-01 08:00:00.000','2025-09-01 08:00:00.000');
                   INSERT INTO "credits" ("id","userId","amount","balance","type","description","createdAt")
                   VALUES ('cr-{id}','{id}',100,100,'bonus','Welcome bonus','2025-09-01 08:00:00.000');
                   INSERT INTO "devices" ("id","userId","name") VALUES ('dev-{id}','{id}','laptop');"#
            ),
        )
        .await;
    }
}

/// F1b: the runbook production with the five `unlimitedPose*` columns in the
/// upstream variant: nullable flags with defaults, `timestamp(6)` timestamps.
pub async fn runbook_production_with_pose_flags(conn: &DatabaseConnection) {
    runbook_production(conn).await;
    run(
        conn,
        r#"
ALTER TABLE "users" ADD COLUMN "unlimitedPoseActive" BOOLEAN DEFAULT false;
ALTER TABLE "users" ADD COLUMN "unlimitedPoseDailyQuota" INTEGER DEFAULT 100;
ALTER TABLE "users" ADD COLUMN "unlimitedPoseQuotaUsed" INTEGER DEFAULT 0;
ALTER TABLE "users" ADD COLUMN "unlimitedPoseQuotaResetAt" TIMESTAMP;
ALTER TABLE "users" ADD COLUMN "unlimitedPoseExpiresAt" TIMESTAMP;
"#,
    )
    .await;
}

/// F2: the legacy v1 shape of Appendix A, with rows: `avatars` without the persona
/// columns, the old `avatar_generations`, `generated_poses` with its RESTRICT key
/// onto `avatars`, `pose_generations` pointing at `pose_generation_projects`, and the
/// legacy-only tables.
pub async fn legacy_v1(conn: &DatabaseConnection) {
    run(
        conn,
        r#"
CREATE TABLE "users" (
    "id" TEXT NOT NULL, "email" TEXT NOT NULL, "password" TEXT NOT NULL, "name" TEXT,
    "role" TEXT NOT NULL DEFAULT 'user', "storageQuota" INTEGER NOT NULL DEFAULT 1073741824,
    "storageUsed" INTEGER NOT NULL DEFAULT 0, "accountType" TEXT NOT NULL DEFAULT 'payg',
    "subscriptionTier" TEXT NOT NULL DEFAULT 'free', "userTags" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, "updatedAt" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "users_pkey" PRIMARY KEY ("id"));
CREATE UNIQUE INDEX "users_email_key" ON "users"("email");
CREATE TABLE "sessions" ("id" TEXT NOT NULL, "userId" TEXT NOT NULL, "token" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL, "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "sessions_pkey" PRIMARY KEY ("id"));
CREATE UNIQUE INDEX "sessions_token_key" ON "sessions"("token");
CREATE TABLE "credits" ("id" TEXT NOT NULL, "userId" TEXT NOT NULL, "amount" INTEGER NOT NULL,
    "balance" INTEGER NOT NULL, "type" TEXT NOT NULL, "description" TEXT, "referenceId" TEXT,
    "referenceType" TEXT, "paymentId" TEXT, "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "credits_pkey" PRIMARY KEY ("id"));
CREATE INDEX "credits_userId_idx" ON "credits"("userId");
CREATE TABLE "app_usages" ("id" TEXT NOT NULL, "userId" TEXT NOT NULL, "appId" TEXT NOT NULL,
    "action" TEXT NOT NULL, "creditUsed" INTEGER NOT NULL, "metadata" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, CONSTRAINT "app_usages_pkey" PRIMARY KEY ("id"));
CREATE INDEX "app_usages_userId_idx" ON "app_usages"("userId");
CREATE INDEX "app_usages_appId_idx" ON "app_usages"("appId");
CREATE INDEX "app_usages_createdAt_idx" ON "app_usages"("createdAt");
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "credits" ADD CONSTRAINT "credits_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "app_usages" ADD CONSTRAINT "app_usages_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "brand_kits" ("id" TEXT NOT NULL PRIMARY KEY);
CREATE TABLE "products" ("id" TEXT NOT NULL PRIMARY KEY);
CREATE TABLE "pose_templates" ("id" TEXT NOT NULL PRIMARY KEY);
CREATE TABLE "design_metrics" ("id" TEXT NOT NULL PRIMARY KEY);
CREATE TABLE "pose_generation_projects" ("id" TEXT NOT NULL PRIMARY KEY, "userId" TEXT NOT NULL,
    "name" TEXT NOT NULL, "description" TEXT, "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL);

CREATE TABLE "avatar_projects" ("id" TEXT NOT NULL, "userId" TEXT NOT NULL, "name" TEXT NOT NULL,
    "description" TEXT, "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL, CONSTRAINT "avatar_projects_pkey" PRIMARY KEY ("id"));
CREATE INDEX "avatar_projects_userId_idx" ON "avatar_projects"("userId");

CREATE TABLE "avatars" (
    "id" TEXT NOT NULL, "userId" TEXT NOT NULL, "projectId" TEXT NOT NULL, "brandKitId" TEXT,
    "name" TEXT NOT NULL, "baseImageUrl" TEXT NOT NULL, "thumbnailUrl" TEXT, "gender" TEXT,
    "ageRange" TEXT, "style" TEXT, "ethnicity" TEXT, "bodyType" TEXT, "generationPrompt" TEXT,
    "faceEmbedding" TEXT, "sourceType" TEXT NOT NULL, "usageCount" INTEGER NOT NULL DEFAULT 0,
    "lastUsedAt" TIMESTAMP(3), "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL, CONSTRAINT "avatars_pkey" PRIMARY KEY ("id"));
CREATE INDEX "avatars_userId_idx" ON "avatars"("userId");
CREATE INDEX "avatars_projectId_idx" ON "avatars"("projectId");
CREATE INDEX "avatars_brandKitId_idx" ON "avatars"("brandKitId");
ALTER TABLE "avatars" ADD CONSTRAINT "avatars_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "avatars" ADD CONSTRAINT "avatars_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "avatar_projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "avatars" ADD CONSTRAINT "avatars_brandKitId_fkey" FOREIGN KEY ("brandKitId") REFERENCES "brand_kits"("id") ON DELETE SET NULL ON UPDATE CASCADE;

CREATE TABLE "avatar_usage_history" ("id" TEXT NOT NULL, "avatarId" TEXT NOT NULL, "userId" TEXT NOT NULL,
    "appId" TEXT NOT NULL, "appName" TEXT NOT NULL, "action" TEXT NOT NULL, "referenceId" TEXT,
    "referenceType" TEXT, "metadata" TEXT, "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "avatar_usage_history_pkey" PRIMARY KEY ("id"));
CREATE INDEX "avatar_usage_history_avatarId_idx" ON "avatar_usage_history"("avatarId");
CREATE INDEX "avatar_usage_history_userId_idx" ON "avatar_usage_history"("userId");
CREATE INDEX "avatar_usage_history_appId_idx" ON "avatar_usage_history"("appId");
CREATE INDEX "avatar_usage_history_createdAt_idx" ON "avatar_usage_history"("createdAt");
ALTER TABLE "avatar_usage_history" ADD CONSTRAINT "avatar_usage_history_avatarId_fkey" FOREIGN KEY ("avatarId") REFERENCES "avatars"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "avatar_generations" ("id" TEXT NOT NULL, "userId" TEXT NOT NULL,
    "poseTemplateId" TEXT NOT NULL, "inputImageUrl" TEXT NOT NULL, "outputImageUrl" TEXT,
    "quality" TEXT NOT NULL DEFAULT 'sd', "status" TEXT NOT NULL DEFAULT 'pending', "errorMessage" TEXT,
    "creditUsed" INTEGER NOT NULL DEFAULT 5, "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completedAt" TIMESTAMP(3), CONSTRAINT "avatar_generations_pkey" PRIMARY KEY ("id"));
CREATE INDEX "avatar_generations_userId_idx" ON "avatar_generations"("userId");
CREATE INDEX "avatar_generations_status_idx" ON "avatar_generations"("status");
CREATE INDEX "avatar_generations_createdAt_idx" ON "avatar_generations"("createdAt");

CREATE TABLE "pose_generations" ("id" TEXT NOT NULL, "projectId" TEXT, "userId" TEXT NOT NULL,
    "avatarId" TEXT NOT NULL, "totalPoses" INTEGER NOT NULL, "selectedPoseIds" TEXT NOT NULL,
    "batchSize" INTEGER NOT NULL DEFAULT 10, "quality" TEXT NOT NULL DEFAULT 'sd', "fashionSettings" TEXT,
    "backgroundSettings" TEXT, "professionTheme" TEXT, "provider" TEXT NOT NULL DEFAULT 'modelslab',
    "modelId" TEXT NOT NULL DEFAULT 'controlnet-sd15', "basePrompt" TEXT NOT NULL, "negativePrompt" TEXT,
    "status" TEXT NOT NULL DEFAULT 'pending', "progress" INTEGER NOT NULL DEFAULT 0,
    "successfulPoses" INTEGER NOT NULL DEFAULT 0, "failedPoses" INTEGER NOT NULL DEFAULT 0,
    "creditUsed" INTEGER NOT NULL DEFAULT 0, "outputFolder" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, "updatedAt" TIMESTAMP(3) NOT NULL,
    "completedAt" TIMESTAMP(3), CONSTRAINT "pose_generations_pkey" PRIMARY KEY ("id"));
CREATE INDEX "pose_generations_projectId_idx" ON "pose_generations"("projectId");
CREATE INDEX "pose_generations_userId_idx" ON "pose_generations"("userId");
CREATE INDEX "pose_generations_status_idx" ON "pose_generations"("status");
ALTER TABLE "pose_generations" ADD CONSTRAINT "pose_generations_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "pose_generation_projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "generated_poses" ("id" TEXT NOT NULL, "generationId" TEXT NOT NULL, "userId" TEXT NOT NULL,
    "avatarId" TEXT NOT NULL, "productId" TEXT, "poseTemplateId" TEXT NOT NULL, "prompt" TEXT NOT NULL,
    "negativePrompt" TEXT, "controlnetImage" TEXT, "outputUrl" TEXT NOT NULL, "thumbnailUrl" TEXT,
    "success" BOOLEAN NOT NULL DEFAULT true, "qualityScore" DOUBLE PRECISION,
    "generationTime" INTEGER NOT NULL DEFAULT 0, "provider" TEXT NOT NULL, "providerJobId" TEXT,
    "seed" INTEGER, "exported" BOOLEAN NOT NULL DEFAULT false, "exportCount" INTEGER NOT NULL DEFAULT 0,
    "usedInPosters" INTEGER NOT NULL DEFAULT 0, "userRating" INTEGER,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, CONSTRAINT "generated_poses_pkey" PRIMARY KEY ("id"));
CREATE INDEX "generated_poses_generationId_idx" ON "generated_poses"("generationId");
CREATE INDEX "generated_poses_userId_createdAt_idx" ON "generated_poses"("userId", "createdAt");
CREATE INDEX "generated_poses_poseTemplateId_success_idx" ON "generated_poses"("poseTemplateId", "success");
ALTER TABLE "generated_poses" ADD CONSTRAINT "generated_poses_generationId_fkey" FOREIGN KEY ("generationId") REFERENCES "pose_generations"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "generated_poses" ADD CONSTRAINT "generated_poses_avatarId_fkey" FOREIGN KEY ("avatarId") REFERENCES "avatars"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "generated_poses" ADD CONSTRAINT "generated_poses_productId_fkey" FOREIGN KEY ("productId") REFERENCES "products"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "generated_poses" ADD CONSTRAINT "generated_poses_poseTemplateId_fkey" FOREIGN KEY ("poseTemplateId") REFERENCES "pose_templates"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

INSERT INTO "users" ("id","email","password","name","createdAt","updatedAt") VALUES ('u1','v1@example.com','x','V1','2025-06-01 00:00:00','2025-06-01 00:00:00');
INSERT INTO "avatar_projects" ("id","userId","name","updatedAt") VALUES ('ap1','u1','Legacy','2025-06-01 00:00:00');
INSERT INTO "avatars" ("id","userId","projectId","name","baseImageUrl","sourceType","bodyType","updatedAt") VALUES ('av1','u1','ap1','Old','/uploads/old.png','upload','half_body','2025-06-01 00:00:00');
INSERT INTO "pose_templates" ("id") VALUES ('pt1');
INSERT INTO "avatar_generations" ("id","userId","poseTemplateId","inputImageUrl") VALUES ('ag1','u1','pt1','/uploads/in.png');
INSERT INTO "pose_generation_projects" ("id","userId","name","updatedAt") VALUES ('pgp1','u1','Shoot','2025-06-01 00:00:00');
INSERT INTO "pose_generations" ("id","projectId","userId","avatarId","totalPoses","selectedPoseIds","basePrompt","updatedAt") VALUES ('pg1','pgp1','u1','av1',1,'["pt1"]','a pose','2025-06-01 00:00:00');
INSERT INTO "generated_poses" ("id","generationId","userId","avatarId","poseTemplateId","prompt","outputUrl","provider") VALUES ('gp1','pg1','u1','av1','pt1','a pose','/uploads/out.png','modelslab');
"#,
    )
    .await;
}

/// F2b: F2 after the operator moved the three incompatible tables aside, with their
/// indexes and constraints, as the refusal report suggests.
pub async fn legacy_v1_moved_aside(conn: &DatabaseConnection) {
    legacy_v1(conn).await;
    run(
        conn,
        r#"
ALTER TABLE "generated_poses" RENAME TO "generated_poses_v1";
ALTER TABLE "pose_generations" RENAME TO "pose_generations_v1";
ALTER TABLE "avatar_generations" RENAME TO "avatar_generations_v1";
ALTER INDEX "generated_poses_pkey" RENAME TO "generated_poses_v1_pkey";
ALTER INDEX "generated_poses_generationId_idx" RENAME TO "generated_poses_v1_generationId_idx";
ALTER INDEX "generated_poses_userId_createdAt_idx" RENAME TO "generated_poses_v1_userId_createdAt_idx";
ALTER INDEX "generated_poses_poseTemplateId_success_idx" RENAME TO "generated_poses_v1_poseTemplateId_success_idx";
ALTER INDEX "pose_generations_pkey" RENAME TO "pose_generations_v1_pkey";
ALTER INDEX "pose_generations_projectId_idx" RENAME TO "pose_generations_v1_projectId_idx";
ALTER INDEX "pose_generations_userId_idx" RENAME TO "pose_generations_v1_userId_idx";
ALTER INDEX "pose_generations_status_idx" RENAME TO "pose_generations_v1_status_idx";
ALTER INDEX "avatar_generations_pkey" RENAME TO "avatar_generations_v1_pkey";
ALTER INDEX "avatar_generations_userId_idx" RENAME TO "avatar_generations_v1_userId_idx";
ALTER INDEX "avatar_generations_status_idx" RENAME TO "avatar_generations_v1_status_idx";
ALTER INDEX "avatar_generations_createdAt_idx" RENAME TO "avatar_generations_v1_createdAt_idx";
ALTER TABLE "generated_poses_v1" RENAME CONSTRAINT "generated_poses_generationId_fkey" TO "generated_poses_v1_generationId_fkey";
ALTER TABLE "generated_poses_v1" RENAME CONSTRAINT "generated_poses_avatarId_fkey" TO "generated_poses_v1_avatarId_fkey";
ALTER TABLE "generated_poses_v1" RENAME CONSTRAINT "generated_poses_productId_fkey" TO "generated_poses_v1_productId_fkey";
ALTER TABLE "generated_poses_v1" RENAME CONSTRAINT "generated_poses_poseTemplateId_fkey" TO "generated_poses_v1_poseTemplateId_fkey";
ALTER TABLE "pose_generations_v1" RENAME CONSTRAINT "pose_generations_projectId_fkey" TO "pose_generations_v1_projectId_fkey";
"#,
    )
    .await;
}

/// F3: the complete upstream shape: F1b plus the 13 Avatar Creator / Pose Generator
/// tables as the previous backend's last migration left them (§5/§6 without the
/// `m20251018` objects and without the §7.1 foreign keys), no ledger of ours.
pub async fn complete_upstream(conn: &DatabaseConnection) {
    runbook_production_with_pose_flags(conn).await;
    run(conn, UPSTREAM_TABLES).await;
    run(
        conn,
        r#"
ALTER TABLE "pose_generator_projects" ADD CONSTRAINT "pose_generator_projects_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "pose_generations" ADD CONSTRAINT "pose_generations_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "pose_requests" ADD CONSTRAINT "pose_requests_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
"#,
    )
    .await;
}

/// The 13 tables of the upstream shape, written out as Prisma created them.
const UPSTREAM_TABLES: &str = r#"
CREATE TABLE "avatar_projects" ("id" TEXT NOT NULL, "userId" TEXT NOT NULL, "name" TEXT NOT NULL, "description" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, "updatedAt" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "avatar_projects_pkey" PRIMARY KEY ("id"));
CREATE INDEX "avatar_projects_userId_idx" ON "avatar_projects"("userId");
CREATE INDEX "avatar_projects_userId_createdAt_idx" ON "avatar_projects"("userId", "createdAt" DESC);
CREATE INDEX "avatar_projects_userId_updatedAt_idx" ON "avatar_projects"("userId", "updatedAt" DESC);

CREATE TABLE "avatars" ("id" TEXT NOT NULL, "userId" TEXT NOT NULL, "projectId" TEXT NOT NULL, "name" TEXT NOT NULL,
    "baseImageUrl" TEXT NOT NULL, "thumbnailUrl" TEXT, "personaName" TEXT, "personaAge" INTEGER, "personaPersonality" TEXT,
    "personaBackground" TEXT, "gender" TEXT, "ageRange" TEXT, "ethnicity" TEXT, "bodyType" TEXT, "hairStyle" TEXT,
    "hairColor" TEXT, "eyeColor" TEXT, "skinTone" TEXT, "style" TEXT, "sourceType" TEXT NOT NULL, "generationPrompt" TEXT,
    "seedUsed" INTEGER, "usageCount" INTEGER NOT NULL DEFAULT 0, "lastUsedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, "updatedAt" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "avatars_pkey" PRIMARY KEY ("id"));
CREATE INDEX "avatars_userId_idx" ON "avatars"("userId");
CREATE INDEX "avatars_projectId_idx" ON "avatars"("projectId");
CREATE INDEX "avatars_sourceType_idx" ON "avatars"("sourceType");
CREATE INDEX "avatars_userId_usageCount_idx" ON "avatars"("userId", "usageCount" DESC);
CREATE INDEX "avatars_userId_lastUsedAt_idx" ON "avatars"("userId", "lastUsedAt" DESC);
CREATE INDEX "avatars_userId_createdAt_idx" ON "avatars"("userId", "createdAt" DESC);

CREATE TABLE "avatar_presets" ("id" TEXT NOT NULL, "name" TEXT NOT NULL, "previewImageUrl" TEXT NOT NULL, "category" TEXT NOT NULL,
    "personaTemplate" TEXT NOT NULL, "visualAttributes" TEXT NOT NULL, "generationPrompt" TEXT NOT NULL,
    "isPublic" BOOLEAN NOT NULL DEFAULT true, "usageCount" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, "updatedAt" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "avatar_presets_pkey" PRIMARY KEY ("id"));
CREATE INDEX "avatar_presets_category_idx" ON "avatar_presets"("category");
CREATE INDEX "avatar_presets_isPublic_idx" ON "avatar_presets"("isPublic");
CREATE INDEX "avatar_presets_category_isPublic_idx" ON "avatar_presets"("category", "isPublic");
CREATE INDEX "avatar_presets_usageCount_idx" ON "avatar_presets"("usageCount" DESC);

CREATE TABLE "persona_examples" ("id" TEXT NOT NULL, "name" TEXT NOT NULL, "category" TEXT NOT NULL, "personaName" TEXT NOT NULL,
    "personaAge" INTEGER NOT NULL, "personaPersonality" TEXT NOT NULL, "personaBackground" TEXT NOT NULL, "suggestedAttributes" TEXT,
    "displayOrder" INTEGER NOT NULL DEFAULT 0, "isActive" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, CONSTRAINT "persona_examples_pkey" PRIMARY KEY ("id"));
CREATE INDEX "persona_examples_category_idx" ON "persona_examples"("category");
CREATE INDEX "persona_examples_isActive_idx" ON "persona_examples"("isActive");
CREATE INDEX "persona_examples_category_isActive_displayOrder_idx" ON "persona_examples"("category", "isActive", "displayOrder");

CREATE TABLE "avatar_usage_history" ("id" TEXT NOT NULL, "avatarId" TEXT NOT NULL, "userId" TEXT NOT NULL, "appId" TEXT NOT NULL,
    "appName" TEXT NOT NULL, "action" TEXT NOT NULL, "referenceId" TEXT, "referenceType" TEXT, "metadata" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, CONSTRAINT "avatar_usage_history_pkey" PRIMARY KEY ("id"));
CREATE INDEX "avatar_usage_history_avatarId_idx" ON "avatar_usage_history"("avatarId");
CREATE INDEX "avatar_usage_history_userId_idx" ON "avatar_usage_history"("userId");
CREATE INDEX "avatar_usage_history_appId_idx" ON "avatar_usage_history"("appId");
CREATE INDEX "avatar_usage_history_avatarId_createdAt_idx" ON "avatar_usage_history"("avatarId", "createdAt" DESC);
CREATE INDEX "avatar_usage_history_userId_createdAt_idx" ON "avatar_usage_history"("userId", "createdAt" DESC);
CREATE INDEX "avatar_usage_history_appId_createdAt_idx" ON "avatar_usage_history"("appId", "createdAt");
CREATE INDEX "avatar_usage_history_referenceId_referenceType_idx" ON "avatar_usage_history"("referenceId", "referenceType");

CREATE TABLE "avatar_generations" ("id" TEXT NOT NULL, "userId" TEXT NOT NULL, "avatarId" TEXT, "projectId" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending', "prompt" TEXT NOT NULL, "options" TEXT, "errorMessage" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, "completedAt" TIMESTAMP(3),
    CONSTRAINT "avatar_generations_pkey" PRIMARY KEY ("id"));
CREATE INDEX "avatar_generations_userId_idx" ON "avatar_generations"("userId");
CREATE INDEX "avatar_generations_status_idx" ON "avatar_generations"("status");
CREATE INDEX "avatar_generations_projectId_idx" ON "avatar_generations"("projectId");
CREATE INDEX "avatar_generations_avatarId_idx" ON "avatar_generations"("avatarId");
CREATE INDEX "avatar_generations_userId_status_idx" ON "avatar_generations"("userId", "status");
CREATE INDEX "avatar_generations_userId_createdAt_idx" ON "avatar_generations"("userId", "createdAt" DESC);
CREATE INDEX "avatar_generations_status_createdAt_idx" ON "avatar_generations"("status", "createdAt");
CREATE INDEX "avatar_generations_projectId_createdAt_idx" ON "avatar_generations"("projectId", "createdAt" DESC);

ALTER TABLE "avatars" ADD CONSTRAINT "avatars_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "avatar_projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "avatar_usage_history" ADD CONSTRAINT "avatar_usage_history_avatarId_fkey" FOREIGN KEY ("avatarId") REFERENCES "avatars"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "pose_categories" ("id" TEXT NOT NULL, "name" TEXT NOT NULL, "displayName" TEXT NOT NULL, "description" TEXT,
    "slug" TEXT NOT NULL, "parentId" TEXT, "icon" TEXT NOT NULL DEFAULT 'folder', "displayOrder" INTEGER NOT NULL DEFAULT 0,
    "color" TEXT NOT NULL DEFAULT '#3b82f6', "poseCount" INTEGER NOT NULL DEFAULT 0, "isActive" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, "updatedAt" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "pose_categories_pkey" PRIMARY KEY ("id"));
CREATE UNIQUE INDEX "pose_categories_slug_key" ON "pose_categories"("slug");
CREATE INDEX "pose_categories_parentId_idx" ON "pose_categories"("parentId");
CREATE INDEX "pose_categories_isActive_displayOrder_idx" ON "pose_categories"("isActive", "displayOrder");
CREATE INDEX "pose_categories_slug_idx" ON "pose_categories"("slug");

CREATE TABLE "pose_library" ("id" TEXT NOT NULL, "name" TEXT NOT NULL, "description" TEXT, "categoryId" TEXT NOT NULL,
    "previewImageUrl" TEXT NOT NULL, "referenceImageUrl" TEXT NOT NULL, "controlnetImageUrl" TEXT NOT NULL, "thumbnailUrl" TEXT,
    "difficulty" TEXT NOT NULL DEFAULT 'medium', "genderSuitability" TEXT NOT NULL DEFAULT 'unisex', "tags" TEXT[],
    "sourceType" TEXT NOT NULL DEFAULT 'curated', "sourceCredit" TEXT, "licenseType" TEXT NOT NULL DEFAULT 'platform',
    "usageCount" INTEGER NOT NULL DEFAULT 0, "favoriteCount" INTEGER NOT NULL DEFAULT 0, "ratingAvg" DOUBLE PRECISION NOT NULL DEFAULT 0.0,
    "popularityScore" INTEGER NOT NULL DEFAULT 0, "isPublic" BOOLEAN NOT NULL DEFAULT true, "isFeatured" BOOLEAN NOT NULL DEFAULT false,
    "isPremium" BOOLEAN NOT NULL DEFAULT false, "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL, CONSTRAINT "pose_library_pkey" PRIMARY KEY ("id"));
CREATE INDEX "pose_library_categoryId_idx" ON "pose_library"("categoryId");
CREATE INDEX "pose_library_difficulty_idx" ON "pose_library"("difficulty");
CREATE INDEX "pose_library_isPublic_popularityScore_idx" ON "pose_library"("isPublic", "popularityScore");
CREATE INDEX "pose_library_isFeatured_usageCount_idx" ON "pose_library"("isFeatured", "usageCount" DESC);
CREATE INDEX "pose_library_tags_idx" ON "pose_library" USING GIN ("tags");

CREATE TABLE "pose_generator_projects" ("id" TEXT NOT NULL, "userId" TEXT NOT NULL, "projectName" TEXT NOT NULL, "description" TEXT,
    "avatarImageUrl" TEXT, "avatarSource" TEXT NOT NULL DEFAULT 'upload', "avatarId" TEXT,
    "totalGenerations" INTEGER NOT NULL DEFAULT 0, "totalPosesGenerated" INTEGER NOT NULL DEFAULT 0,
    "status" TEXT NOT NULL DEFAULT 'active', "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL, CONSTRAINT "pose_generator_projects_pkey" PRIMARY KEY ("id"));
CREATE INDEX "pose_generator_projects_userId_idx" ON "pose_generator_projects"("userId");
CREATE INDEX "pose_generator_projects_userId_updatedAt_idx" ON "pose_generator_projects"("userId", "updatedAt" DESC);
CREATE INDEX "pose_generator_projects_avatarId_idx" ON "pose_generator_projects"("avatarId");
CREATE INDEX "pose_generator_projects_status_idx" ON "pose_generator_projects"("status");

CREATE TABLE "pose_generations" ("id" TEXT NOT NULL, "projectId" TEXT NOT NULL, "userId" TEXT NOT NULL, "generationType" TEXT NOT NULL,
    "textPrompt" TEXT, "generatedPoseStructure" TEXT, "avatarId" TEXT, "avatarAttributes" TEXT, "batchSize" INTEGER NOT NULL,
    "totalExpectedPoses" INTEGER NOT NULL, "useBackgroundChanger" BOOLEAN NOT NULL DEFAULT false, "backgroundPrompt" TEXT,
    "backgroundMode" TEXT, "exportFormats" TEXT[], "status" TEXT NOT NULL DEFAULT 'pending', "progress" INTEGER NOT NULL DEFAULT 0,
    "posesCompleted" INTEGER NOT NULL DEFAULT 0, "posesFailed" INTEGER NOT NULL DEFAULT 0, "creditCharged" INTEGER NOT NULL,
    "creditRefunded" INTEGER NOT NULL DEFAULT 0, "queueJobId" TEXT, "errorMessage" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, "startedAt" TIMESTAMP(3), "completedAt" TIMESTAMP(3),
    "avgGenerationTime" DOUBLE PRECISION, "totalProcessingTime" DOUBLE PRECISION,
    CONSTRAINT "pose_generations_pkey" PRIMARY KEY ("id"));
CREATE INDEX "pose_generations_projectId_idx" ON "pose_generations"("projectId");
CREATE INDEX "pose_generations_userId_idx" ON "pose_generations"("userId");
CREATE INDEX "pose_generations_userId_createdAt_idx" ON "pose_generations"("userId", "createdAt" DESC);
CREATE INDEX "pose_generations_status_createdAt_idx" ON "pose_generations"("status", "createdAt");
CREATE INDEX "pose_generations_status_createdAt_queueJobId_idx" ON "pose_generations"("status", "createdAt", "queueJobId");
CREATE INDEX "pose_generations_queueJobId_idx" ON "pose_generations"("queueJobId");

CREATE TABLE "generated_poses" ("id" TEXT NOT NULL, "generationId" TEXT NOT NULL, "poseLibraryId" TEXT, "outputImageUrl" TEXT NOT NULL,
    "thumbnailUrl" TEXT NOT NULL, "originalImageUrl" TEXT, "exportFormats" JSONB NOT NULL, "backgroundChanged" BOOLEAN NOT NULL DEFAULT false,
    "backgroundPrompt" TEXT, "promptUsed" TEXT NOT NULL, "seedUsed" INTEGER, "controlnetWeight" DOUBLE PRECISION NOT NULL DEFAULT 0.75,
    "generationTime" DOUBLE PRECISION, "aiConfidenceScore" DOUBLE PRECISION, "isFavorite" BOOLEAN NOT NULL DEFAULT false,
    "downloadCount" INTEGER NOT NULL DEFAULT 0, "status" TEXT NOT NULL DEFAULT 'completed', "errorMessage" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, CONSTRAINT "generated_poses_pkey" PRIMARY KEY ("id"));
CREATE INDEX "generated_poses_generationId_idx" ON "generated_poses"("generationId");
CREATE INDEX "generated_poses_poseLibraryId_idx" ON "generated_poses"("poseLibraryId");
CREATE INDEX "generated_poses_status_idx" ON "generated_poses"("status");
CREATE INDEX "generated_poses_isFavorite_idx" ON "generated_poses"("isFavorite");

CREATE TABLE "pose_selections" ("id" TEXT NOT NULL, "generationId" TEXT NOT NULL, "poseLibraryId" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, CONSTRAINT "pose_selections_pkey" PRIMARY KEY ("id"));
CREATE UNIQUE INDEX "pose_selections_generationId_poseLibraryId_key" ON "pose_selections"("generationId", "poseLibraryId");
CREATE INDEX "pose_selections_generationId_idx" ON "pose_selections"("generationId");
CREATE INDEX "pose_selections_poseLibraryId_idx" ON "pose_selections"("poseLibraryId");

CREATE TABLE "pose_requests" ("id" TEXT NOT NULL, "userId" TEXT NOT NULL, "poseName" TEXT NOT NULL, "description" TEXT NOT NULL,
    "referenceImageUrl" TEXT, "categoryId" TEXT, "useCase" TEXT, "votesCount" INTEGER NOT NULL DEFAULT 0,
    "status" TEXT NOT NULL DEFAULT 'pending', "adminNotes" TEXT, "completedPoseId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, "updatedAt" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "pose_requests_pkey" PRIMARY KEY ("id"));
CREATE INDEX "pose_requests_userId_idx" ON "pose_requests"("userId");
CREATE INDEX "pose_requests_status_idx" ON "pose_requests"("status");
CREATE INDEX "pose_requests_votesCount_idx" ON "pose_requests"("votesCount" DESC);
CREATE INDEX "pose_requests_status_votesCount_idx" ON "pose_requests"("status", "votesCount" DESC);

ALTER TABLE "pose_categories" ADD CONSTRAINT "pose_categories_parentId_fkey" FOREIGN KEY ("parentId") REFERENCES "pose_categories"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "pose_library" ADD CONSTRAINT "pose_library_categoryId_fkey" FOREIGN KEY ("categoryId") REFERENCES "pose_categories"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "pose_generator_projects" ADD CONSTRAINT "pose_generator_projects_avatarId_fkey" FOREIGN KEY ("avatarId") REFERENCES "avatars"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "pose_generations" ADD CONSTRAINT "pose_generations_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "pose_generator_projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "pose_generations" ADD CONSTRAINT "pose_generations_avatarId_fkey" FOREIGN KEY ("avatarId") REFERENCES "avatars"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "generated_poses" ADD CONSTRAINT "generated_poses_generationId_fkey" FOREIGN KEY ("generationId") REFERENCES "pose_generations"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "generated_poses" ADD CONSTRAINT "generated_poses_poseLibraryId_fkey" FOREIGN KEY ("poseLibraryId") REFERENCES "pose_library"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "pose_selections" ADD CONSTRAINT "pose_selections_generationId_fkey" FOREIGN KEY ("generationId") REFERENCES "pose_generations"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "pose_selections" ADD CONSTRAINT "pose_selections_poseLibraryId_fkey" FOREIGN KEY ("poseLibraryId") REFERENCES "pose_library"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "pose_requests" ADD CONSTRAINT "pose_requests_categoryId_fkey" FOREIGN KEY ("categoryId") REFERENCES "pose_categories"("id") ON DELETE SET NULL ON UPDATE CASCADE;
"#;

/// F4: the runbook production plus `avatar_projects` and `avatar_usage_history`
/// created by hand, with only single-column indexes and no foreign keys.
pub async fn hand_repaired(conn: &DatabaseConnection) {
    runbook_production(conn).await;
    run(
        conn,
        r#"
CREATE TABLE "avatar_projects" ("id" TEXT NOT NULL PRIMARY KEY, "userId" TEXT NOT NULL, "name" TEXT NOT NULL,
    "description" TEXT, "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, "updatedAt" TIMESTAMP(3) NOT NULL);
CREATE INDEX "avatar_projects_userId_idx" ON "avatar_projects"("userId");
CREATE TABLE "avatar_usage_history" ("id" TEXT NOT NULL PRIMARY KEY, "avatarId" TEXT NOT NULL, "userId" TEXT NOT NULL,
    "appId" TEXT NOT NULL, "appName" TEXT NOT NULL, "action" TEXT NOT NULL, "referenceId" TEXT, "referenceType" TEXT,
    "metadata" TEXT, "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE INDEX "avatar_usage_history_avatarId_idx" ON "avatar_usage_history"("avatarId");
CREATE INDEX "avatar_usage_history_userId_idx" ON "avatar_usage_history"("userId");
CREATE INDEX "avatar_usage_history_appId_idx" ON "avatar_usage_history"("appId");
INSERT INTO "avatar_projects" ("id","userId","name","updatedAt") VALUES ('ap1','cm0user000000000000000002','Hand made','2025-10-01 00:00:00');
"#,
    )
    .await;
}
