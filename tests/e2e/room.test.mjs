// A room created by hand and joined with its code, on 360 px phones: no
// sideways scrolling in any stage; and a dropped socket: the notice, the
// re-handshake with the resume token, and what the page does with the answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TEST_TIMEOUT_MS, startServer, openUser, signIn, screenshotPath, skipToScoring } from './helpers.mjs';

const PHONE = { width: 360, height: 740 };
const SCENARIO = 'failed-canary-release';

const noSideScroll = (page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

/** The interviewer creates a room from the list; the candidate joins with the code. */
async function roomByCode(t, server, { viewport = PHONE } = {}) {
  const I = await openUser(t, { viewport });
  const C = await openUser(t, { viewport });
  await signIn(I.page, server, 'Ines');
  await signIn(C.page, server, 'Carl');
  await I.page.locator(`#scenario option[value="${SCENARIO}"]`).waitFor({ state: 'attached' });
  await I.page.getByLabel('Scenario').selectOption(SCENARIO);
  await I.page.getByRole('button', { name: 'Create room' }).click();
  const codeEl = I.page.locator('code.join-code[data-role="ROLE_CANDIDATE"]');
  await codeEl.waitFor();
  const code = (await codeEl.textContent()).trim();
  assert.match(code, /^[0-9a-f]{32}$/);
  assert.equal(await I.page.evaluate(() => document.body.dataset.role), 'interviewer');

  await C.page.getByLabel('Room, committee or invitation code').fill(code);
  await C.page.getByRole('button', { name: 'Join', exact: true }).click();
  await C.page.waitForFunction(() => document.body.dataset.role === 'candidate');
  await C.page.locator('#sec-question .prompt').waitFor();
  await I.page.locator('#sec-people li', { hasText: 'Carl' }).waitFor();
  return { I, C, code };
}

test('a room at 360 px: lobby, interview and reveal without sideways scrolling', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const server = await startServer(t);
  const { I, C } = await roomByCode(t, server);
  const ip = I.page;
  const cp = C.page;
  for (const p of [ip, cp]) assert.ok(await noSideScroll(p), 'lobby scrolls sideways');

  await ip.getByRole('button', { name: 'Start the interview' }).click();
  await ip.getByRole('button', { name: 'Skip the briefing' }).click();
  await cp.locator('#phase-name', { hasText: 'Immediate response' }).waitFor();
  const item = ip.locator('#sec-script li[data-follow-up]').nth(1);
  const question = (await item.locator('.fu-text').textContent()).trim();
  await item.getByRole('button', { name: /^Ask/ }).click();
  await cp.locator('#sec-asked q', { hasText: question }).waitFor();
  // Keyboard: a focused control in the room shows its focus ring.
  await ip.getByRole('button', { name: 'Pause' }).focus();
  await ip.keyboard.press('Enter');
  await ip.getByRole('button', { name: 'Resume' }).waitFor();
  assert.equal(await ip.evaluate(() => document.activeElement.textContent), 'Resume', 'focus left the pause button');
  await cp.locator('#clock-note', { hasText: 'paused' }).waitFor();
  await ip.keyboard.press('Enter');
  await cp.locator('#clock-note', { hasText: /^Phase 1 of 4$/ }).waitFor();
  for (const p of [ip, cp]) assert.ok(await noSideScroll(p), 'the interview scrolls sideways');
  await cp.screenshot({ path: screenshotPath('room-candidate-360.png'), fullPage: true });
  await ip.screenshot({ path: screenshotPath('room-interviewer-360.png'), fullPage: true });

  // To scoring, then reveal with whatever was submitted (none): the
  // reveal's tables fit too.
  await skipToScoring(ip);
  const dims = ip.locator('#sec-score fieldset.dimension');
  for (let i = 0; i < (await dims.count()); i++) await dims.nth(i).locator('label.anchor').nth(1).click();
  await ip.getByRole('radio', { name: 'No', exact: true }).check();
  await ip.getByRole('button', { name: 'Submit scorecard' }).click();
  await cp.locator('#sec-outcome table.agg').waitFor();
  await ip.locator('#sec-outcome table.agg').waitFor();
  for (const p of [ip, cp]) assert.ok(await noSideScroll(p), 'the reveal scrolls sideways');
  assert.deepEqual(I.problems, []);
  assert.deepEqual(C.problems, []);
});

