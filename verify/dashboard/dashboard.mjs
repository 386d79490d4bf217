// The dashboard as a person uses it (issue 16), in headless Debian Chromium driven by
// playwright-core, against the real API (no mocks). Started by ./run, which sets:
//   DASHBOARD_URL  where the dashboard is served (the API itself, or vite preview in front of it)
//   API_URL        the API (for the second user, an admin, made through the API)
//   API_DIR        the API's temp dir (app.db: promote the admin, read a charge)
//   COST_POSE_PER_POSE, COST_POSE_BACKGROUND_PER_POSE, COST_POSE_BACKGROUND_CHANGE  the pose prices
//                  the API was started with (the whole flow fits in the 100 welcome credits)
//   ARTIFACTS      where dashboard-<screen>.png go
//   CHROMIUM       the browser binary
// Fails on: a step that does not happen, any console error or page error, an API error
// answer nobody asked for, a serious or critical axe-core violation on any screen, the
// first-screen JS+CSS over 150 KB gzipped, first contentful paint >= 1 s, or a library grid
// that loads full images instead of thumbnails.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const AXE_SOURCE = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const BASE = need("DASHBOARD_URL");
const API_URL = need("API_URL");
const API_DIR = need("API_DIR");
const ARTIFACTS = need("ARTIFACTS");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const PASSWORD = "Dashboard-Passw0rd-2026";
const TIMEOUT = 30_000;
const BUDGET_KB = 150;
const BUDGET_FCP_MS = 1000;
const PER_POSE = Number(need("COST_POSE_PER_POSE"));
const BACKGROUND_PER_POSE = Number(need("COST_POSE_BACKGROUND_PER_POSE"));
const BACKGROUND_CHANGE = Number(need("COST_POSE_BACKGROUND_CHANGE"));
const plural = (n) => `${n} credit${n === 1 ? "" : "s"}`;

function need(name) {
    const v = process.env[name];
    if (!v) throw new Error(`${name} is not set (run verify/dashboard/run)`);
    return v;
}

// ------------------------------------------------------------------ reporting
let stepNo = 0;
const t0 = Date.now();
function step(msg) {
    stepNo += 1;
    console.log(`  ok ${String(stepNo).padStart(2)}  [${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${msg}`);
}
class CheckFailed extends Error {}
function fail(msg) {
    throw new CheckFailed(msg);
}
function expect(cond, msg) {
    if (!cond) fail(msg);
}

// ------------------------------------------------------------------ fixtures
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
});
function crc32(buf) {
    let c = 0xffffffff;
    for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
}
/** A truecolour PNG: a soft gradient portrait-like blob, plus noise (so it has some weight). */
function png(width, height, noise) {
    const raw = Buffer.alloc((width * 3 + 1) * height);
    let seed = 12345;
    for (let y = 0; y < height; y++) {
        const row = y * (width * 3 + 1);
        raw[row] = 0;
        for (let x = 0; x < width; x++) {
            seed = (seed * 1103515245 + 12345) & 0x7fffffff;
            const n = noise ? (seed >> 16) % 24 : 0;
            const dx = (x - width / 2) / width;
            const dy = (y - height * 0.42) / height;
            const inHead = dx * dx + dy * dy < 0.03;
            const inBody = y > height * 0.62 && Math.abs(dx) < 0.3 - (y / height - 0.62) * -0.2;
            const o = row + 1 + x * 3;
            if (inHead || inBody) {
                raw[o] = 236 - n;
                raw[o + 1] = 196 - n;
                raw[o + 2] = 170 - n;
            } else {
                raw[o] = 90 + Math.round((x / width) * 80) + n;
                raw[o + 1] = 100 + Math.round((y / height) * 60) + n;
                raw[o + 2] = 220 - n;
            }
        }
    }
    const chunk = (type, data) => {
        const len = Buffer.alloc(4);
        len.writeUInt32BE(data.length);
        const td = Buffer.concat([Buffer.from(type, "ascii"), data]);
        const crc = Buffer.alloc(4);
        crc.writeUInt32BE(crc32(td));
        return Buffer.concat([len, td, crc]);
    };
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(width, 0);
    ihdr.writeUInt32BE(height, 4);
    ihdr[8] = 8;
    ihdr[9] = 2;
    return Buffer.concat([
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
        chunk("IHDR", ihdr),
        chunk("IDAT", zlib.deflateSync(raw, { level: 6 })),
        chunk("IEND", Buffer.alloc(0)),
    ]);
}
const WORK = fs.mkdtempSync(path.join(os.tmpdir(), "dashboard-check-"));
const VALID_PNG = png(640, 640, true);
const SMALL_PNG = png(100, 100, false);
const validFile = path.join(WORK, "portrait.png");
const smallFile = path.join(WORK, "tiny.png");
fs.writeFileSync(validFile, VALID_PNG);
fs.writeFileSync(smallFile, SMALL_PNG);

// ------------------------------------------------------------------ the database (operator actions)
function sql(statement, ...params) {
    return execFileSync(
        "python3",
        [
            "-c",
            `import sqlite3, sys, json
c = sqlite3.connect(sys.argv[1])
rows = c.execute(sys.argv[2], json.loads(sys.argv[3])).fetchall()
c.commit()
print(json.dumps(rows))`,
            path.join(API_DIR, "app.db"),
            statement,
            JSON.stringify(params),
        ],
        { encoding: "utf8" },
    );
}
function promoteToAdmin(email) {
    sql("update users set role = 'admin' where email = ?", email);
}
// ------------------------------------------------------------------ the browser
const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ],
});

const problems = [];
/** HTTP error statuses the current step provokes on purpose (a 402, a 401 …). */
let allowedStatuses = new Set();
async function allowing(statuses, fn) {
    const before = allowedStatuses;
    allowedStatuses = new Set([...before, ...statuses]);
    try {
        return await fn();
    } finally {
        allowedStatuses = before;
    }
}

