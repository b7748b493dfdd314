// Browser end-to-end tests: the real server binary, the real web client, and
// headless Chromium driven by playwright-core. Run with tests/e2e/run.sh, or
// `node --test tests/e2e/` once `npm ci` has run in tests/e2e.
//
// Environment:
//   MOCKLOOP_SERVER        server binary (default ../../build/server/mockloop-server)
//   MOCKLOOP_CHROMIUM      browser binary (default /usr/bin/chromium)
//   MOCKLOOP_E2E_ARTIFACTS directory for screenshots (default: a fresh temp dir)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const serverBin = path.resolve(here, process.env.MOCKLOOP_SERVER ?? '../../build/server/mockloop-server');
const chromiumBin = process.env.MOCKLOOP_CHROMIUM ?? '/usr/bin/chromium';
const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];
const TEST_TIMEOUT_MS = 60_000;

const scratch = mkdtempSync(path.join(tmpdir(), 'mockloop-e2e-'));
const artifacts = process.env.MOCKLOOP_E2E_ARTIFACTS ?? path.join(scratch, 'artifacts');
mkdirSync(artifacts, { recursive: true });

before(() => {
  // Fail once, clearly, rather than once per test.
  assert.ok(isFile(serverBin), `server binary not found: ${serverBin} (build it, or set MOCKLOOP_SERVER)`);
  assert.ok(isFile(chromiumBin), `chromium not found: ${chromiumBin} (bash deploy/install-deps.sh --browser)`);
});

after(() => {
  // Keep the screenshots; drop the data dirs and browser profiles.
  for (const name of ['data', 'profiles']) rmSync(path.join(scratch, name), { recursive: true, force: true });
});

function isFile(file) {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function mkdirp(dir) {
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Starts mockloop-server on a free port (or `port`); resolves once it listens. */
async function startServer(t, { port = 0 } = {}) {
  const dataDir = mkdtempSync(path.join(mkdirp(path.join(scratch, 'data')), 'run-'));
  const args = ['--port', String(port), '--web-root', path.join(repo, 'client', 'web'), '--data-dir', dataDir];
  const proc = spawn(serverBin, args, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const exited = once(proc, 'exit').then(([code, signal]) => ({ code, signal }));

  const listening = new Promise((resolve, reject) => {
    const onData = (chunk) => {
      log += chunk;
      const m = /listening on http:\/\/[^\s:]+:(\d+)/.exec(log);
      if (m) resolve(Number(m[1]));
    };
    proc.stdout.setEncoding('utf8').on('data', onData);
    proc.stderr.setEncoding('utf8').on('data', onData);
    proc.on('error', reject);
    exited.then(({ code, signal }) => reject(new Error(`server exited early (${code ?? signal}):\n${log}`)));
    setTimeout(() => reject(new Error(`server did not report its port within 10 s:\n${log}`)), 10_000).unref();
  });

  const server = {
    proc,
    exited,
    log: () => log,
    port: await listening,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
  t.after(async () => {
    await server.stop();
    if (t.passed === false) t.diagnostic(`server log:\n${log}`);
  });
  return server;
}

/** A fresh Chromium profile and page; records console errors and page errors. */
async function openBrowser(t, { viewport = { width: 1024, height: 768 } } = {}) {
  const userDataDir = mkdtempSync(path.join(mkdirp(path.join(scratch, 'profiles')), 'chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumBin,
    headless: true,
    args: chromiumArgs,
    viewport,
  });
  t.after(() => context.close());
  const page = context.pages()[0] ?? (await context.newPage());
  const consoleErrors = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') consoleErrors.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => consoleErrors.push(`page error: ${err.message}`));
  page.on('requestfailed', (req) => consoleErrors.push(`request failed: ${req.url()} ${req.failure()?.errorText}`));
  return { context, page, consoleErrors };
}

async function loadApp(page, port) {
  const res = await page.goto(`http://127.0.0.1:${port}/`);
  assert.equal(res.status(), 200);
  await page.waitForFunction(() => document.readyState === 'complete');
}

test('connects, shows the session, and the server shuts down cleanly', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const server = await startServer(t);
  const { page, consoleErrors } = await openBrowser(t);
  await loadApp(page, server.port);

  assert.equal(await page.locator('h1').textContent(), 'mockloop');
  await page.getByLabel('Display name').fill('Ada Lovelace');
  await page.getByRole('button', { name: 'Connect' }).click();
  await page.locator('#status', { hasText: /^connected$/ }).waitFor({ timeout: 10_000 });

  const detail = await page.locator('#session-detail').textContent();
  const m = /^Connected as Ada Lovelace — session (\S+)$/.exec(detail);
  assert.ok(m, `unexpected session line: ${detail}`);
  const sessionId = await page.evaluate(() => window.mockloop.connection.welcome.sessionId);
  assert.equal(m[1], sessionId);
  assert.match(sessionId, /^[0-9a-f]+$/);
  assert.match(await page.locator('#server-version').textContent(), /^Server version \S+/);

  const userKey = await page.evaluate(() => localStorage.getItem('mockloop.userKey'));
  assert.match(userKey, /^[0-9a-f]{32}$/);
  assert.equal(await page.locator('#errors li').count(), 0);

  const shot = path.join(artifacts, 'handshake.png');
  await page.screenshot({ path: shot, fullPage: true });
  t.diagnostic(`screenshot: ${shot}`);
  assert.deepEqual(consoleErrors, []);

  const { code, signal } = await server.stop();
  assert.equal(signal, null, `server died of ${signal}`);
  assert.equal(code, 0, `server exited ${code}:\n${server.log()}`);
  await page.locator('#session-detail', { hasText: 'Disconnected — reconnecting…' }).waitFor({ timeout: 5_000 });
  assert.equal(await page.locator('#status').textContent(), 'reconnecting');
});

test('at 360x740 the form is visible and usable from the keyboard', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const server = await startServer(t);
  const { page, consoleErrors } = await openBrowser(t, { viewport: { width: 360, height: 740 } });
  await loadApp(page, server.port);

  const input = page.getByLabel('Display name');
  const button = page.getByRole('button', { name: 'Connect' });
  for (const el of [page.locator('h1'), input, button]) {
    assert.ok(await el.isVisible());
    const box = await el.boundingBox();
    assert.ok(box.x >= 0 && box.x + box.width <= 360 && box.y + box.height <= 740, `off screen: ${JSON.stringify(box)}`);
  }
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 360), 'page scrolls sideways');

  // An empty name is refused in place.
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'display-name');
  await page.keyboard.press('Enter');
  assert.match(await page.locator('#display-name-error').textContent(), /Enter a display name/);
  assert.equal(await input.getAttribute('aria-invalid'), 'true');

  // Tab to the button: it shows a focus ring; Enter connects.
  await page.keyboard.type('Grace');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'connect');
  const outline = await button.evaluate((el) => getComputedStyle(el).outlineStyle);
  assert.notEqual(outline, 'none', 'focused button has no focus style');
  await page.keyboard.press('Enter');
  await page.locator('#status', { hasText: /^connected$/ }).waitFor({ timeout: 10_000 });
  assert.match(await page.locator('#session-detail').textContent(), /^Connected as Grace — session \S+$/);

  await page.screenshot({ path: path.join(artifacts, 'mobile-360.png'), fullPage: true });
  assert.deepEqual(consoleErrors, []);
});