test('a dropped socket: "Reconnecting…", the seat kept by the resume token; a reload resumes too', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const server = await startServer(t);
  const { I, C } = await roomByCode(t, server, { viewport: { width: 1024, height: 800 } });
  const cp = C.page;
  const carl = I.page.locator('#sec-people li', { hasText: 'Carl' });
  const welcome = () => cp.evaluate(() => ({ ...window.mockloop.connection.welcome }));
  const before = await welcome();
  assert.ok(before.resumeToken);

  // Record the Hellos the page sends from now on.
  const hellos = [];
  cp.on('websocket', (ws) =>
    ws.on('framesent', ({ payload }) => {
      const msg = JSON.parse(payload);
      if (msg.hello) hellos.push(msg.hello);
    }),
  );

  // Offline for a moment, so the drop lasts long enough to be seen.
  await C.context.setOffline(true);
  await cp.evaluate(() => window.mockloop.connection.drop());
  await cp.locator('#banner', { hasText: 'Connection lost. Reconnecting…' }).waitFor({ timeout: 5_000 });
  assert.equal(await cp.locator('#status').textContent(), 'reconnecting');
  // Meanwhile the interviewer sees Carl's seat held, marked "reconnecting".
  await carl.locator('.reconnecting').waitFor({ timeout: 5_000 });
  await C.context.setOffline(false);
  await cp.locator('#status', { hasText: /^connected$/ }).waitFor({ timeout: 15_000 });

  // The Hello presented the token of the session that dropped; the server
  // resumed it: same session, a fresh token, the room as it was.
  assert.ok(hellos.length >= 1, 'no Hello after the drop');
  assert.equal(hellos.at(-1).resumeToken, before.resumeToken);
  assert.equal(hellos.at(-1).displayName, 'Carl');
  const after = await welcome();
  assert.equal(after.resumed, true, 'the server did not resume the session');
  assert.equal(after.sessionId, before.sessionId);
  assert.notEqual(after.resumeToken, before.resumeToken);
  assert.equal(await cp.evaluate(() => JSON.parse(sessionStorage.getItem('mockloop.resumeToken'))), after.resumeToken);
  await cp.locator('#banner', { hasText: 'You kept your seat' }).waitFor();
  assert.equal(await cp.evaluate(() => document.body.dataset.role), 'candidate');
  await cp.locator('#sec-question .prompt').waitFor();
  await carl.waitFor();
  await I.page.waitForFunction(() => !document.querySelector('#sec-people .reconnecting'));

  // A reload keeps the seat as well: the tab's token is in sessionStorage.
  await cp.reload();
  await cp.waitForFunction(() => document.body.dataset.role === 'candidate', null, { timeout: 15_000 });
  await cp.locator('#sec-question .prompt').waitFor();
  const reloaded = await welcome();
  assert.equal(reloaded.resumed, true);
  assert.equal(reloaded.sessionId, before.sessionId);
  assert.equal(await I.page.locator('#sec-people li', { hasText: 'Carl' }).count(), 1);

  // A token the server no longer honours: a new session, and the page says
  // the seat is gone and goes back to the start.
  await cp.evaluate(() => sessionStorage.setItem('mockloop.resumeToken', JSON.stringify('0'.repeat(32))));
  await cp.evaluate(() => window.mockloop.connection.drop());
  await cp.locator('#banner', { hasText: 'your seat in the room was lost' }).waitFor({ timeout: 10_000 });
  await cp.locator('#screen-home').waitFor();
  const fresh = await welcome();
  assert.equal(Boolean(fresh.resumed), false);
  assert.notEqual(fresh.sessionId, before.sessionId);
  assert.equal(await cp.evaluate(() => document.body.dataset.role), '');

  // The only console errors allowed: Chromium's own for the refused
  // connection attempts while offline.
  const unexpected = C.problems.filter((p) => !/WebSocket connection to .* failed/.test(p));
  assert.deepEqual(unexpected, []);
  assert.deepEqual(I.problems, []);
});