// A server built before POST /api/auth/logout existed answers it 404/405: tolerated (and said),
// since signing out still ends the session in the browser.
const served = await (await fetch(`${API_URL}/openapi.json`)).json();
const hasLogout = "/api/auth/logout" in served.paths;
if (!hasLogout) console.log("  note: this API build has no POST /api/auth/logout; sign-out ends the session in the browser only");
function allowed(status, url) {
    if (allowedStatuses.has(status)) return true;
    return !hasLogout && (status === 404 || status === 405) && url.includes("/api/auth/logout");
}

function watch(page, who) {
    page.on("pageerror", (e) => problems.push(`${who}: page error on ${page.url()}: ${e.message}`));
    page.on("console", (m) => {
        if (m.type() !== "error") return;
        const status = /status of (\d{3})/.exec(m.text());
        if (status && allowed(Number(status[1]), m.location().url ?? "")) return;
        problems.push(`${who}: console error on ${page.url()}: ${m.text()}`);
    });
    page.on("response", (r) => {
        const url = new URL(r.url());
        if (r.status() >= 400 && !allowed(r.status(), r.url())) {
            problems.push(`${who}: unexpected HTTP ${r.status()} for ${r.request().method()} ${url.pathname}${url.search}`);
        }
    });
    page.on("requestfailed", (r) => {
        const err = r.failure()?.errorText ?? "";
        if (err.includes("ERR_ABORTED")) return; // navigation away, a closed stream
        problems.push(`${who}: request failed: ${r.method()} ${r.url()} ${err}`);
    });
}
function assertNoProblems(where) {
    if (problems.length) fail(`${where}:\n    ${problems.join("\n    ")}`);
}

const axeSummary = [];
/** Waits for the screen to settle, runs axe-core, saves the screenshot. */
async function screen(page, name, { fullPage = false } = {}) {
    await page.waitForFunction(() => !document.querySelector(".loading"), null, { timeout: TIMEOUT });
    await page.evaluate(() => document.fonts.ready);
    // A button that just changed state (e.g. "Select this pose" → "✓ Selected") fades its colours
    // for 0.15 s: axe measuring contrast mid-transition sees colours no user is left looking at.
    // Wait for every finite CSS transition/animation to end (spinners loop forever: skipped).
    await page.evaluate(() =>
        Promise.all(
            document
                .getAnimations()
                .filter((a) => a.effect?.getComputedTiming().iterations !== Infinity)
                .map((a) => a.finished.catch(() => undefined)),
        ),
    );
    // axe-core goes in through the DevTools protocol (page.evaluate of its source), not as an
    // inline <script>: the dashboard's Content-Security-Policy (script-src 'self') refuses those,
    // and the check keeps that policy in force.
    if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(AXE_SOURCE);
    const result = await page.evaluate(async () => {
        // eslint-disable-next-line no-undef
        const r = await axe.run(document, { resultTypes: ["violations"] });
        return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5) }));
    });
    const bad = result.filter((v) => v.impact === "serious" || v.impact === "critical");
    axeSummary.push({ screen: name, violations: result.length, serious: bad.length, ids: result.map((v) => `${v.id}(${v.impact})`) });
    const file = path.join(ARTIFACTS, `dashboard-${name}.png`);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: file, fullPage });
    if (bad.length) fail(`axe-core on ${name}: ${JSON.stringify(bad, null, 1)}`);
    assertNoProblems(`screen ${name}`);
}

async function balanceShown(page) {
    return Number((await page.getByTestId("balance").textContent()).trim());
}
async function expectBalance(page, n, why) {
    await page.waitForFunction((v) => document.querySelector('[data-testid="balance"]')?.textContent?.trim() === String(v), n, { timeout: TIMEOUT }).catch(async () => {
        fail(`${why}: the header shows ${await balanceShown(page)} credits, expected ${n}`);
    });
}
async function go(page, pathname) {
    await page.goto(BASE + pathname);
    await page.waitForFunction(() => !document.querySelector(".loading"), null, { timeout: TIMEOUT });
}
async function heading(page, text) {
    await page.getByRole("heading", { level: 1, name: text }).waitFor({ timeout: TIMEOUT });
}
/** Clicks a link in the sidebar ("Avatar Creator" > "Projects" and so on). */
async function nav(page, label, index = 0) {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: label, exact: true }).nth(index).click();
}