test('requests resolve by request id; server errors reject and are shown', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const server = await startServer(t);
  const { page, consoleErrors } = await openBrowser(t);
  await loadApp(page, server.port);
  await page.getByLabel('Display name').fill('Linus');
  await page.getByRole('button', { name: 'Connect' }).click();
  await page.locator('#status', { hasText: /^connected$/ }).waitFor({ timeout: 10_000 });

  const result = await page.evaluate(async () => {
    const conn = window.mockloop.connection;
    const pong = await conn.request({ ping: { payload: btoa('hi') } });
    let error = null;
    try {
      await conn.request({ ping: { payload: btoa('x'.repeat(2000)) } }); // over the 1024-byte bound
    } catch (e) {
      error = { name: e.name, code: e.code, field: e.field, requestId: e.requestId };
    }
    return { pong, error, offset: conn.clockOffsetMs };
  });
  assert.equal(atob(result.pong.pong.payload), 'hi');
  assert.ok(result.pong.requestId > 1);
  assert.ok(Number.isFinite(result.offset) && Math.abs(result.offset) < 5_000, `clock offset ${result.offset}`);
  assert.equal(result.error?.name, 'ProtocolError');
  assert.equal(result.error.code, 'ERROR_CODE_FIELD_TOO_LONG');
  assert.equal(result.error.field, 'payload');
  assert.equal(result.error.requestId, result.pong.requestId + 1);

  const shown = page.locator('#errors li');
  await shown.first().waitFor();
  assert.match(await shown.first().textContent(), /^ERROR_CODE_FIELD_TOO_LONG .*payload/);
  assert.deepEqual(consoleErrors, []);
});

test('reconnects with a new Hello after the server comes back', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const first = await startServer(t);
  const { page } = await openBrowser(t);
  await loadApp(page, first.port);
  await page.getByLabel('Display name').fill('Margaret');
  await page.getByRole('button', { name: 'Connect' }).click();
  await page.locator('#status', { hasText: /^connected$/ }).waitFor({ timeout: 10_000 });
  const before = await page.evaluate(() => window.mockloop.connection.welcome.sessionId);

  assert.equal((await first.stop()).code, 0);
  await page.locator('#session-detail', { hasText: 'Disconnected — reconnecting…' }).waitFor({ timeout: 5_000 });

  await startServer(t, { port: first.port });
  await page.locator('#status', { hasText: /^connected$/ }).waitFor({ timeout: 15_000 });
  const after = await page.evaluate(() => window.mockloop.connection.welcome.sessionId);
  assert.notEqual(after, before);
  assert.match(await page.locator('#session-detail').textContent(), new RegExp(`^Connected as Margaret — session ${after}$`));
});