test('an invitation code pairs two friends for a peer mock', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const server = await startServer(t);
  const A = await openUser(t, { viewport: PHONE });
  const B = await openUser(t, { viewport: PHONE });
  await signIn(A.page, server, 'Ana');
  await signIn(B.page, server, 'Ben');
  await A.page.locator('#queue-form').getByLabel('Round type').selectOption('ROUND_TYPE_BEHAVIORAL_LEADERSHIP');
  await A.page.getByRole('button', { name: 'Invite someone instead' }).click();
  await A.page.locator('#queue-title', { hasText: 'Waiting for your partner' }).waitFor();
  const code = (await A.page.locator('#invite-code').textContent()).trim();
  assert.match(code, /^[0-9a-f]{16,}$/);

  // Ben uses the one code field: not a room, not a committee, an invitation.
  await B.page.getByLabel('Room, committee or invitation code').fill(code);
  await B.page.getByRole('button', { name: 'Join', exact: true }).click();
  for (const u of [A, B]) await u.page.locator('#room-sub', { hasText: 'round 1 of 2' }).waitFor({ timeout: 10_000 });
  const roles = [await A.page.evaluate(() => document.body.dataset.role), await B.page.evaluate(() => document.body.dataset.role)];
  assert.deepEqual([...roles].sort(), ['candidate', 'interviewer']);
  await A.page.locator('#room-sub', { hasText: 'peer mock with Ben' }).waitFor();
  await B.page.locator('#room-sub', { hasText: 'peer mock with Ana' }).waitFor();
  for (const u of [A, B]) assert.ok(await noSideScroll(u.page));
  assert.equal(await B.page.locator('#errors li').count(), 0, 'the code lookups left an error on screen');
  assert.deepEqual(A.problems, []);
  assert.deepEqual(B.problems, []);
});

test('a server crash mid-interview: the room comes back, and the page sends its draft again', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const server = await startServer(t);
  const { I, C } = await roomByCode(t, server, { viewport: { width: 1024, height: 800 } });
  const ip = I.page;
  await ip.getByRole('button', { name: 'Start the interview' }).click();
  await ip.getByRole('button', { name: 'Skip the briefing' }).click();
  await C.page.locator('#phase-name', { hasText: 'Immediate response' }).waitFor();
  const dim = ip.locator('#sec-score fieldset.dimension').first();
  await dim.locator('label.anchor').nth(2).click();
  await dim.locator('textarea').fill('Paused the rollout before asking who owned it.');
  await ip.locator('#sec-score .score-status', { hasText: /Draft saved/ }).waitFor({ timeout: 5_000 });

  // SIGKILL: nothing is flushed on the way out. The same store, the same port.
  server.proc.kill('SIGKILL');
  await server.exited;
  await ip.locator('#status', { hasText: 'reconnecting' }).waitFor({ timeout: 5_000 });
  await startServer(t, { port: server.port, dataDir: server.dataDir });

  // Both pages resume their seats in the rebuilt room, still in the phase.
  for (const p of [ip, C.page]) await p.locator('#status', { hasText: /^connected$/ }).waitFor({ timeout: 15_000 });
  await C.page.locator('#phase-name', { hasText: 'Immediate response' }).waitFor();
  // The draft was not in the log; the page noticed and saved it again.
  await ip.waitForFunction(() => window.mockloop.room.staff?.myScorecard?.scores?.length === 1, null, { timeout: 10_000 });
  const draft = await ip.evaluate(() => window.mockloop.room.staff.myScorecard);
  assert.equal(draft.scores[0].evidence, 'Paused the rollout before asking who owned it.');
  assert.equal(draft.scores[0].rating, 3);
  assert.ok(!draft.submitted);
  assert.equal(await dim.locator('textarea').inputValue(), 'Paused the rollout before asking who owned it.');
  const unexpected = [...I.problems, ...C.problems].filter((p) => !/WebSocket connection to .* failed/.test(p));
  assert.deepEqual(unexpected, []);
});