try {
    // ================================================================ budgets: first screen
    {
        const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
        const page = await context.newPage();
        watch(page, "first-visit");
        const assets = [];
        page.on("response", async (r) => {
            const type = r.request().resourceType();
            if (type === "script" || type === "stylesheet") assets.push({ url: r.url(), type, body: await r.body().catch(() => Buffer.alloc(0)) });
        });
        await page.goto(BASE + "/poses");
        await page.waitForURL(/\/signin\?next=%2Fposes/, { timeout: TIMEOUT });
        await heading(page, "Sign in");
        await page.waitForLoadState("networkidle");
        const fcp = await page.evaluate(() => performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? -1);
        let raw = 0;
        let gz = 0;
        const lines = [];
        for (const a of assets) {
            const g = zlib.gzipSync(a.body, { level: 9 }).length;
            raw += a.body.length;
            gz += g;
            lines.push(`${a.type} ${new URL(a.url).pathname} ${(a.body.length / 1024).toFixed(1)} KB, ${(g / 1024).toFixed(1)} KB gzipped`);
        }
        console.log(`  budget: first screen loads ${assets.length} JS/CSS files:\n    ${lines.join("\n    ")}`);
        console.log(`  budget: JS+CSS of the first screen ${(raw / 1024).toFixed(1)} KB, ${(gz / 1024).toFixed(1)} KB gzipped (budget ${BUDGET_KB} KB)`);
        console.log(`  budget: first contentful paint ${fcp.toFixed(0)} ms (budget < ${BUDGET_FCP_MS} ms)`);
        expect(assets.length > 0, "the first screen loaded no JS or CSS");
        expect(gz <= BUDGET_KB * 1024, `JS+CSS of the first screen is ${(gz / 1024).toFixed(1)} KB gzipped, over ${BUDGET_KB} KB`);
        expect(fcp > 0 && fcp < BUDGET_FCP_MS, `first contentful paint ${fcp} ms, budget < ${BUDGET_FCP_MS} ms`);
        await screen(page, "signin");
        step(`a signed-out visit to /poses goes to sign-in (next=/poses); budgets met: ${(gz / 1024).toFixed(1)} KB gzipped, FCP ${fcp.toFixed(0)} ms`);
        await context.close();
    }

    const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    page.setDefaultTimeout(TIMEOUT);
    watch(page, "user");
    const email = `dashboard-${Date.now()}@example.com`;

    // ================================================================ register
    await go(page, "/signin");
    await page.getByRole("link", { name: "Create an account" }).click();
    await heading(page, "Create your account");
    await page.getByLabel("Name").fill("Dewi Lestari");
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill("short");
    await allowing([400], async () => {
        await page.getByRole("button", { name: "Create account" }).click();
        await page.locator('[data-field-error="password"]').waitFor();
    });
    await screen(page, "register-error");
    const pwError = await page.locator('[data-field-error="password"]').textContent();
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Create account" }).click();
    await heading(page, "Hello, Dewi Lestari");
    await expectBalance(page, 100, "after registering");
    await screen(page, "home");
    step(`register: the weak password's field error is shown next to it ("${pwError.slice(0, 60)}…"), then the account is created with 100 credits`);

    // ================================================================ Avatar Creator: a project
    await nav(page, "Projects", 0);
    await heading(page, "Avatar Creator");
    await page.getByText("No projects yet").waitFor();
    await screen(page, "avatar-projects-empty");
    await page.getByRole("button", { name: "New project" }).click();
    const dialog = page.getByRole("dialog", { name: "New project" });
    await dialog.getByLabel("Project name").fill("Spring Campaign");
    await dialog.getByLabel("Description").fill("Faces for the spring launch");
    await dialog.getByRole("button", { name: "Create project" }).click();
    await heading(page, "Spring Campaign");
    const projectUrl = new URL(page.url()).pathname;
    await screen(page, "avatar-project-empty");
    step(`create an Avatar Creator project -> ${projectUrl}`);

    // ================================================================ upload: rejected, then accepted
    const fileInput = page.getByLabel("Image", { exact: true });
    await fileInput.setInputFiles(smallFile);
    const imageError = page.locator('[data-field-error="image"]');
    await imageError.waitFor();
    expect((await imageError.textContent()).includes("between 256 and 4096"), `client check message: ${await imageError.textContent()}`);
    await page.getByLabel("Avatar name").fill("Too small");
    const uploadsBefore = [];
    page.on("request", (r) => r.url().includes("/avatars/upload") && uploadsBefore.push(r.url()));
    await page.getByRole("button", { name: /Upload avatar/ }).click();
    await page.waitForTimeout(300);
    expect(uploadsBefore.length === 0, "the too-small image was sent although the browser check refused it");
    await screen(page, "upload-rejected-client", { fullPage: true });
    step("upload: a 100×100 PNG is refused in the browser, next to the image field, and not sent");

    // The same checks on the server: the dashboard's check is bypassed by swapping the bytes in transit.
    // (Chromium does not hand file bytes of a multipart body to the route, so the form is rebuilt
    // with the same boundary: the avatar name typed on the page, and the replacement bytes.)
    async function uploadSwapped(replacement, status, expectText) {
        await page.route("**/avatars/upload", async (route) => {
            const type = (await route.request().allHeaders())["content-type"] ?? "";
            const boundary = /boundary=(.+)$/.exec(type)?.[1];
            expect(boundary, `the upload is not multipart: ${type}`);
            const name = await page.getByLabel("Avatar name").inputValue();
            const postData = Buffer.concat([
                Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\n${name}\r\n`),
                Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="portrait.png"\r\nContent-Type: image/png\r\n\r\n`),
                replacement,
                Buffer.from(`\r\n--${boundary}--\r\n`),
            ]);
            await route.continue({ postData });
        });
        await fileInput.setInputFiles([]);
        await fileInput.setInputFiles(validFile);
        await page.waitForFunction(() => !document.querySelector('[data-field-error="image"]'));
        await allowing([status], async () => {
            await page.getByRole("button", { name: /Upload avatar/ }).click();
            await page.getByText(expectText).first().waitFor();
        });
        await page.unroute("**/avatars/upload");
    }
    await uploadSwapped(SMALL_PNG, 400, "Image dimensions must be between 256 and 4096 pixels");
    await screen(page, "upload-rejected-server-400", { fullPage: true });
    await uploadSwapped(Buffer.from("hello, I am not an image\n".repeat(20)), 415, "This file type is not supported");
    await screen(page, "upload-rejected-server-415", { fullPage: true });
    step("upload: with the browser check bypassed, the server's 400 (dimensions, next to the image field) and 415 (type) are shown as sentences");

    // Drag and drop, preview, progress (the upload is throttled so the bar can be seen moving).
    await page.evaluate(
        async ({ b64, name }) => {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const dt = new DataTransfer();
            dt.items.add(new File([bytes], name, { type: "image/png" }));
            const zone = document.querySelector(".dropzone");
            zone.dispatchEvent(new DragEvent("dragover", { bubbles: true, dataTransfer: dt }));
            zone.dispatchEvent(new DragEvent("drop", { bubbles: true, dataTransfer: dt }));
        },
        { b64: VALID_PNG.toString("base64"), name: "portrait.png" },
    );
    await page.getByAltText("Preview of the chosen image").waitFor();
    await page.getByText("PNG · 640×640 px").waitFor();
    await page.getByLabel("Avatar name").fill("Sarah (photo)");
    await page.getByText("Persona and attributes (optional)").click();
    await page.getByLabel("Persona name").fill("Sarah Chen");
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 256 * 1024 });
    await page.getByRole("button", { name: /Upload avatar/ }).click();
    const bar = page.getByRole("progressbar", { name: "Upload progress" });
    await bar.waitFor();
    let seen = -1;
    for (let i = 0; i < 40; i++) {
        const v = Number((await bar.getAttribute("aria-valuenow").catch(() => null)) ?? -1);
        if (v > 0 && v < 100) {
            seen = v;
            break;
        }
        await page.waitForTimeout(50);
    }
    if (seen > 0) await page.screenshot({ path: path.join(ARTIFACTS, "dashboard-upload-progress.png") });
    await page.getByText("“Sarah (photo)” was added (2 credits used).").waitFor();
    await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    expect(seen > 0, "the upload progress bar never showed a value between 0 and 100");
    await expectBalance(page, 98, "after the upload (2 credits)");
    await page.getByRole("list", { name: "Avatars" }).getByText("Sarah (photo)").waitFor();
    await screen(page, "avatar-uploaded");
    step(`upload by drag and drop: preview, ${VALID_PNG.length} bytes with a progress bar (seen at ${seen}%), 201, balance 98 in the header`);

    // ================================================================ generate an avatar, and one that fails
    await page.getByRole("tab", { name: "Generate from a description" }).click();
    await page.getByLabel("Start from an example").selectOption({ index: 1 });
    const exampleName = await page.getByLabel("Persona name").inputValue();
    expect(exampleName.length > 0, "choosing a persona example filled no persona name");
    await page.getByLabel("Avatar name").fill("Raka (generated)");
    await page.getByLabel("Describe the avatar").fill("professional portrait of a friendly founder in a denim jacket");
    const price = await page.getByTestId("price").textContent();
    expect(price.includes("10 credits") && price.includes("balance after: 88"), `price line before confirming: ${price}`);
    await screen(page, "avatar-generate-form", { fullPage: true });
    await page.getByRole("button", { name: "Generate avatar (10 credits)" }).click();
    const tracker = page.locator('[data-generation]').first();
    await tracker.waitFor();
    await page.locator('[data-generation][data-status="completed"]').waitFor();
    await expectBalance(page, 88, "after generating (10 credits)");
    await page.getByRole("list", { name: "Avatars" }).getByText("Raka (generated)").waitFor();
    step(`generate an avatar from a prompt with persona example "${exampleName}": price shown first (${price.trim()}), live status until ready`);

    await page.getByLabel("Avatar name").fill("Will fail");
    await page.getByLabel("Describe the avatar").fill("[fail] a portrait that the provider refuses to make");
    await page.getByRole("button", { name: "Generate avatar (10 credits)" }).click();
    await page.locator('[data-generation][data-status="failed"]').waitFor();
    await page.getByText("Failed, 10 credits refunded.").waitFor();
    await expectBalance(page, 88, "after the failed avatar generation was refunded");
    await screen(page, "avatar-generations");
    step('a generation with "[fail]" in the prompt shows "Failed, 10 credits refunded." and the balance goes back to 88');

    // ================================================================ the avatar page: edit the persona
    await page.locator('[data-generation][data-status="completed"]').getByRole("link", { name: "Open" }).click();
    await heading(page, "Raka (generated)");
    await page.getByLabel("Personality traits").fill("curious, patient, bold");
    await page.getByLabel("Background", { exact: true }).fill("Founded a design studio after ten years in advertising.");
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.getByText("Saved. Editing a persona is free.").waitFor();
    await page.reload();
    await heading(page, "Raka (generated)");
    expect((await page.getByLabel("Personality traits").inputValue()) === "curious, patient, bold", "the persona traits did not persist");
    await expectBalance(page, 88, "editing a persona is free");
    const avatarUrl = new URL(page.url()).pathname;
    await screen(page, "avatar", { fullPage: true });
    step(`open the avatar (${avatarUrl}), edit its persona, reload: the change is kept, no credits used`);

    // ================================================================ presets
    await nav(page, "Preset gallery");
    await heading(page, "Preset gallery");
    await page.getByRole("button", { name: "Professional", exact: true }).click();
    await page.waitForURL(/category=professional/);
    await screen(page, "presets");
    await page.getByRole("button", { name: /^Use preset / }).first().click();
    const presetDialog = page.getByRole("dialog", { name: /^Avatar from/ });
    await presetDialog.getByLabel("Add to project").selectOption({ label: "Spring Campaign" });
    await presetDialog.getByText("costs 8 credits").waitFor();
    await presetDialog.getByLabel("Avatar name").fill("Preset Sarah");
    await presetDialog.getByRole("button", { name: "Create avatar (8 credits)" }).click();
    await heading(page, "Spring Campaign");
    await page.locator('[data-generation][data-status="completed"]').first().waitFor();
    await page.getByRole("list", { name: "Avatars" }).getByText("Preset Sarah").waitFor();
    await expectBalance(page, 80, "after creating from a preset (8 credits)");
    step("the preset gallery, filtered by category (in the URL); a preset becomes an avatar of the project (8 credits, watched until ready)");

    // No operator grant: the rest of the flow fits in what is left of the 100 welcome credits, at
    // the low pose prices run starts the API with (published by GET /stats `costs`).
    const afterAvatars = await balanceShown(page);
    expect(afterAvatars === 80, `the header shows ${afterAvatars} credits after the Avatar Creator steps, expected 80`);

    // ================================================================ a pose project with the generated avatar
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Projects", exact: true }).nth(1).click();
    await heading(page, "Pose projects");
    await page.getByRole("button", { name: "New pose project" }).click();
    const pdialog = page.getByRole("dialog", { name: "New pose project" });
    await pdialog.getByLabel("Project name").fill("Raka on LinkedIn");
    await pdialog.getByRole("radio", { name: "Raka (generated)" }).check();
    await screen(page, "pose-project-new");
    await pdialog.getByRole("button", { name: "Create project" }).click();
    await heading(page, "Raka on LinkedIn");
    await screen(page, "pose-project");
    step("create a pose project with an avatar chosen from the Avatar Creator avatars");

    // A second one with a photo uploaded on the spot (through the Avatar Creator upload, 2 credits).
    await go(page, "/poses/projects?new=1");
    const udialog = page.getByRole("dialog", { name: "New pose project" });
    await udialog.getByLabel("Project name").fill("Uploaded photo shoot");
    await udialog.getByRole("radio", { name: "Upload a photo" }).check();
    await udialog.getByLabel("Photo", { exact: true }).setInputFiles(validFile);
    await udialog.getByText("PNG · 640×640 px").waitFor();
    await udialog.getByText("Uploading the photo costs 2 credits").waitFor();
    await screen(page, "pose-project-upload");
    await udialog.getByRole("button", { name: "Create project" }).click();
    await heading(page, "Uploaded photo shoot");
    await page.getByRole("img", { name: /uploaded image/ }).waitFor();
    await expectBalance(page, afterAvatars - 2, "after a pose project with an uploaded photo (2 credits)");
    step("create a pose project with a photo uploaded on the spot (checks, price, progress; 2 credits)");
    const beforeGen = afterAvatars - 2;

    // ================================================================ the library: category, search, thumbnails, back/forward
    const imageRequests = [];
    const onImage = (r) => r.resourceType() === "image" && imageRequests.push(new URL(r.url()).pathname);
    page.on("request", onImage);
    await nav(page, "Pose library");
    await heading(page, "Pose library");
    await page.getByRole("list", { name: "Poses" }).waitFor();
    const firstPage = await page.getByRole("list", { name: "Poses" }).getByRole("listitem").count();
    expect(firstPage === 24, `the first library page shows ${firstPage} poses, expected 24`);
    await page.getByRole("navigation", { name: "Pose categories" }).getByRole("link", { name: /^Fitness & Gym/ }).click();
    await page.waitForURL(/category=fitness-gym/);
    await page.getByText("6 poses").waitFor();
    await screen(page, "library", { fullPage: true });
    await page.getByRole("link", { name: "All poses" }).click();
    await page.getByRole("searchbox", { name: "Search poses" }).fill("yoga");
    await page.waitForURL(/search=yoga/);
    await page.getByRole("list", { name: "Poses" }).getByRole("link", { name: "Tree Pose Yoga" }).waitFor();
    const yogaCount = await page.getByRole("list", { name: "Poses" }).getByRole("listitem").count();
    await page.getByLabel("Difficulty").selectOption("intermediate");
    await page.waitForURL(/difficulty=intermediate/);
    await page.waitForFunction(() => document.querySelectorAll('[aria-label="Poses"] > li').length > 0);
    await page.goBack();
    await page.waitForURL((u) => u.search.includes("search=yoga") && !u.search.includes("difficulty"));
    await page.waitForFunction((n) => document.querySelectorAll('[aria-label="Poses"] > li').length === n, yogaCount);
    await page.goForward();
    await page.waitForURL(/difficulty=intermediate/);
    expect((await page.getByLabel("Difficulty").inputValue()) === "intermediate", "forward did not restore the difficulty filter");
    await page.reload();
    await page.getByRole("list", { name: "Poses" }).waitFor();
    expect((await page.getByRole("searchbox", { name: "Search poses" }).inputValue()) === "yoga", "reload lost the search");
    await screen(page, "library-search");
    page.off("request", onImage);
    const poseImages = imageRequests.filter((p) => p.startsWith("/presets/pose-generator/"));
    const full = poseImages.filter((p) => !p.endsWith("_thumb.jpg"));
    console.log(`  budget: the library grid requested ${poseImages.length} pose images, ${full.length} of them not thumbnails`);
    expect(poseImages.length > 0, "the library grid requested no pose images");
    expect(full.length === 0, `the library grid loads full images, not thumbnails: ${full.slice(0, 5).join(", ")}`);
    step(`library: category tree (Fitness & Gym: 6), search "yoga" (${yogaCount}), difficulty; back/forward/reload keep the filters in the URL; ${poseImages.length} thumbnails, no full images`);

    // A pose's page, then select two poses.
    await go(page, "/poses?category=fitness-gym");
    await page.getByRole("list", { name: "Poses" }).getByRole("link", { name: "Bicep Flex Fitness" }).click();
    await heading(page, "Bicep Flex Fitness");
    await page.getByRole("img", { name: /pose map/ }).waitFor();
    await page.getByRole("button", { name: "Select this pose" }).click();
    await screen(page, "pose");
    await page.goBack();
    await page.getByRole("list", { name: "Poses" }).waitFor();
    await page.getByLabel("Select Dumbbell Workout Pose").check();
    await page.getByRole("region", { name: "Selected poses" }).getByText("2 poses selected").waitFor();
    await screen(page, "library-selection");
    step("a pose's page with its preview and pose map; two poses selected (the tray follows across pages)");

    // ================================================================ generate 2 poses × 2 variations with a background
    await page.getByRole("link", { name: "Continue to generate →" }).click();
    await heading(page, "New generation");
    await page.getByLabel("Pose project").selectOption({ label: "Raka on LinkedIn" });
    await page.getByLabel("Variations per pose").fill("2");
    await page.getByLabel("Change the background").check();
    await page.getByRole("radio", { name: "Solid colour" }).check();
    await page.getByLabel("TikTok 1080×1920").check();
    const images = (await page.getByTestId("images").textContent()).trim();
    const cost = Number((await page.getByTestId("cost").textContent()).replace(/\D/g, ""));
    const after = Number(await page.getByTestId("balance-after").textContent());
    expect(images === "2 × 2 = 4", `images: ${images}`);
    expect(cost === 4 * (PER_POSE + BACKGROUND_PER_POSE), `the price shown is ${cost}, expected 4 × (${PER_POSE} + ${BACKGROUND_PER_POSE}) from the published costs`);
    expect(after === beforeGen - cost, `balance after ${after}, expected ${beforeGen} - ${cost}`);
    await screen(page, "generate", { fullPage: true });
    const eventStreams = [];
    page.on("request", (r) => r.url().includes("/events?access_token=") && eventStreams.push(r.url()));
    await page.getByRole("button", { name: /^Confirm: generate 4 images for/ }).click();
    await page.waitForURL(/\/poses\/generations\/c/);
    const generationId = page.url().split("/").pop();
    const status = page.getByTestId("generation-status");
    await page.locator("[data-live-image]").first().waitFor();
    const liveText = await status.textContent();
    const liveImages = await page.locator("[data-live-image]").count();
    await page.screenshot({ path: path.join(ARTIFACTS, "dashboard-generation-live.png") });
    await page.getByText("Completed: 4 of 4 images ready.").waitFor();
    expect(eventStreams.length > 0, "the generation page did not open the event stream");
    const charged = JSON.parse(
        sql("select creditCharged from pose_generations where id = ?", generationId),
    )[0][0];
    expect(charged === cost, `the dashboard showed a price of ${cost} credits but the server charged ${charged}`);
    await expectBalance(page, beforeGen - cost, "after the pose generation");
    await screen(page, "generation-results", { fullPage: true });
    step(`2 poses × 2 variations with a solid background: price ${cost} shown and charged, live progress over SSE ("${liveText.trim()}", ${liveImages} image(s) in before the end), then 4 of 4`);

    // ================================================================ export ZIP, regenerate an export, change a background
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: /^Download ZIP/ }).click()]);
    const zipPath = path.join(WORK, download.suggestedFilename());
    await download.saveAs(zipPath);
    const zip = fs.readFileSync(zipPath);
    expect(zip.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04])), "the download is not a ZIP (no PK\\3\\4)");
    const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    const entries = eocd >= 0 ? zip.readUInt16LE(eocd + 10) : 0;
    expect(entries >= 4, `the ZIP holds ${entries} entries, expected at least 4`);
    step(`download the export ZIP: ${download.suggestedFilename()}, ${zip.length} bytes, a ZIP with ${entries} files`);

    const firstResult = page.getByRole("list", { name: "Generated images" }).getByRole("listitem").first();
    await firstResult.getByLabel("Format to regenerate for Image 1").selectOption("linkedin_post");
    await firstResult.getByRole("button", { name: "Regenerate export" }).click();
    await firstResult.getByRole("list", { name: "Exports of Image 1" }).getByRole("link", { name: /LinkedIn/ }).waitFor();
    step("regenerate an export (LinkedIn): the new export is listed");
    // A third export within the minute (RATE_LIMIT_PG_EXPORT=2/60s): the 429 with its Retry-After.
    await allowing([429], async () => {
        await firstResult.getByRole("button", { name: "Regenerate export" }).click();
        await firstResult.locator('[data-error-code="RATE_LIMITED"]').waitFor();
    });
    const msg429 = (await firstResult.locator('[data-error-code="RATE_LIMITED"]').textContent()).trim();
    expect(/please wait \d+ s/.test(msg429), `429 message: ${msg429}`);
    await screen(page, "rate-limited");
    step(`a third export within a minute: the 429 is shown next to the button as "${msg429}"`);
    let balance = beforeGen - cost;

    // ================================================================ a pose generation that fails: refunded
    await go(page, "/poses/library/" + (await firstPoseId(page, "Tree Pose Yoga")));
    await page.getByRole("button", { name: "Select this pose" }).click();
    await page.getByRole("link", { name: "Continue to generate →" }).click();
    await heading(page, "New generation");
    await page.getByLabel("Variations per pose").fill("1");
    await page.getByLabel("Extra prompt (optional)").fill("[fail] on purpose");
    const failCost = Number((await page.getByTestId("cost").textContent()).replace(/\D/g, ""));
    expect(failCost === PER_POSE, `the price shown for 1 image is ${failCost}, expected ${PER_POSE}`);
    expect(failCost <= balance, `the failing generation (${failCost}) does not fit the balance (${balance})`);
    await page.getByRole("button", { name: /^Confirm: generate 1 images for/ }).click();
    await page.waitForURL(/\/poses\/generations\/c/);
    await page.waitForFunction(
        (text) => document.querySelector('[data-testid="generation-status"]')?.textContent?.includes(text),
        `Failed, ${failCost} credits refunded.`,
    ).catch(async () => fail(`the failed generation shows "${await page.getByTestId("generation-status").textContent()}"`));
    await expectBalance(page, balance, "after the failed pose generation was refunded");
    await screen(page, "generation-failed");
    step(`a pose generation with "[fail]" shows "Failed, ${failCost} credits refunded." and the balance goes back to ${balance}`);

    // ================================================================ change a background (after the failure, so that it fits the balance)
    await go(page, `/poses/generations/${generationId}`);
    await page.getByText("Completed: 4 of 4 images ready.").waitFor();
    const firstImage = page.getByRole("list", { name: "Generated images" }).getByRole("listitem").first();
    const imageBefore = await firstImage.locator("a.result-card__img").getAttribute("href");
    await firstImage.getByRole("button", { name: "Change background" }).click();
    const bg = page.getByRole("dialog", { name: "Change the background" });
    await bg.getByText(`This costs ${plural(BACKGROUND_CHANGE)}`).waitFor();
    await screen(page, "change-background");
    await bg.getByRole("button", { name: "Change background" }).click();
    balance -= BACKGROUND_CHANGE;
    await expectBalance(page, balance, `after the background change (${plural(BACKGROUND_CHANGE)})`);
    await page.waitForFunction(
        (before) => {
            const a = document.querySelector('[aria-label="Generated images"] > li a.result-card__img');
            return a && a.getAttribute("href") !== before && !document.querySelector(".result-card__busy");
        },
        imageBefore,
        { timeout: TIMEOUT },
    );
    step(`change one image's background (${plural(BACKGROUND_CHANGE)}, the new image replaces the old): balance ${balance}`);

    await nav(page, "Generations");
    await heading(page, "Generations");
    await page.locator('[data-status="failed"]').getByText(`failed, ${failCost} credits refunded`).waitFor();
    await page.locator('[data-status="completed"]').getByText("4 of 4 images").waitFor();
    await screen(page, "generations");
    step("the generation history lists both, with status and what was refunded");

    // ================================================================ 402: not enough credits
    await go(page, "/poses?category=fitness-gym");
    await page.getByLabel("Select Bicep Flex Fitness").check();
    await page.getByLabel("Select Dumbbell Workout Pose").check();
    await page.getByRole("link", { name: "Continue to generate →" }).click();
    await page.getByLabel("Variations per pose").fill("10");
    await page.getByText("Your balance is too low for this generation.").waitFor();
    await allowing([402], async () => {
        await page.getByRole("button", { name: /^Confirm: generate 20 images for/ }).click();
        await page.locator('[data-error-code="INSUFFICIENT_CREDITS"]').waitFor();
    });
    const msg402 = await page.locator('[data-error-code="INSUFFICIENT_CREDITS"]').textContent();
    expect(msg402.includes(`your balance is ${balance}`), `402 message: ${msg402}`);
    await screen(page, "generate-402", { fullPage: true });
    step(`a generation above the balance: the server's 402 is shown as "${msg402.trim()}"`);

    // ================================================================ pose requests
    await nav(page, "Pose requests");
    await heading(page, "Pose requests");
    await page.getByLabel("Pose name").fill("Hijab mirror selfie");
    await page.getByLabel("Describe the pose").fill("Full-body mirror selfie holding the phone at chest height");
    await page.getByLabel("Use case").fill("social");
    await page.getByRole("button", { name: "Send request" }).click();
    await page.getByRole("tabpanel").locator(`[data-request="Hijab mirror selfie"]`).waitFor();
    await allowing([409], async () => {
        await page.getByLabel("Pose name").fill("hijab mirror selfie");
        await page.getByLabel("Describe the pose").fill("The same again");
        await page.getByRole("button", { name: "Send request" }).click();
        await page.locator('[data-error-code="CONFLICT"]').waitFor();
    });
    await screen(page, "requests");
    step("submit a pose request (listed under My requests); a duplicate is refused with the server's 409 sentence");

    // ================================================================ credits, profile
    await page.getByRole("link", { name: /Credit balance/ }).click();
    await heading(page, "Credits");
    await page.getByRole("cell", { name: "refund" }).first().waitFor();
    await screen(page, "credits");
    await nav(page, "Profile");
    await heading(page, "Profile");
    await page.getByLabel("Name").fill("Dewi L.");
    await page.getByRole("button", { name: "Save details" }).click();
    await page.getByText("Profile updated successfully").waitFor();
    await page.locator(".topbar__name").getByText("Dewi L.").waitFor();
    await page.getByLabel("Current password", { exact: true }).fill("Not-The-Passw0rd-99");
    await page.getByLabel("New password").fill("Another-Passw0rd-2027");
    await allowing([400], async () => {
        await page.getByRole("button", { name: "Change password" }).click();
        await page.locator('[data-field-error="currentPassword"]').getByText("Current password is incorrect").waitFor();
    });
    await screen(page, "profile");
    step("credit history shows charges and refunds; the profile name changes (header too); a wrong current password is shown next to its field");

    // ================================================================ admin screen hidden, and its 403 handled
    expect((await page.getByRole("link", { name: "Request queue" }).count()) === 0, "a non-admin sees the admin queue in the navigation");
    await allowing([403], async () => {
        await page.goto(BASE + "/admin/requests");
        await page.getByText("You need administrator rights for this.").first().waitFor();
    });
    await screen(page, "admin-forbidden");
    step("the admin queue is not in a user's navigation; opening its address shows the API's 403 as a sentence");

    // ================================================================ an ended session: sign in, back to the same page
    const saved = await page.evaluate(() => localStorage.getItem("creator-studio.token"));
    await go(page, projectUrl);
    await allowing([401], async () => {
        if (hasLogout) {
            // "Sign out everywhere" from another device: this tab's session is ended on the server.
            const r = await fetch(`${API_URL}/api/auth/logout-all`, { method: "POST", headers: { authorization: `Bearer ${saved}` } });
            expect(r.status === 200, `logout-all from another device: HTTP ${r.status}`);
        } else {
            await page.evaluate(() => localStorage.setItem("creator-studio.token", "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VySWQiOiJ4In0.ended"));
        }
        await page.reload();
        await page.waitForURL(/\/signin\?next=/);
        await page.getByText("Your session has ended. Please sign in again.").waitFor();
    });
    await screen(page, "session-ended");
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByLabel("Password").press("Enter");
    await heading(page, "Spring Campaign");
    expect(new URL(page.url()).pathname === projectUrl, `after signing in again: ${page.url()}, expected ${projectUrl}`);
    expect(saved !== null, "no token was stored");
    step(`an ended session (${hasLogout ? "signed out everywhere from another device" : "a refused token"}) goes to sign-in with a notice, and signing in returns to the same project page`);

    // ================================================================ delete the project, sign out
    await page.getByRole("button", { name: "Delete project" }).click();
    const confirm = page.getByRole("dialog", { name: "Delete “Spring Campaign”?" });
    await confirm.getByText("3 avatars").waitFor();
    await confirm.getByText(/Sarah \(photo\)/).waitFor();
    await screen(page, "delete-project");
    await confirm.getByRole("button", { name: "Delete project" }).click();
    await heading(page, "Avatar Creator");
    await page.getByRole("list", { name: "Projects" }).getByText("Pose Generator uploads").waitFor();
    expect((await page.getByRole("list", { name: "Projects" }).getByText("Spring Campaign").count()) === 0, "the deleted project is still listed");
    await screen(page, "avatar-projects");
    step("delete the project: the confirmation names it and its 3 avatars; it is gone from the list");
    const lastToken = await page.evaluate(() => localStorage.getItem("creator-studio.token"));
    await page.getByRole("button", { name: "Sign out" }).click();
    await heading(page, "Sign in");
    await page.getByText("You have signed out.").waitFor();
    expect((await page.evaluate(() => localStorage.getItem("creator-studio.token"))) === null, "the token is still stored after signing out");
    if (hasLogout) {
        await page.waitForTimeout(300);
        const again = await fetch(`${API_URL}/api/auth/profile`, { headers: { authorization: `Bearer ${lastToken}` } });
        expect(again.status === 401, `the signed-out token still works on the server (HTTP ${again.status})`);
    }
    await page.goBack();
    await page.waitForURL(/\/signin/);
    step("sign out: back at sign-in; Back does not reopen a private page");

    // ================================================================ an admin approves the request (keyboard only)
    const adminEmail = `dashboard-admin-${Date.now()}@example.com`;
    const reg = await fetch(`${API_URL}/api/auth/register`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: adminEmail, password: PASSWORD, name: "Ayu Admin" }),
    });
    expect(reg.status === 201, `registering the admin: HTTP ${reg.status}`);
    promoteToAdmin(adminEmail);
    await go(page, "/signin");
    await page.getByLabel("Email").focus();
    await page.keyboard.type(adminEmail);
    await page.keyboard.press("Tab");
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent === "Sign in"), "Tab from the password does not reach the Sign in button");
    await page.keyboard.press("Enter");
    await heading(page, "Hello, Ayu Admin");
    await page.getByRole("link", { name: "Request queue" }).click();
    await heading(page, "Pose request queue");
    await screen(page, "admin", { fullPage: true });
    const row = page.locator('[data-request="Hijab mirror selfie"]').first();
    await row.getByRole("button", { name: "Review Hijab mirror selfie" }).focus();
    await page.keyboard.press("Enter");
    const review = page.getByRole("dialog", { name: "Review “Hijab mirror selfie”" });
    await review.getByLabel("Notes for the requester").fill("Great idea, scheduled for next month.");
    await screen(page, "admin-review");
    await review.getByRole("button", { name: "Approve" }).click();
    await row.getByText("Approved").waitFor();
    step("a second user, promoted to admin, signs in by keyboard, sees the queue and approves the request with notes");

    // The rest of the request's life: a vote, in progress, completed with the library pose that fulfils it.
    await nav(page, "Pose requests");
    await page.getByRole("tab", { name: "Community requests" }).click();
    await page.waitForURL(/scope=all/);
    const community = page.locator('[data-request="Hijab mirror selfie"]');
    await community.getByRole("button", { name: /vote for Hijab mirror selfie/ }).click();
    await community.getByRole("button", { name: /^1 vote; vote for/ }).waitFor();
    await screen(page, "requests-community");
    await page.getByRole("link", { name: "Request queue" }).click();
    await heading(page, "Pose request queue");
    await row.getByRole("button", { name: "Review Hijab mirror selfie" }).click();
    await review.getByRole("button", { name: "Mark in progress" }).click();
    await row.getByText("In progress").waitFor();
    await row.getByRole("button", { name: "Review Hijab mirror selfie" }).click();
    await review.getByRole("searchbox", { name: "Search the library" }).fill("mirror selfie");
    await review.getByRole("radio", { name: "Mirror Selfie Pose" }).check();
    await review.getByRole("button", { name: "Mark completed" }).click();
    await row.getByText("Completed").waitFor();
    step("the admin votes for it in Community requests, marks it in progress, then completed with the library pose found by search");

    // ================================================================ small screen
    await page.setViewportSize({ width: 390, height: 844 });
    await go(page, "/poses");
    await page.getByRole("button", { name: "Menu" }).click();
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Pose library" }).waitFor();
    await screen(page, "mobile-menu");
    await page.getByRole("button", { name: "Menu" }).click();
    await screen(page, "mobile-library");
    step("a phone-sized screen: the menu opens from the top bar, the grid reflows");

    assertNoProblems("at the end");
    console.log("  axe-core: " + axeSummary.map((a) => `${a.screen} ${a.violations === 0 ? "clean" : a.ids.join(",")}`).join("; "));
    const minor = axeSummary.reduce((n, a) => n + a.violations, 0);
    console.log(`  axe-core: ${axeSummary.length} screens, 0 serious or critical violations, ${minor} minor/moderate`);
    console.log(`  screenshots: ${ARTIFACTS}/dashboard-*.png`);
    console.log(`${stepNo} passed, 0 failed`);
    await browser.close();
} catch (err) {
    console.error(`\nDASHBOARD CHECK FAILED at step ${stepNo + 1}: ${err instanceof CheckFailed ? err.message : err.stack ?? err}`);
    if (problems.length) console.error(`  also seen:\n    ${problems.join("\n    ")}`);
    try {
        const pages = browser.contexts().flatMap((c) => c.pages());
        const last = pages[pages.length - 1];
        if (last) await last.screenshot({ path: path.join(ARTIFACTS, "dashboard-FAILED.png"), fullPage: true });
        console.error(`  the page at failure: ${last?.url()} (verify/artifacts/dashboard-FAILED.png)`);
    } catch {
        /* the browser is gone */
    }
    await browser.close().catch(() => {});
    process.exit(1);
} finally {
    fs.rmSync(WORK, { recursive: true, force: true });
}

/** The id of a library pose by its name (the way a person finds it: the search box). */
async function firstPoseId(page, name) {
    await go(page, `/poses?search=${encodeURIComponent(name)}`);
    const href = await page.getByRole("list", { name: "Poses" }).getByRole("link", { name }).first().getAttribute("href");
    return href.split("/").pop();
}
