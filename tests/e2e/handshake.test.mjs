// The handshake from the browser: Hello/Welcome, the start screen, errors
// shown, a server restart survived by reconnecting. Run with
// tests/e2e/run.sh (see helpers.mjs for the environment).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  TEST_TIMEOUT_MS, startServer, openUser, loadApp, signIn, screenshotPath,
} from './helpers.mjs';

test('connects, shows the start screen, and the server shuts down cleanly', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const server = await startServer(t);
  const { page, problems } = await openUser(t, { viewport: { width: 1024, height: 768 } });
  await loadApp(page, server);

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

  // The start screen: queue, a code, a room from the scenario list.
  await page.locator('#screen-home').waitFor();
  assert.equal(await page.locator('#home-name').textContent(), 'Ada Lovelace');
  await page.locator('#scenario option').nth(10).waitFor({ state: 'attached' });
  assert.ok((await page.locator('#scenario option').count()) >= 10, 'the scenario list did not load');
  assert.match(await page.locator('#scenario-detail').textContent(), /L\d/);
  assert.equal(await page.locator('#round-type option').count(), 7, 'every round type, the two screens included');

  const userKey = await page.evaluate(() => JSON.parse(localStorage.getItem('mockloop.userKey')));
  assert.match(userKey, /^[0-9a-f]{32}$/);
  const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem('mockloop.resumeToken')));
  assert.equal(token, await page.evaluate(() => window.mockloop.connection.welcome.resumeToken));
  assert.equal(await page.locator('#errors li').count(), 0);

  await page.screenshot({ path: screenshotPath('start.png'), fullPage: true });
  assert.deepEqual(problems, []);

  const { code, signal } = await server.stop();
  assert.equal(signal, null, `server died of ${signal}`);
  assert.equal(code, 0, `server exited ${code}:\n${server.log()}`);
  await page.locator('#session-detail', { hasText: 'Disconnected — reconnecting…' }).waitFor({ timeout: 5_000 });
  assert.equal(await page.locator('#status').textContent(), 'reconnecting');
  await page.locator('#banner', { hasText: 'Reconnecting…' }).waitFor();
});

test('at 360x740 the start is usable from the keyboard', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const server = await startServer(t);
  const { page, problems } = await openUser(t, { viewport: { width: 360, height: 740 } });
  await loadApp(page, server);

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

  // Focus follows to the start screen; the queue form is reachable by Tab.
  await page.locator('#screen-home').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'home-title');
  const reached = [];
  for (let i = 0; i < 6; i++) {
    await page.keyboard.press('Tab');
    reached.push(await page.evaluate(() => document.activeElement.id));
  }
  assert.ok(reached.includes('round-type') && reached.includes('find-partner'), `tab order: ${reached}`);
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 360), 'start screen scrolls sideways');

  await page.screenshot({ path: screenshotPath('mobile-360.png'), fullPage: true });
  assert.deepEqual(problems, []);
});

test('requests resolve by request id; server errors reject and are shown', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const server = await startServer(t);
  const { page, problems } = await openUser(t);
  await signIn(page, server, 'Linus');

  const result = await page.evaluate(async () => {
    const conn = window.mockloop.connection;
    const pong = await conn.request({ ping: { payload: btoa('hi') } });
    let error = null;
    try {
      await conn.request({ ping: { payload: btoa('x'.repeat(2000)) } }); // over the 1024-byte bound
    } catch (e) {
      error = { name: e.name, code: e.code, field: e.field, requestId: e.requestId };
    }
    return { pong, error };
  });
  assert.equal(atob(result.pong.pong.payload), 'hi');
  assert.ok(result.pong.requestId > 1);
  assert.equal(result.error?.name, 'ProtocolError');
  assert.equal(result.error.code, 'ERROR_CODE_FIELD_TOO_LONG');
  assert.equal(result.error.field, 'payload');
  assert.equal(result.error.requestId, result.pong.requestId + 1);

  // Shown with friendly text, the server's message and the field.
  const shown = page.locator('#errors li');
  await shown.first().waitFor();
  assert.match(await shown.first().textContent(), /^FIELD_TOO_LONG That is too long\. .+\(field: payload\)/);

  // A code nobody holds: tried as a room, a committee and an invitation,
  // refused in place, with no server error left on screen.
  await page.getByRole('button', { name: 'Dismiss this message' }).click();
  await page.getByLabel('Room, committee or invitation code').fill('0123456789abcdef0123456789abcdef');
  await page.getByRole('button', { name: 'Join', exact: true }).click();
  await page.locator('#join-code-error', { hasText: 'No room, committee or invitation has that code' }).waitFor();
  assert.equal(await page.getByLabel('Room, committee or invitation code').getAttribute('aria-invalid'), 'true');
  assert.equal(await shown.count(), 0);

  // Cancelling with no ticket is a server error the page explains.
  const err = await page.evaluate(() => window.mockloop.connection.request({ cancelTicket: {} }).catch((e) => e.code));
  assert.equal(err, 'ERROR_CODE_NOT_FOUND');
  await shown.first().waitFor();
  assert.match(await shown.first().textContent(), /^NOT_FOUND Not found\. you have no ticket in the queue/);
  assert.deepEqual(problems, []);
});

test('reconnects with a new Hello after the server comes back', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const first = await startServer(t);
  const { page } = await openUser(t);
  await signIn(page, first, 'Margaret');
  const before = await page.evaluate(() => window.mockloop.connection.welcome.sessionId);

  assert.equal((await first.stop()).code, 0);
  await page.locator('#session-detail', { hasText: 'Disconnected — reconnecting…' }).waitFor({ timeout: 5_000 });

  await startServer(t, { port: first.port });
  await page.locator('#status', { hasText: /^connected$/ }).waitFor({ timeout: 15_000 });
  const after = await page.evaluate(() => window.mockloop.connection.welcome.sessionId);
  assert.notEqual(after, before);
  assert.match(await page.locator('#session-detail').textContent(), new RegExp(`^Connected as Margaret — session ${after}$`));
  // On the start screen, a new session loses nothing: no alarm, just back.
  await page.locator('#banner', { hasText: 'Reconnected.' }).waitFor();
  await page.locator('#screen-home').waitFor();
});
