// Swagger UI at $API_URL/docs, driven in headless Debian Chromium (issue 7, item 3).
//
//   API_URL=http://127.0.0.1:3000 API_TOKEN=<bearer JWT> node swagger.mjs
//
// Checks, in order (any failure: a message, swagger-FAILURE*.png screenshots, exit 1):
//   1. the page renders the spec without errors, and the operation blocks it lists are
//      exactly the operations of the served spec ($API_URL/openapi.json, or EXPECTED_SPEC,
//      a JSON file, to check the UI against another copy of the spec), known ones by path;
//   2. every operation opens and, after "Try it out", shows an Execute button with no
//      render error; no resolver error appears once all have been opened;
//   3. "Try it out" -> "Execute" on GET /api/apps/avatar-creator/projects without
//      authorizing shows 401 (so the token is what makes the next call succeed);
//   4. "Authorize" with the token: the dialog shows bearerAuth as authorized (Logout
//      button, no input left) and the operation's lock closes;
//   5. "Execute" again shows 200 with the caller's project list (with EXPECT_PROJECT, the
//      name of a project the user owns, in it), the curl command shown carries
//      "Authorization: Bearer <token>", and so did the request the browser sent;
//   6. no JavaScript errors in the page, no request to another origin.
// Screenshots go to ARTIFACTS_DIR (default verify/artifacts); their absolute paths are printed.

import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const API_URL = (process.env.API_URL ?? '').replace(/\/$/, '');
const TOKEN = process.env.API_TOKEN ?? '';
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = path.resolve(process.env.ARTIFACTS_DIR ?? path.join(here, '..', 'artifacts'));
const TIMEOUT = 30_000;
// A project the token's user owns: the authorized call must list it.
const PROJECT = process.env.EXPECT_PROJECT ?? '';

const TARGET = { method: 'GET', path: '/api/apps/avatar-creator/projects' };
const KNOWN = [
  'GET /api/apps/avatar-creator/projects',
  'POST /api/apps/avatar-creator/projects',
  'POST /api/apps/avatar-creator/projects/{projectId}/avatars/upload',
  'POST /api/apps/pose-generator/generate',
  'GET /api/apps/pose-generator/library',
  'POST /api/auth/register',
  'GET /api/health',
];
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

const started = Date.now();
const secs = () => ((Date.now() - started) / 1000).toFixed(1);
const step = (msg) => console.log(`[browser ${secs()}s] ${msg}`);

class CheckFailed extends Error {}
const expect = (cond, msg) => {
  if (!cond) throw new CheckFailed(msg);
};

if (!API_URL || !TOKEN) {
  console.error('usage: API_URL=<server> API_TOKEN=<bearer token> node swagger.mjs');
  process.exit(2);
}

// The operations a spec declares, as "METHOD /path" (one entry per tag, as Swagger UI
// renders an operation once under each of its tags; untagged ones go under "default").
function specOperations(spec) {
  const ops = [];
  for (const [p, item] of Object.entries(spec.paths ?? {})) {
    for (const m of METHODS) {
      if (!item[m]) continue;
      const tags = item[m].tags?.length ? item[m].tags : ['default'];
      for (const _ of tags) ops.push(`${m.toUpperCase()} ${p}`);
    }
  }
  return ops.sort();
}

// a - b as multisets
function missing(a, b) {
  const left = new Map();
  for (const x of b) left.set(x, (left.get(x) ?? 0) + 1);
  const out = [];
  for (const x of a) {
    const n = left.get(x) ?? 0;
    if (n > 0) left.set(x, n - 1);
    else out.push(x);
  }
  return out;
}

async function loadExpectedSpec() {
  if (process.env.EXPECTED_SPEC) {
    step(`expected operations from ${process.env.EXPECTED_SPEC} (EXPECTED_SPEC)`);
    return JSON.parse(await readFile(process.env.EXPECTED_SPEC, 'utf8'));
  }
  const res = await fetch(`${API_URL}/openapi.json`);
  expect(res.ok, `GET ${API_URL}/openapi.json answered ${res.status}`);
  return res.json();
}

const shots = [];
async function shot(target, name, opts = {}) {
  const file = path.join(ARTIFACTS, name);
  await target.screenshot({ path: file, ...opts });
  shots.push(file);
  step(`screenshot ${file}`);
  return file;
}

