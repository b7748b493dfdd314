// A technical screen at a target level, in two browsers: the candidate reads
// the code excerpt and sees the level they practise for; the interviewer has
// the bad moves apart, ticks one and the pushback reaches the candidate at
// once, calibrates on the sample answers, and scores with the level rule's
// reading live beside the card; the candidate's debrief carries the reading.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  TEST_TIMEOUT_MS, startServer, openUser, signIn, skipToScoring, staffOnlyStrings, watchForLeaks, leaksOf, screenshotPath,
} from './helpers.mjs';

const SCENARIO = 'technical-screen-race-condition';

test('a technical screen at L6: code, bad-move pushback, samples and the level reading', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const server = await startServer(t);
  const I = await openUser(t);
  const C = await openUser(t);
  await watchForLeaks(C.page, staffOnlyStrings());
  const ip = I.page;
  const cp = C.page;
  await signIn(ip, server, 'Ines');
  await signIn(cp, server, 'Carl');

  await ip.locator(`#scenario option[value="${SCENARIO}"]`).waitFor({ state: 'attached' });
  await ip.getByLabel('Scenario').selectOption(SCENARIO);
  await ip.getByLabel('Target level').selectOption('LEVEL_L6');
  await ip.getByRole('button', { name: 'Create room' }).click();
  const codeEl = ip.locator('code.join-code[data-role="ROLE_CANDIDATE"]');
  await codeEl.waitFor();
  await cp.getByLabel('Room, committee or invitation code').fill((await codeEl.textContent()).trim());
  await cp.getByRole('button', { name: 'Join', exact: true }).click();
  await cp.waitForFunction(() => document.body.dataset.role === 'candidate');

  // The candidate: the excerpt as code, line breaks kept, and the target level.
  const code = cp.locator('#sec-question .code-excerpt pre code');
  await code.waitFor();
  const text = await code.textContent();
  assert.ok(text.split('\n').length >= 15, 'the excerpt keeps its lines');
  assert.match(text, /func /);
  await cp.locator('#room-sub', { hasText: 'target L6' }).waitFor();
  await ip.locator('#room-sub', { hasText: 'target L6' }).waitFor();

  // The interviewer: each dimension's L6 line, bad moves apart, the samples.
  await ip.locator('#sec-score .pass-line', { hasText: 'L6 line:' }).first().waitFor();
  const scenario = await ip.evaluate(() => window.mockloop.room.scenario);
  const lines = scenario.rubric.map((d) => d.passLines.find((l) => l.level === 'LEVEL_L6').score);
  const shown = await ip.locator('#sec-score fieldset.dimension .pass-line').allTextContents();
  assert.deepEqual(shown.map((s) => Number(s.match(/L6 line: (\d)/)[1])), lines);
  const bad = scenario.markers.filter((m) => m.badMove);
  assert.ok(bad.length >= 2);
  assert.equal(await ip.locator('#sec-markers ul.bad-moves li').count(), bad.length);
  await ip.locator('#sec-brief details.samples summary').click();
  assert.equal(await ip.locator('#sec-brief details.samples figure.sample').count(), 2);

  await ip.getByRole('button', { name: 'Start the interview' }).click();
  await ip.getByRole('button', { name: 'Skip the briefing' }).click();
  await cp.locator('#clock-note', { hasText: /^Phase 1 of/ }).waitFor();

  // A bad move ticked: its pushback is asked at once, by the script.
  const first = bad[0];
  const pushback = scenario.followUps.find((f) => f.onMove?.markerId === first.id && !f.onMove.afterFollowUp);
  assert.ok(pushback, `no pushback for ${first.id}`);
  await ip.locator('#sec-markers ul.bad-moves label', { hasText: first.label }).click();
  await cp.locator('#sec-asked q', { hasText: pushback.text }).waitFor({ timeout: 5_000 });

  // Score every dimension 4: above or at every L6 line.
  await skipToScoring(ip);
  const dims = ip.locator('#sec-score fieldset.dimension');
  const n = await dims.count();
  assert.equal(n, scenario.rubric.length);
  for (let i = 0; i < n; i++) {
    await dims.nth(i).locator('label.anchor').nth(3).click();
    await dims.nth(i).locator('textarea').fill(`Evidence ${i + 1}: walked through the interleaving line by line.`);
  }
  await ip.locator('#sec-score .level-reading', { hasText: 'At L6 the level rule reads Strong Yes' }).waitFor({ timeout: 5_000 });
  // One dimension down to 1: two short of any L6 line of 3 or more.
  await dims.nth(0).locator('label.anchor').nth(0).click();
  await ip.locator('#sec-score .level-reading', { hasText: 'At L6 the level rule reads Strong No' }).waitFor({ timeout: 5_000 });
  await ip.screenshot({ path: screenshotPath('level-reading.png'), fullPage: true });

  await ip.getByRole('radio', { name: 'No', exact: true }).check();
  await ip.getByLabel('Summary').fill('Found the race; scoping fell short.');
  await ip.getByRole('button', { name: 'Submit scorecard' }).click();
  await cp.locator('#sec-outcome h3', { hasText: 'Your debrief' }).waitFor();
  await cp.locator('#sec-outcome .level-verdict', { hasText: 'At L6 the level rule reads Strong No' }).first().waitFor();
  await cp.screenshot({ path: screenshotPath('level-debrief.png'), fullPage: true });

  const { leaks, checks } = await leaksOf(cp);
  assert.ok(checks > 0, 'the leak watcher never looked at the candidate page');
  assert.deepEqual(leaks, [], 'staff-only text on the candidate page');
});
