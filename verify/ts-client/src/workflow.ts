// Drives the Avatar Creator and Pose Generator workflows against a running server through a
// client generated from openapi.yaml: openapi-typescript produced ../generated/schema.d.ts,
// openapi-fetch sends the requests. Every call, request body and response field used here is
// type-checked against the spec by `tsc`; a spec that renames or drops one of them fails the
// build before anything runs.
//
//   API_URL=http://127.0.0.1:3000 API_DIR=/path/with/presets node dist/src/workflow.js
//
// API_DIR/presets/avatar-creator/*.jpg (seeded preset previews, >= 256 px) are the upload
// fixtures; UPLOAD_FIXTURE=/path/to/file.jpg overrides that.

import fs from "node:fs";
import path from "node:path";
import createClient from "openapi-fetch";
import type { components, paths } from "../generated/schema.js";

type Schemas = components["schemas"];
/** `error` of every error body: a union told apart by `code`, each variant with its typed `details`. */
type ErrorInfo = Schemas["ErrorInfo"];
/** One event of the progress stream (the JSON of a `data:` line), told apart by `type`. */
type GenerationEvent =
    paths["/api/apps/pose-generator/generations/{generationId}/events"]["get"]["responses"][200]["content"]["text/event-stream"];
type TerminalEvent = Extract<GenerationEvent, { type: "completed" | "failed" }>;

const API_URL = process.env.API_URL ?? "";
if (API_URL === "") {
    fail("API_URL is not set (the server to drive, e.g. http://127.0.0.1:3000)");
}
const POLL_TIMEOUT_MS = Number(process.env.POLL_TIMEOUT_MS ?? "120000");
const POLL_INTERVAL_MS = 250;

class CheckFailed extends Error {}

function fail(message: string): never {
    throw new CheckFailed(message);
}

let stepNo = 0;
const started = Date.now();
function step(message: string): void {
    stepNo += 1;
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`  ok ${String(stepNo).padStart(2)}  [${secs.padStart(5)} s] ${message}`);
}

/** `expected` is checked against the type of `actual` (NoInfer): an enum value that is not one fails tsc. */
function expectEqual<T>(what: string, actual: T, expected: NoInfer<T>): void {
    if (actual !== expected) {
        fail(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
    }
}

function expectTrue(what: string, condition: boolean, detail?: unknown): void {
    if (!condition) {
        fail(detail === undefined ? what : `${what} (got ${JSON.stringify(detail)})`);
    }
}

/** The outcome of one openapi-fetch call, success or error branch. */
type Outcome<D, E> =
    | { data: D; error?: never; response: Response }
    | { data?: never; error: E; response: Response };

/** Unwraps a successful call that must answer `status`, or fails with the server's error body. */
function expectStatus<D, E>(what: string, outcome: Outcome<D, E>, status: number): NonNullable<D> {
    const { response } = outcome;
    if (outcome.error !== undefined) {
        fail(`${what}: expected HTTP ${status}, got ${response.status} ${JSON.stringify(outcome.error)}`);
    }
    if (response.status !== status) {
        fail(`${what}: expected HTTP ${status}, got ${response.status} ${JSON.stringify(outcome.data)}`);
    }
    const data = outcome.data;
    if (data === undefined || data === null) {
        fail(`${what}: HTTP ${status} without a body`);
    }
    return data;
}

/**
 * Expects an error answer with this status; returns its `error` (the `ErrorInfo` union) for the
 * caller to narrow by `code`, which types `details` (no casts: `if (e.code !== "X") fail(...)`).
 */
function expectError<D>(what: string, outcome: Outcome<D, Schemas["ErrorResponse"]>, status: number): ErrorInfo {
    if (outcome.error === undefined) {
        fail(`${what}: expected HTTP ${status}, got ${outcome.response.status} ${JSON.stringify(outcome.data)}`);
    }
    expectEqual(`${what}: status`, outcome.response.status, status);
    expectEqual(`${what}: success`, outcome.error.success, false);
    expectEqual(`${what}: error.statusCode`, outcome.error.error.statusCode, status);
    return outcome.error.error;
}

/** A one-line account of an error that had another code than expected. */
function unexpected(what: string, info: ErrorInfo, expected: ErrorInfo["code"]): never {
    fail(`${what}: expected error.code ${expected}, got ${info.code} ${JSON.stringify(info)}`);
}

function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `load` until `done` says so, within POLL_TIMEOUT_MS. */
async function pollUntil<T>(what: string, load: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
    const deadline = Date.now() + POLL_TIMEOUT_MS;
    let polls = 0;
    for (;;) {
        const value = await load();
        polls += 1;
        if (done(value)) {
            return value;
        }
        if (Date.now() > deadline) {
            fail(`${what}: not finished after ${POLL_TIMEOUT_MS} ms (${polls} polls), last ${JSON.stringify(value)}`);
        }
        await sleep(POLL_INTERVAL_MS);
    }
}

type Api = ReturnType<typeof createClient<paths>>;

/**
 * Reads a generation's progress stream (api.md §7.13) with a fetch-based reader, the way the
 * spec says a client should (the `Authorization` header, not `?access_token=`): each frame's
 * `data:` line is parsed into the generated `GenerationEvent` type and checked against the frame's
 * `event:` name. Returns every event up to the terminal one (the server then closes the stream).
 */
async function readGenerationEvents(
    api: Api,
    generationId: string,
): Promise<{ events: GenerationEvent[]; terminal: TerminalEvent }> {
    const what = `GET /api/apps/pose-generator/generations/${generationId}/events`;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), POLL_TIMEOUT_MS);
    try {
        const { response } = await api.GET("/api/apps/pose-generator/generations/{generationId}/events", {
            params: { path: { generationId } },
            parseAs: "stream",
            signal: abort.signal,
        });
        expectEqual(`${what}: status`, response.status, 200);
        expectTrue(
            `${what}: content type text/event-stream`,
            (response.headers.get("content-type") ?? "").startsWith("text/event-stream"),
            response.headers.get("content-type"),
        );
        const body = response.body;
        if (body === null) {
            fail(`${what}: no body`);
        }
        const events: GenerationEvent[] = [];
        const decoder = new TextDecoder();
        const reader = body.getReader();
        let buffer = "";
        for (;;) {
            const chunk = await reader.read();
            if (chunk.done) {
                break;
            }
            buffer += decoder.decode(chunk.value, { stream: true });
            let end = buffer.indexOf("\n\n");
            while (end >= 0) {
                const frame = buffer.slice(0, end);
                buffer = buffer.slice(end + 2);
                end = buffer.indexOf("\n\n");
                let name = "message";
                const data: string[] = [];
                for (const line of frame.split("\n")) {
                    if (line.startsWith("event:")) {
                        name = line.slice(6).trim();
                    } else if (line.startsWith("data:")) {
                        data.push(line.slice(5).trimStart());
                    }
                }
                if (data.length === 0) {
                    continue; // `retry:` and `: ping` frames carry no event
                }
                const event: GenerationEvent = JSON.parse(data.join("\n"));
                expectEqual<string>(`${what}: data.type of an \`event: ${name}\` frame`, event.type, name);
                expectEqual(`${what}: data.generationId`, event.generationId, generationId);
                events.push(event);
                if (event.type === "completed" || event.type === "failed") {
                    await reader.cancel();
                    return { events, terminal: event };
                }
            }
        }
        fail(`${what}: the stream ended without a terminal event after ${JSON.stringify(events.map(describeEvent))}`);
    } catch (err) {
        if (abort.signal.aborted) {
            fail(`${what}: no terminal event within ${POLL_TIMEOUT_MS} ms`);
        }
        throw err;
    } finally {
        clearTimeout(timer);
    }
}