// The rendered block of one operation (deep-linking ids are tag-operationId, so find it by
// method and path instead).
function opblock(page, { method, path: p }) {
  return page
    .locator(`.opblock.opblock-${method.toLowerCase()}`)
    .filter({ has: page.locator(`.opblock-summary-path[data-path="${p}"]`) });
}

// Clicks "Execute" in an expanded, "Try it out" block and returns the live response's
// status code and body as Swagger UI renders them, plus its curl command.
async function execute(page, block) {
  const tryOut = block.locator('button.try-out__btn');
  if ((await tryOut.textContent())?.trim() === 'Try it out') await tryOut.click();
  const clear = block.locator('button.btn-clear');
  if (await clear.count()) await clear.click(); // drop the previous live response
  await block.locator('button.execute').click();
  const status = block.locator('.live-responses-table .response .response-col_status');
  await status.first().waitFor({ timeout: TIMEOUT });
  const code = (await status.first().innerText()).trim().split(/\s+/)[0];
  const body = (await block
    .locator('.live-responses-table .response-col_description .microlight')
    .first()
    .innerText()
    .catch(() => '')) ?? '';
  const curl = (await block.locator('.curl-command .curl, .curl-command pre').first().innerText()) ?? '';
  return { code, body, curl };
}

async function main() {
  await mkdir(ARTIFACTS, { recursive: true });
  for (const f of await readdir(ARTIFACTS)) {
    if (/^swagger-.*\.png$/.test(f)) await rm(path.join(ARTIFACTS, f)); // a previous run's
  }
  const spec = await loadExpectedSpec();
  const expected = specOperations(spec);
  step(`spec: ${expected.length} operations over ${Object.keys(spec.paths ?? {}).length} paths`);

  const profile = await mkdtemp(path.join(tmpdir(), 'verify-chromium-'));
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ];
  step(`launching ${CHROMIUM} (fresh profile ${profile})`);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args,
    viewport: { width: 1400, height: 1000 },
    timeout: 60_000,
  });
  const browserVersion = context.browser()?.version() ?? (await versionOf(context));
  step(`chromium ${browserVersion}`);
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(TIMEOUT);
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(`console: ${m.text()}`);
  });
  // What the browser really sent to the target operation, auth header included.
  const sent = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (r.method() === TARGET.method && u.pathname === TARGET.path)
      sent.push(r.headers()['authorization'] ?? null);
  });
  // Only the API under test: no other host is contacted (assets are embedded).
  const foreign = new Set();
  await page.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (u.origin !== new URL(API_URL).origin && u.protocol !== 'data:') {
      foreign.add(u.origin);
      return route.abort();
    }
    return route.continue();
  });

  try {
    // 1. the operations are listed
    step(`loading ${API_URL}/docs`);
    const resp = await page.goto(`${API_URL}/docs`, { waitUntil: 'load' });
    expect(resp?.status() === 200, `GET /docs answered ${resp?.status()}`);
    await page.locator('.swagger-ui .information-container .title').waitFor();
    await page.locator('.opblock').first().waitFor();
    const title = (await page.locator('.information-container .title').innerText()).trim();
    step(`rendered: "${title.split('\n')[0]}"`);
    const errors = page.locator('.swagger-ui .errors-wrapper');
    if (await errors.count()) {
      throw new CheckFailed(`Swagger UI shows spec errors:\n${await errors.innerText()}`);
    }
    const rendered = (
      await page.$$eval('.opblock', (els) =>
        els.map(
          (e) =>
            `${e.querySelector('.opblock-summary-method')?.textContent?.trim()} ${e
              .querySelector('.opblock-summary-path')
              ?.getAttribute('data-path')}`,
        ),
      )
    ).sort();
    const notRendered = missing(expected, rendered);
    const notInSpec = missing(rendered, expected);
    step(`operation blocks rendered: ${rendered.length}, in the spec: ${expected.length}`);
    expect(
      notRendered.length === 0 && notInSpec.length === 0,
      `rendered operations differ from the spec (${rendered.length} rendered, ${expected.length} expected)` +
        (notRendered.length ? `\n  in the spec, not rendered: ${notRendered.join(', ')}` : '') +
        (notInSpec.length ? `\n  rendered, not in the spec: ${notInSpec.join(', ')}` : ''),
    );
    for (const k of KNOWN) expect(rendered.includes(k), `operation ${k} is not listed`);
    step(`all ${expected.length} operations listed, including ${KNOWN.length} known ones`);
    const tags = await page.locator('.opblock-tag-section h3 .opblock-tag, .opblock-tag-section .opblock-tag').count();
    step(`tag sections: ${tags}`);
    // The page from the top to the last operation (the Schemas section below is ~10 000 px).
    const lastOps = await page.locator('.opblock-tag-section').last().boundingBox();
    await shot(page, 'swagger-operations.png', {
      fullPage: true,
      clip: { x: 0, y: 0, width: 1400, height: Math.ceil(lastOps.y + lastOps.height + 16) },
    });

    // Every operation opens, offers "Try it out", and then renders its parameters and an
    // Execute button without Swagger UI's "could not render" errors.
    // (Driven inside the page: Playwright actions take ~1 s each on a loaded machine.)
    const broken = await page.evaluate(async () => {
      const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
      const waitFor = async (fn, ms = 10_000) => {
        for (const end = Date.now() + ms; Date.now() < end; await sleep(20)) {
          const v = fn();
          if (v) return v;
        }
        return null;
      };
      const out = [];
      for (const op of document.querySelectorAll('.opblock')) {
        const name = `${op.querySelector('.opblock-summary-method')?.textContent?.trim()} ${op
          .querySelector('.opblock-summary-path')
          ?.getAttribute('data-path')}`;
        op.querySelector('.opblock-summary-control').click();
        const tryOut = await waitFor(() => op.querySelector('button.try-out__btn'));
        if (!tryOut) {
          out.push(`${name}: no "Try it out" button when opened`);
          continue;
        }
        tryOut.click();
        if (!(await waitFor(() => op.querySelector('button.execute'))))
          out.push(`${name}: no Execute button after "Try it out"`);
        const bad = op.innerText.match(/.*(could not render|😱).*/i);
        if (bad) out.push(`${name}: ${bad[0]}`);
        op.querySelector('button.try-out__btn.cancel')?.click();
        op.querySelector('.opblock-summary-control').click();
        if (!(await waitFor(() => !op.querySelector('.opblock-body'))))
          out.push(`${name}: does not close`);
      }
      return out;
    });
    expect(broken.length === 0, `"Try it out" is broken for ${broken.length} operations:\n  ${broken.join('\n  ')}`);
    // Opening an operation resolves its part of the spec: resolver errors show up now.
    if (await errors.count()) {
      throw new CheckFailed(`Swagger UI shows spec errors after opening the operations:\n${await errors.innerText()}`);
    }
    step(`all ${rendered.length} operations open and offer "Try it out" with an Execute button`);

    // 2. Try it out without a token: 401
    const block = opblock(page, TARGET);
    expect((await block.count()) === 1, `no single block for ${TARGET.method} ${TARGET.path}`);
    await block.locator('.opblock-summary').first().scrollIntoViewIfNeeded();
    await block.locator('.opblock-summary-control, .opblock-summary').first().click();
    await block.locator('button.try-out__btn').waitFor();
    const anon = await execute(page, block);
    step(`without authorizing: Execute -> ${anon.code}`);
    expect(anon.code === '401', `without a token, ${TARGET.method} ${TARGET.path} showed ${anon.code}, expected 401\n${anon.body}`);
    expect(!/authorization/i.test(anon.curl), `the anonymous curl command carries a header: ${anon.curl}`);
    expect(sent.length === 1 && sent[0] === null, `the anonymous request carried ${JSON.stringify(sent)}`);

    // 3. Authorize
    const lock = block.locator('.opblock-summary .authorization__btn');
    const lockBefore = await lock.getAttribute('aria-label');
    expect(
      lockBefore === 'authorization button unlocked',
      `before Authorize, the lock of ${TARGET.path} is "${lockBefore}"`,
    );
    await page.locator('.scheme-container button.authorize').click();
    const dialog = page.locator('.dialog-ux .modal-ux');
    await dialog.waitFor();
    const bearer = dialog
      .locator('.auth-container')
      .filter({ has: page.locator('h4', { hasText: 'bearerAuth' }) });
    expect((await bearer.count()) === 1, 'the Authorize dialog has no bearerAuth scheme');
    await bearer.locator('input').fill(TOKEN);
    await bearer.locator('button.authorize', { hasText: 'Authorize' }).click();
    await bearer.locator('button', { hasText: 'Logout' }).waitFor();
    const authText = await bearer.innerText();
    expect(
      (await bearer.locator('h6', { hasText: 'Authorized' }).count()) === 1,
      `bearerAuth is not shown as authorized:\n${authText}`,
    );
    expect((await bearer.locator('input').count()) === 0, 'bearerAuth still shows its token input');
    step('Authorize dialog: bearerAuth (http, Bearer) shows "Authorized" and Logout');
    await shot(dialog, 'swagger-authorized.png');
    await dialog.locator('button.close-modal').click();
    await dialog.waitFor({ state: 'detached' });
    const lockAfter = await lock.getAttribute('aria-label');
    expect(
      lockAfter === 'authorization button locked',
      `the lock of ${TARGET.path} did not close: "${lockAfter}"`,
    );
    step(`operation lock: "${lockBefore}" -> "${lockAfter}"`);

    // 4. Try it out with the token: 200
    const authed = await execute(page, block);
    step(`authorized: Execute -> ${authed.code}`);
    await block.scrollIntoViewIfNeeded();
    await shot(
      block,
      authed.code === '200' ? 'swagger-try-it-out-200.png' : `swagger-try-it-out-${authed.code}-FAILURE.png`,
    );
    expect(authed.code === '200', `authorized, ${TARGET.method} ${TARGET.path} showed ${authed.code}, expected 200\n${authed.body}`);
    expect(
      authed.curl.includes(`Authorization: Bearer ${TOKEN}`),
      `the curl command shown does not carry the bearer token:\n${authed.curl}`,
    );
    expect(
      sent.length === 2 && sent[1] === `Bearer ${TOKEN}`,
      `the browser's request did not carry the bearer token: ${JSON.stringify(sent[1])}`,
    );
    let parsed;
    try {
      parsed = JSON.parse(authed.body);
    } catch {
      throw new CheckFailed(`the 200 body rendered is not JSON:\n${authed.body.slice(0, 500)}`);
    }
    const names = Array.isArray(parsed?.projects) ? parsed.projects.map((x) => x?.name) : null;
    expect(names, `the 200 body has no "projects" list:\n${authed.body.slice(0, 500)}`);
    if (PROJECT) {
      expect(
        names.includes(PROJECT),
        `the 200 body does not list the user's project "${PROJECT}": ${JSON.stringify(names)}`,
      );
    }
    step(`response body rendered: ${authed.body.replace(/\s+/g, ' ').slice(0, 120)}`);

    const unexpected = pageErrors.filter((e) => !/401 \(Unauthorized\)/.test(e));
    expect(unexpected.length === 0, `errors in the page:\n${unexpected.join('\n')}`);
    expect(foreign.size === 0, `the page tried to reach other hosts: ${[...foreign].join(', ')}`);
  } catch (e) {
    // What was on screen at the failing step, and the whole page.
    const file = await shot(page, 'swagger-FAILURE.png').catch(() => null);
    await shot(page, 'swagger-FAILURE-full.png', { fullPage: true }).catch(() => null);
    await context.close().catch(() => {});
    await rm(profile, { recursive: true, force: true });
    throw Object.assign(e, { screenshot: file });
  }
  await context.close();
  await rm(profile, { recursive: true, force: true });
  return { operations: expected.length };
}

async function versionOf(context) {
  // launchPersistentContext has no Browser object: ask the browser over CDP.
  const page = context.pages()[0] ?? (await context.newPage());
  const cdp = await context.newCDPSession(page);
  const v = await cdp.send('Browser.getVersion');
  await cdp.detach();
  return v.product;
}

main().then(
  ({ operations }) => {
    console.log('\nScreenshots:');
    for (const f of shots) console.log(`  ${f}`);
    console.log(
      `\nSWAGGER UI CHECK PASSED: ${operations} operations listed, Authorize ok, ` +
        `Try it out ${TARGET.method} ${TARGET.path}: 401 without token, 200 with it (${secs()} s)`,
    );
  },
  (e) => {
    if (shots.length) {
      console.error('\nScreenshots:');
      for (const f of shots) console.error(`  ${f}`);
    }
    if (e instanceof CheckFailed) console.error(`\nSWAGGER UI CHECK FAILED: ${e.message}`);
    else console.error(`\nSWAGGER UI CHECK FAILED (error): ${e?.stack ?? e}`);
    process.exit(1);
  },
);