/** One line per event; the switch is exhaustive over the `type`s the spec declares. */
function describeEvent(event: GenerationEvent): string {
    switch (event.type) {
        case "snapshot":
            return `snapshot ${event.status} ${event.progress.percentage}%`;
        case "started":
            return `started (${event.message})`;
        case "pose":
            return `pose ${event.pose.variationKey ?? event.pose.id} ${event.pose.status}`;
        case "progress":
            return `progress ${event.completed}+${event.failed}/${event.total} ${event.percentage}%`;
        case "requeued":
            return `requeued (attempt ${event.recoveryAttempts})`;
        case "completed":
            return `completed ${event.status} ${event.completed}/${event.total}, ${event.creditRefunded} refunded`;
        case "failed":
            return `failed (${event.error}), ${event.creditRefunded} refunded`;
        default: {
            const unknown: never = event;
            return fail(`an event type the spec does not declare: ${JSON.stringify(unknown)}`);
        }
    }
}

function uploadFixture(): { bytes: Buffer; fileName: string } {
    const override = process.env.UPLOAD_FIXTURE;
    if (override !== undefined && override !== "") {
        return { bytes: fs.readFileSync(override), fileName: path.basename(override) };
    }
    const apiDir = process.env.API_DIR ?? "";
    if (apiDir === "") {
        fail("API_DIR is not set (its presets/avatar-creator/*.jpg are the upload fixtures); or set UPLOAD_FIXTURE");
    }
    const dir = path.join(apiDir, "presets", "avatar-creator");
    const jpegs = fs
        .readdirSync(dir)
        .filter((name) => name.endsWith(".jpg"))
        .sort();
    const first = jpegs[0];
    if (first === undefined) {
        fail(`no seeded preset JPEG in ${dir}`);
    }
    return { bytes: fs.readFileSync(path.join(dir, first)), fileName: first };
}

async function main(): Promise<void> {
    console.log(`TypeScript client workflow against ${API_URL}`);
    const email = `ts-client-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
    const password = "Ts-Client-Passw0rd!";

    // ---------------------------------------------------------------- auth
    const anonymous = createClient<paths>({ baseUrl: API_URL });

    const registered = expectStatus(
        "POST /api/auth/register",
        await anonymous.POST("/api/auth/register", { body: { email, password, name: "TS Client" } }),
        201,
    );
    expectEqual("register: success", registered.success, true);
    expectEqual("register: user.email", registered.data.user.email, email);
    expectTrue("register: token is a JWT", registered.data.token.split(".").length === 3, registered.data.token);
    step(`register ${email} -> 201, user ${registered.data.user.id}`);

    const refused = expectError(
        "POST /api/auth/register with a weak password",
        await anonymous.POST("/api/auth/register", {
            body: { email: `weak-${email}`, password: "short", name: "Weak" },
        }),
        400,
    );
    if (refused.code !== "VALIDATION_ERROR") {
        unexpected("register with a weak password", refused, "VALIDATION_ERROR");
    }
    // `details` is typed `{ [field: string]: string[] }` on this variant: the field's messages
    const passwordMessages = refused.details["password"] ?? [];
    expectTrue(
        "register with a weak password: details.password names the length rule",
        passwordMessages.includes("Password must be at least 12 characters long"),
        refused.details,
    );
    expectTrue("register: message starts with the field", refused.message.startsWith("password: "), refused.message);
    step(`a weak password -> 400 VALIDATION_ERROR, details.password: "${passwordMessages[0] ?? ""}"`);

    const loggedIn = expectStatus(
        "POST /api/auth/login",
        await anonymous.POST("/api/auth/login", { body: { email, password } }),
        200,
    );
    expectEqual("login: user.id", loggedIn.data.user.id, registered.data.user.id);
    expectEqual("login: user.creditBalance (welcome bonus)", loggedIn.data.user.creditBalance, 100);
    step(`login -> 200, balance ${loggedIn.data.user.creditBalance}; the login token is used from here on`);

    const userId = loggedIn.data.user.id;
    const api = createClient<paths>({
        baseUrl: API_URL,
        headers: { Authorization: `Bearer ${loggedIn.data.token}` },
    });

    const noToken = expectError("GET /api/auth/profile without a token", await anonymous.GET("/api/auth/profile"), 401);
    if (noToken.code !== "UNAUTHORIZED") {
        unexpected("GET /api/auth/profile without a token", noToken, "UNAUTHORIZED");
    }
    const profile = expectStatus("GET /api/auth/profile", await api.GET("/api/auth/profile"), 200);
    expectEqual("profile: id", profile.id, userId);
    expectEqual("profile: email", profile.email, email);
    expectEqual("profile: role", profile.role, "user");
    step("profile -> 200 with the login token (401 UNAUTHORIZED without one)");

    // ---------------------------------------------------------------- Avatar Creator
    const AC = "/api/apps/avatar-creator";
    const created = expectStatus(
        `POST ${AC}/projects`,
        await api.POST("/api/apps/avatar-creator/projects", {
            body: { name: "  TS   client project ", description: "Created by the generated client" },
        }),
        201,
    );
    const project = created.project;
    expectEqual("create project: name (trimmed, collapsed)", project.name, "TS client project");
    expectEqual("create project: userId", project.userId, userId);
    expectEqual("create project: avatars", project.avatars.length, 0);
    step(`create Avatar Creator project -> 201, ${project.id}`);

    const projects = expectStatus(`GET ${AC}/projects`, await api.GET("/api/apps/avatar-creator/projects"), 200);
    expectTrue(
        "list projects: the new project is listed",
        projects.projects.some((p) => p.id === project.id),
        projects.projects.map((p) => p.id),
    );
    step(`list projects -> 200, ${projects.projects.length} project(s), the new one included`);

    const fixture = uploadFixture();
    // request values of the spec's enums: a typo here is a tsc error, not a 400 at run time
    const gender: Schemas["Gender"] = "female";
    const ageRange: Schemas["AgeRange"] = "adult";
    const uploaded = expectStatus(
        `POST ${AC}/projects/{projectId}/avatars/upload`,
        await api.POST("/api/apps/avatar-creator/projects/{projectId}/avatars/upload", {
            params: { path: { projectId: project.id } },
            body: {
                image: new Blob([fixture.bytes], { type: "image/jpeg" }),
                name: "Uploaded Sarah",
                personaName: "Sarah Chen",
                personaAge: 32,
                personaPersonality: JSON.stringify(["professional", "confident"]),
                gender,
                ageRange,
                style: "professional",
            },
            bodySerializer(body) {
                const form = new FormData();
                for (const [key, value] of Object.entries(body)) {
                    if (value instanceof Blob) {
                        form.append(key, value, fixture.fileName);
                    } else if (typeof value === "string" || typeof value === "number") {
                        form.append(key, String(value)); // multipart values are text on the wire
                    }
                }
                return form;
            },
        }),
        201,
    );
    const uploadedAvatar = uploaded.avatar;
    expectEqual("upload: sourceType", uploadedAvatar.sourceType, "uploaded");
    expectEqual("upload: gender (enum)", uploadedAvatar.gender, gender);
    expectEqual("upload: ageRange (enum)", uploadedAvatar.ageRange, "adult");
    expectEqual("upload: projectId", uploadedAvatar.projectId, project.id);
    expectEqual("upload: project.id (with project)", uploadedAvatar.project.id, project.id);
    expectEqual("upload: personaAge (form text -> integer)", uploadedAvatar.personaAge, 32);
    expectEqual("upload: personaPersonality (JSON-in-text)", uploadedAvatar.personaPersonality, '["professional","confident"]');
    expectEqual("upload: creditUsed", uploaded.creditUsed, 2);
    expectEqual("upload: creditBalance", uploaded.creditBalance, 98);
    expectTrue(
        "upload: baseImageUrl under /uploads/avatar-creator/<userId>/",
        uploadedAvatar.baseImageUrl.startsWith(`/uploads/avatar-creator/${userId}/`),
        uploadedAvatar.baseImageUrl,
    );
    const stored = await fetch(new URL(uploadedAvatar.baseImageUrl, API_URL));
    expectEqual("GET baseImageUrl: status", stored.status, 200);
    const storedBytes = Buffer.from(await stored.arrayBuffer());
    expectEqual("GET baseImageUrl: the uploaded bytes", storedBytes.equals(fixture.bytes), true);
    step(
        `upload ${fixture.fileName} (${fixture.bytes.length} bytes, multipart) -> 201, avatar ${uploadedAvatar.id}, ` +
            `2 credits, balance ${uploaded.creditBalance}; the stored image is served back`,
    );

    const started202 = expectStatus(
        `POST ${AC}/projects/{projectId}/avatars/generate`,
        await api.POST("/api/apps/avatar-creator/projects/{projectId}/avatars/generate", {
            params: { path: { projectId: project.id } },
            body: {
                name: "Generated Raka",
                prompt: "professional portrait of a friendly founder in a denim jacket",
                personaName: "Raka Pratama",
                personaPersonality: ["curious", "patient"],
                gender: "male",
                width: 512,
                height: 512,
                seed: 42,
            },
        }),
        202,
    );
    const generation = started202.generation;
    expectEqual("generate: status", generation.status, "pending");
    expectEqual("generate: projectId", generation.projectId, project.id);
    expectEqual("generate: creditUsed", started202.creditUsed, 10);
    expectEqual("generate: creditBalance", started202.creditBalance, 88);
    expectTrue("generate: options holds the seed", (generation.options ?? "").includes('"seed":42'), generation.options);
    step(`generate avatar (text prompt) -> 202, generation ${generation.id} pending, 10 credits, balance 88`);

    const finished = await pollUntil(
        `GET ${AC}/generations/${generation.id}`,
        async () =>
            expectStatus(
                `GET ${AC}/generations/{id}`,
                await api.GET("/api/apps/avatar-creator/generations/{id}", {
                    params: { path: { id: generation.id } },
                }),
                200,
            ).generation,
        (g) => g.status === "completed" || g.status === "failed",
    );
    expectEqual(`avatar generation ${generation.id}: status (error ${finished.errorMessage ?? "none"})`, finished.status, "completed");
    const generatedAvatarId = finished.avatarId;
    if (generatedAvatarId === null || generatedAvatarId === undefined) {
        fail(`completed avatar generation ${generation.id} has no avatarId`);
    }
    expectTrue("generation: completedAt set", typeof finished.completedAt === "string", finished.completedAt);
    step(`poll generation -> completed, avatar ${generatedAvatarId}`);

    const generatedAvatar = expectStatus(
        `GET ${AC}/avatars/{id}`,
        await api.GET("/api/apps/avatar-creator/avatars/{id}", { params: { path: { id: generatedAvatarId } } }),
        200,
    ).avatar;
    expectEqual("generated avatar: sourceType", generatedAvatar.sourceType, "text_to_image");
    expectEqual("generated avatar: name", generatedAvatar.name, "Generated Raka");
    expectEqual("generated avatar: seedUsed", generatedAvatar.seedUsed, 42);
    expectEqual("generated avatar: project.id", generatedAvatar.project.id, project.id);
    const image = await fetch(new URL(generatedAvatar.baseImageUrl, API_URL));
    expectEqual("GET generated baseImageUrl: status", image.status, 200);
    await image.arrayBuffer();
    step(`get generated avatar -> 200, text_to_image, seed 42, image served`);

    const avatars = expectStatus(
        `GET ${AC}/avatars?projectId`,
        await api.GET("/api/apps/avatar-creator/avatars", { params: { query: { projectId: project.id } } }),
        200,
    ).avatars;
    expectEqual(
        "list avatars of the project (newest first)",
        avatars.map((a) => a.id).join(","),
        [generatedAvatarId, uploadedAvatar.id].join(","),
    );
    const withAvatars = expectStatus(
        `GET ${AC}/projects/{id}`,
        await api.GET("/api/apps/avatar-creator/projects/{id}", { params: { path: { id: project.id } } }),
        200,
    ).project;
    expectEqual("project with avatars: count", withAvatars.avatars.length, 2);
    step("the project and the avatars list hold both avatars (generated first)");

    const updated = expectStatus(
        `PUT ${AC}/avatars/{id}`,
        await api.PUT("/api/apps/avatar-creator/avatars/{id}", {
            params: { path: { id: uploadedAvatar.id } },
            body: {
                name: "Sarah (edited)",
                personaBackground: "Marketing executive",
                personaPersonality: ["calm"],
                style: null,
                ageRange: null,
            },
        }),
        200,
    ).avatar;
    expectEqual("update avatar: style cleared by null", updated.style, null);
    expectEqual("update avatar: ageRange (an enum) cleared by null", updated.ageRange, null);
    expectEqual("update avatar: name", updated.name, "Sarah (edited)");
    expectEqual("update avatar: personaBackground", updated.personaBackground, "Marketing executive");
    expectEqual("update avatar: personaPersonality", updated.personaPersonality, '["calm"]');
    expectEqual("update avatar: personaName unchanged", updated.personaName, "Sarah Chen");
    step("update avatar -> 200, changed fields only, null clears a field (style, the ageRange enum)");

    const renamed = expectStatus(
        `PUT ${AC}/projects/{id}`,
        await api.PUT("/api/apps/avatar-creator/projects/{id}", {
            params: { path: { id: project.id } },
            body: { name: "TS client project (renamed)", description: null },
        }),
        200,
    ).project;
    expectEqual("update project: name", renamed.name, "TS client project (renamed)");
    expectEqual("update project: description cleared by null", renamed.description, null);
    step("update project -> 200, renamed, description cleared by null");

    const balance1 = expectStatus("GET /api/credits/balance", await api.GET("/api/credits/balance"), 200);
    expectEqual("balance after upload + generate", balance1.data.balance, 88);
    const history1 = expectStatus(
        "GET /api/credits/history",
        await api.GET("/api/credits/history", { params: { query: { limit: 10 } } }),
        200,
    );
    expectEqual(
        "history (newest first): amounts",
        history1.map((e) => e.amount).join(","),
        "-10,-2,100",
    );
    const [genEntry, uploadEntry, bonusEntry] = history1;
    expectEqual("history: generate entry referenceId", genEntry?.referenceId, generation.id);
    expectEqual("history: generate entry description", genEntry?.description, "avatar-creator: generate_avatar");
    expectEqual("history: upload entry referenceId", uploadEntry?.referenceId, uploadedAvatar.id);
    expectEqual("history: bonus entry type", bonusEntry?.type, "bonus");
    expectEqual("history: running balance", history1.map((e) => e.balance).join(","), "88,98,100");
    step("credits: balance 88, history -10 (generation), -2 (upload), +100 (bonus)");

    // ---------------------------------------------------------------- Pose Generator
    const library = expectStatus(
        "GET /api/apps/pose-generator/library",
        await api.GET("/api/apps/pose-generator/library", { params: { query: { limit: 5, page: 1 } } }),
        200,
    );
    expectEqual("library: page size", library.poses.length, 5);
    expectEqual("library: pagination.limit", library.pagination.limit, 5);
    expectTrue("library: seeded poses", library.pagination.total >= 84, library.pagination);
    expectEqual("library: hasMore", library.pagination.hasMore, true);
    const [pose1, pose2] = library.poses;
    if (pose1 === undefined || pose2 === undefined) {
        fail("library: fewer than 2 poses");
    }
    expectEqual("library: pose has its category", pose1.category.id, pose1.categoryId);
    step(`library -> 200, ${library.pagination.total} poses, first page of 5`);

    const categories = expectStatus(
        "GET /api/apps/pose-generator/categories",
        await api.GET("/api/apps/pose-generator/categories"),
        200,
    );
    expectEqual("categories: totalCategories", categories.totalCategories, categories.categories.length);
    expectTrue("categories: a tree with children", categories.categories.some((c) => c.children.length > 0));
    const sumRoots = categories.categories.reduce((n, c) => n + c.poseCount, 0);
    expectEqual("categories: root poseCounts sum to the library total", sumRoots, library.pagination.total);
    step(`categories -> 200, ${categories.totalCategories} top-level categories, counts add up`);

    const pose = expectStatus(
        "GET /api/apps/pose-generator/library/{poseId}",
        await api.GET("/api/apps/pose-generator/library/{poseId}", { params: { path: { poseId: pose1.id } } }),
        200,
    ).pose;
    expectEqual("library pose: name", pose.name, pose1.name);
    step(`library pose ${pose.id} -> 200`);

    const avatarSource: Schemas["AvatarSource"] = "AVATAR_CREATOR";
    const poseProject = expectStatus(
        "POST /api/apps/pose-generator/projects",
        await api.POST("/api/apps/pose-generator/projects", {
            body: { projectName: "TS client poses", avatarSource, avatarId: uploadedAvatar.id },
        }),
        201,
    ).project;
    expectEqual("pose project: avatarId", poseProject.avatarId, uploadedAvatar.id);
    expectEqual("pose project: avatarSource (enum)", poseProject.avatarSource, avatarSource);
    expectEqual("pose project: avatarImageUrl filled from the avatar", poseProject.avatarImageUrl, uploadedAvatar.baseImageUrl);
    expectEqual("pose project: status", poseProject.status, "active");
    step(`create pose project from avatar ${uploadedAvatar.id} -> 201, ${poseProject.id}`);

    const poseProjects = expectStatus(
        "GET /api/apps/pose-generator/projects",
        await api.GET("/api/apps/pose-generator/projects", { params: { query: { status: "active" } } }),
        200,
    );
    expectTrue(
        "pose projects: the new project is listed",
        poseProjects.projects.some((p) => p.id === poseProject.id),
        poseProjects.projects.map((p) => p.id),
    );
    step(`list active pose projects -> 200, ${poseProjects.pagination.total} project(s)`);

    // the prices in force, published by the API (a client shows them before confirming)
    const { costs } = expectStatus(
        "GET /api/apps/pose-generator/stats",
        await api.GET("/api/apps/pose-generator/stats"),
        200,
    );
    expectEqual("stats: costs.perPose (the default price list)", costs.perPose, 30);
    step(`pose stats -> 200, costs ${JSON.stringify(costs)}`);

    // a text generation that fails (LOCAL_PROVIDER_FAULTS: `[fail]` in the prompt), watched over SSE
    const textMode: Schemas["GenerationType"] = "TEXT_DESCRIPTION";
    const doomed = expectStatus(
        "POST /api/apps/pose-generator/generate (text, [fail])",
        await api.POST("/api/apps/pose-generator/generate", {
            body: {
                projectId: poseProject.id,
                generationType: textMode,
                textPrompt: "[fail] standing portrait with arms crossed",
                variationCount: 1,
            },
        }),
        202,
    );
    expectEqual("failing generation: creditCharged", doomed.creditCharged, costs.perPose);
    const doomedStream = await readGenerationEvents(api, doomed.generationId);
    const doomedEnd = doomedStream.terminal;
    if (doomedEnd.type !== "failed") {
        fail(`failing generation: expected a failed event, got ${describeEvent(doomedEnd)}`);
    }
    expectEqual("failed event: creditRefunded", doomedEnd.creditRefunded, costs.perPose);
    expectEqual("first event", doomedStream.events[0]?.type, "snapshot");
    step(`[fail] text generation -> 202, then over SSE: ${doomedStream.events.map(describeEvent).join("; ")}`);

    const notReady = expectError(
        "GET /generations/{generationId}/results of a failed generation",
        await api.GET("/api/apps/pose-generator/generations/{generationId}/results", {
            params: { path: { generationId: doomed.generationId } },
        }),
        409,
    );
    if (notReady.code !== "CONFLICT") {
        unexpected("results of a failed generation", notReady, "CONFLICT");
    }
    // CONFLICT's `details` is typed `ConflictDetails | undefined`: the state in the way
    expectEqual("409: details.status", notReady.details?.status, "failed");
    const afterRefund = expectStatus("GET /api/credits/balance", await api.GET("/api/credits/balance"), 200);
    expectEqual("balance after the refund", afterRefund.data.balance, 88);
    step(`its results -> 409 CONFLICT, details.status "${notReady.details?.status ?? ""}"; balance back to 88`);

    const galleryMode: Schemas["GenerationType"] = "GALLERY_REFERENCE";
    const accepted = expectStatus(
        "POST /api/apps/pose-generator/generate",
        await api.POST("/api/apps/pose-generator/generate", {
            body: {
                projectId: poseProject.id,
                generationType: galleryMode,
                selectedPoseIds: [pose1.id, pose2.id],
                batchSize: 1,
                avatarId: uploadedAvatar.id,
                exportFormats: ["instagram_story"],
            },
        }),
        202,
    );
    expectEqual("pose generate: status", accepted.status, "pending");
    expectEqual("pose generate: totalPosesExpected", accepted.totalPosesExpected, 2);
    expectEqual("pose generate: creditCharged (2 x costs.perPose)", accepted.creditCharged, 2 * costs.perPose);
    step(`pose generation (gallery, 2 library poses, avatar ${uploadedAvatar.id}) -> 202, ${accepted.generationId}, ${accepted.creditCharged} credits`);

    const stream = await readGenerationEvents(api, accepted.generationId);
    const end = stream.terminal;
    if (end.type !== "completed") {
        fail(`pose generation: expected a completed event, got ${describeEvent(end)}`);
    }
    // `completed` carries status completed | partial (FinishedStatus)
    expectEqual("completed event: status", end.status, "completed");
    expectEqual("completed event: completed/total", `${end.completed}/${end.total}`, "2/2");
    expectEqual("completed event: creditRefunded", end.creditRefunded, 0);
    for (const e of stream.events) {
        if (e.type === "pose") {
            expectEqual(`pose event ${e.pose.id}: status`, e.pose.status, "completed");
            expectTrue(`pose event ${e.pose.id}: outputImageUrl`, e.pose.outputImageUrl.startsWith("/uploads/"), e.pose);
        }
    }
    step(`live progress over SSE: ${stream.events.map(describeEvent).join("; ")}`);

    const poseDone = expectStatus(
        "GET /api/apps/pose-generator/generations/{generationId}",
        await api.GET("/api/apps/pose-generator/generations/{generationId}", {
            params: { path: { generationId: accepted.generationId } },
        }),
        200,
    );
    const finishedStatus: Schemas["PoseGenerationStatus"] = poseDone.generation.status;
    expectEqual(`pose generation: status (error ${poseDone.generation.errorMessage ?? "none"})`, finishedStatus, "completed");
    expectEqual("pose generation: progress.percentage", poseDone.progress.percentage, 100);
    expectEqual("pose generation: posesCompleted", poseDone.generation.posesCompleted, 2);
    expectEqual("pose generation: poses", poseDone.generation.poses.length, 2);
    expectEqual("pose generation: avatarId", poseDone.generation.avatarId, uploadedAvatar.id);
    expectEqual("pose generation: project.id", poseDone.generation.project.id, poseProject.id);
    expectEqual("pose generation: generationType (enum)", poseDone.generation.generationType, galleryMode);
    step(`GET the generation -> completed, ${poseDone.generation.posesCompleted}/${poseDone.generation.totalExpectedPoses} poses`);

    const results = expectStatus(
        "GET /api/apps/pose-generator/generations/{generationId}/results",
        await api.GET("/api/apps/pose-generator/generations/{generationId}/results", {
            params: { path: { generationId: accepted.generationId } },
        }),
        200,
    );
    expectEqual("results: count", results.results.length, 2);
    expectEqual("results: successCount", results.generation.successCount, 2);
    expectEqual("results: creditRefunded", results.generation.creditRefunded, 0);
    expectEqual(
        "results: one per selected pose",
        results.results.map((r) => r.poseLibraryId).sort().join(","),
        [pose1.id, pose2.id].sort().join(","),
    );
    for (const r of results.results) {
        expectEqual(`result ${r.id}: status`, r.status, "completed");
        expectEqual(`result ${r.id}: variationKey`, r.variationKey, `${r.poseLibraryId ?? ""}-v0`);
        const exportUrl = r.exportFormats["instagram_story"];
        expectTrue(`result ${r.id}: instagram_story export`, typeof exportUrl === "string", r.exportFormats);
        const out = await fetch(new URL(r.outputImageUrl, API_URL));
        expectEqual(`GET ${r.outputImageUrl}: status`, out.status, 200);
        await out.arrayBuffer();
    }
    step("results -> 200, 2 completed images (served), each with its instagram_story export");

    const usage = expectStatus(
        `GET ${AC}/avatars/{id}/usage-history`,
        await api.GET("/api/apps/avatar-creator/avatars/{id}/usage-history", {
            params: { path: { id: uploadedAvatar.id }, query: { limit: 10 } },
        }),
        200,
    );
    const usageRow = usage.history[0];
    expectEqual("usage history: rows", usage.history.length, 1);
    expectEqual("usage history: appId", usageRow?.appId, "pose-generator");
    expectEqual("usage history: action", usageRow?.action, "generate_pose");
    expectEqual("usage history: referenceId", usageRow?.referenceId, accepted.generationId);
    expectEqual("usage summary: count", usage.summary[0]?.count, 1);
    const usedAvatar = expectStatus(
        `GET ${AC}/avatars/{id}`,
        await api.GET("/api/apps/avatar-creator/avatars/{id}", { params: { path: { id: uploadedAvatar.id } } }),
        200,
    ).avatar;
    expectEqual("avatar usageCount after the pose generation", usedAvatar.usageCount, 1);
    expectTrue("avatar lastUsedAt set", typeof usedAvatar.lastUsedAt === "string", usedAvatar.lastUsedAt);
    step("the avatar's usage history records the pose generation (usageCount 1)");

    const balance2 = expectStatus("GET /api/credits/balance", await api.GET("/api/credits/balance"), 200);
    expectEqual("balance after the pose generation", balance2.data.balance, 28);
    const history2 = expectStatus("GET /api/credits/history", await api.GET("/api/credits/history"), 200);
    const poseEntry = history2[0];
    expectEqual("history: newest amount", poseEntry?.amount, -60);
    expectEqual("history: newest referenceType", poseEntry?.referenceType, "pose_generation");
    expectEqual("history: newest referenceId", poseEntry?.referenceId, accepted.generationId);
    expectEqual(
        "history: the failed generation's charge and refund",
        history2.slice(1, 3).map((e) => `${e.type}:${e.amount}`).join(","),
        `refund:${costs.perPose},usage:-${costs.perPose}`,
    );
    step("credits: balance 28, newest entry -60 for the pose generation, the failed one charged and refunded");

    const tooPoor = expectError(
        "POST /api/apps/pose-generator/generate over the balance",
        await api.POST("/api/apps/pose-generator/generate", {
            body: { projectId: poseProject.id, generationType: galleryMode, selectedPoseIds: [pose1.id, pose2.id], batchSize: 1 },
        }),
        402,
    );
    if (tooPoor.code !== "INSUFFICIENT_CREDITS") {
        unexpected("a generation over the balance", tooPoor, "INSUFFICIENT_CREDITS");
    }
    // INSUFFICIENT_CREDITS' `details` is typed `{ required, available }`
    expectEqual("402: details.required", tooPoor.details.required, 2 * costs.perPose);
    expectEqual("402: details.available", tooPoor.details.available, 28);
    step(`a generation over the balance -> 402, needs ${tooPoor.details.required}, has ${tooPoor.details.available}`);

    const poseRequest = { poseName: "TS client mirror selfie", description: "Full-body mirror selfie, phone at chest height" };
    const submitted = expectStatus(
        "POST /api/apps/pose-generator/requests",
        await api.POST("/api/apps/pose-generator/requests", { body: poseRequest }),
        201,
    ).request;
    const pending: Schemas["PoseRequestStatus"] = "pending";
    expectEqual("pose request: status", submitted.status, pending);
    const duplicate = expectError(
        "POST /api/apps/pose-generator/requests again",
        await api.POST("/api/apps/pose-generator/requests", { body: poseRequest }),
        409,
    );
    if (duplicate.code !== "CONFLICT") {
        unexpected("a duplicate pose request", duplicate, "CONFLICT");
    }
    expectEqual("409 duplicate: message", duplicate.message, `You already have a pending request for "${poseRequest.poseName}"`);
    step(`a pose request -> 201 pending; the same again -> 409 CONFLICT "${duplicate.message}"`);

    // ---------------------------------------------------------------- clean up
    const poseDeleted = expectStatus(
        "DELETE /api/apps/pose-generator/projects/{projectId}",
        await api.DELETE("/api/apps/pose-generator/projects/{projectId}", {
            params: { path: { projectId: poseProject.id } },
        }),
        200,
    );
    expectEqual("delete pose project: success", poseDeleted.success, true);
    const goneProject = expectError(
        "GET deleted pose project",
        await api.GET("/api/apps/pose-generator/projects/{projectId}", { params: { path: { projectId: poseProject.id } } }),
        404,
    );
    if (goneProject.code !== "NOT_FOUND") {
        unexpected("GET deleted pose project", goneProject, "NOT_FOUND");
    }
    step(`delete pose project -> 200, then 404 NOT_FOUND "${goneProject.message}"`);

    const avatarDeleted = expectStatus(
        `DELETE ${AC}/avatars/{id}`,
        await api.DELETE("/api/apps/avatar-creator/avatars/{id}", { params: { path: { id: uploadedAvatar.id } } }),
        200,
    );
    expectEqual("delete avatar: message", avatarDeleted.message, "Avatar deleted successfully");
    const goneAvatar = expectError(
        "GET deleted avatar",
        await api.GET("/api/apps/avatar-creator/avatars/{id}", { params: { path: { id: uploadedAvatar.id } } }),
        404,
    );
    if (goneAvatar.code !== "NOT_FOUND") {
        unexpected("GET deleted avatar", goneAvatar, "NOT_FOUND");
    }
    expectEqual("404: message", goneAvatar.message, "Avatar not found");
    step("delete avatar -> 200, then 404 NOT_FOUND");

    const projectDeleted = expectStatus(
        `DELETE ${AC}/projects/{id}`,
        await api.DELETE("/api/apps/avatar-creator/projects/{id}", { params: { path: { id: project.id } } }),
        200,
    );
    expectEqual("delete project: message", projectDeleted.message, "Project deleted successfully");
    const afterDelete = expectStatus(`GET ${AC}/projects`, await api.GET("/api/apps/avatar-creator/projects"), 200);
    expectTrue(
        "list projects: the deleted project is gone",
        !afterDelete.projects.some((p) => p.id === project.id),
        afterDelete.projects.map((p) => p.id),
    );
    const avatarsAfter = expectStatus(`GET ${AC}/avatars`, await api.GET("/api/apps/avatar-creator/avatars"), 200);
    expectEqual("avatars after deleting the project (cascade)", avatarsAfter.avatars.length, 0);
    step("delete project -> 200; it and its remaining avatar are gone");

    const balance3 = expectStatus("GET /api/credits/balance", await api.GET("/api/credits/balance"), 200);
    expectEqual("balance after deletes (no refunds for deletes)", balance3.data.balance, 28);
    step("credits: balance still 28 after the deletes");

    const newPassword = "Ts-Client-Passw0rd-2!";
    const changed = expectStatus(
        "PUT /api/auth/profile (new password)",
        await api.PUT("/api/auth/profile", { body: { currentPassword: password, newPassword } }),
        200,
    );
    const newToken = changed.data.token;
    if (newToken === undefined) {
        fail("PUT /api/auth/profile: a password change returns no new token");
    }
    const oldSession = expectError("GET /api/auth/profile with the token from before", await api.GET("/api/auth/profile"), 401);
    if (oldSession.code !== "UNAUTHORIZED") {
        unexpected("the token from before the password change", oldSession, "UNAUTHORIZED");
    }
    expectEqual("the token from before: message", oldSession.message, "Session ended");
    const renewed = createClient<paths>({ baseUrl: API_URL, headers: { Authorization: `Bearer ${newToken}` } });
    expectEqual("profile with the new token", expectStatus("GET /api/auth/profile", await renewed.GET("/api/auth/profile"), 200).id, userId);
    step("password changed -> 200 with a new token; the old one answers 401 Session ended");

    const loggedOut = expectStatus("POST /api/auth/logout", await renewed.POST("/api/auth/logout"), 200);
    expectEqual("logout: success", loggedOut.success, true);
    const ended = expectError("GET /api/auth/profile after logout", await renewed.GET("/api/auth/profile"), 401);
    if (ended.code !== "UNAUTHORIZED") {
        unexpected("GET /api/auth/profile after logout", ended, "UNAUTHORIZED");
    }
    expectEqual("after logout: message", ended.message, "Session ended");
    step("logout -> 200; the token then answers 401 Session ended");

    console.log(`TS CLIENT WORKFLOW PASSED: ${stepNo} steps in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((err: unknown) => {
    if (err instanceof CheckFailed) {
        console.error(`\nTS CLIENT WORKFLOW FAILED after ${stepNo} passing step(s): ${err.message}`);
    } else {
        console.error(`\nTS CLIENT WORKFLOW FAILED after ${stepNo} passing step(s) with an unexpected error:`);
        console.error(err);
    }
    process.exitCode = 1;
});
