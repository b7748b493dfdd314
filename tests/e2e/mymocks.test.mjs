// My mocks in the browser: a coaching round where the coach writes a
// reference card beside an observer's; afterwards the candidate's My mocks
// charts the scores received and lists both cards, with no rubric text, and
// rates the coach's card (a second round adds a point to each line); the coach sees the rating on the card they gave;
// the observer sees their calibration against the coach; and a second
// browser given the candidate's key lists the same round.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { TEST_TIMEOUT_MS, startServer, openUser, signIn, skipToScoring, anchorsOf, screenshotPath, docsImages } from './helpers.mjs';

const SCENARIO = 'project-off-track';

async function joinWithCode(page, code) {
  await page.getByLabel('Room, committee or invitation code').fill(code);
  await page.getByRole('button', { name: 'Join', exact: true }).click();
}

/** ratings: one per dimension, repeated cyclically. */
async function score(page, ratings, rec, summary) {
  const dims = page.locator('#sec-score fieldset.dimension');
  const n = await dims.count();
  for (let i = 0; i < n; i++) await dims.nth(i).locator('label.anchor').nth(ratings[i % ratings.length] - 1).click();
  await page.getByRole('radio', { name: rec, exact: true }).check();
  await page.getByLabel('Summary').fill(summary);
  await page.getByRole('button', { name: 'Submit scorecard' }).click();
  return n;
}

async function openMyMocks(page) {
  await page.getByRole('button', { name: 'Leave room' }).click();
  await page.locator('#screen-home').waitFor();
  await page.getByRole('button', { name: 'My mocks' }).click();
  await page.locator('#screen-mocks').waitFor();
  await page.locator('#mocks-list li.mock').first().waitFor();
}

test('My mocks: scores over time, feedback on feedback and calibration against the coach', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const server = await startServer(t);
  const coach = await openUser(t);
  const cand = await openUser(t);
  const obs = await openUser(t);
  await Promise.all([signIn(coach.page, server, 'Coach Cora'), signIn(cand.page, server, 'Cam'), signIn(obs.page, server, 'Olu')]);

  const cp = coach.page;
  await cp.locator(`#scenario option[value="${SCENARIO}"]`).waitFor({ state: 'attached' });
  await cp.getByLabel('Scenario').selectOption(SCENARIO);
  await cp.getByLabel(/coach/).check();
  await cp.getByRole('button', { name: 'Create room' }).click();
  const codeOf = async (role) => (await cp.locator(`code.join-code[data-role="${role}"]`).textContent()).trim();
  await cp.locator('code.join-code[data-role="ROLE_OBSERVER"]').waitFor();
  await joinWithCode(cand.page, await codeOf('ROLE_CANDIDATE'));
  await joinWithCode(obs.page, await codeOf('ROLE_OBSERVER'));
  await obs.page.waitForFunction(() => document.body.dataset.role === 'observer');
  await cp.locator('#sec-people li').nth(2).waitFor();

  // With an observer to score, the coach opts in to a reference card.
  assert.equal(await cp.locator('#sec-score form').count(), 0);
  await cp.getByRole('button', { name: 'Write a reference card' }).click();
  await cp.locator('#sec-score form.scorecard').waitFor();
  await cp.getByRole('button', { name: 'Start the interview' }).click();
  await skipToScoring(cp);

  // The observer is a step more lenient than the coach on every dimension
  // (3 against 2, 4 against 3, alternating).
  const dims = await score(obs.page, [3, 4], 'Yes', 'Olu: solid recovery plan.');
  await obs.page.locator('#sec-score .score-status', { hasText: 'Sealed until every rater is in' }).waitFor();
  await cp.waitForFunction(() => (window.mockloop.room.staff?.expectedRaters ?? []).length === 2);
  assert.equal(await cand.page.locator('#sec-outcome h3', { hasText: 'The reveal' }).count(), 0, 'the reveal waits for the coach');
  await score(cp, [2, 3], 'No', 'Cora: owners were never named.');
  for (const p of [cp, obs.page, cand.page]) await p.locator('#sec-outcome .scorecard-view').nth(1).waitFor();

  // Round 2, Cam still on the hot seat; only Olu scores this time.
  await cp.getByRole('button', { name: 'Start the next round' }).click();
  await cp.locator('#room-sub', { hasText: 'round 2' }).waitFor();
  await cp.getByRole('button', { name: 'Start the interview' }).click();
  await skipToScoring(cp);
  await score(obs.page, [4, 3, 4, 2, 3], 'Strong yes', 'Olu: much better on owners.');
  await cand.page.locator('#sec-outcome .scorecard-view', { hasText: 'Olu: much better on owners.' }).waitFor();

  // The candidate: a chart line per dimension, both cards, no rubric text.
  await openMyMocks(cand.page);
  const rounds = cand.page.locator('#mocks-list li.mock[data-role="ROLE_CANDIDATE"]');
  await rounds.nth(1).waitFor();
  assert.equal(await rounds.count(), 2);
  const mine = rounds.nth(1); // newest first: round 1 is the older
  const series = cand.page.locator('#mocks-progress svg.chart .chart-series');
  assert.equal(await series.count(), dims, 'a line per dimension');
  // Round 1's mean of Olu's and Cora's, then round 2's: two points a line.
  assert.equal((await series.first().locator('polyline').getAttribute('points')).trim().split(/\s+/).length, 2);
  assert.equal(await mine.locator('.feedback-card').count(), 2);
  assert.equal(await rounds.nth(0).locator('.feedback-card').count(), 1);
  const page = await cand.page.locator('#screen-mocks').textContent();
  const anchors = anchorsOf(SCENARIO);
  assert.ok(anchors.length > 0);
  for (const a of anchors) assert.ok(!page.includes(a), `a rubric anchor reached the candidate's My mocks: ${a}`);
  // Rates Cora's card: 5, with a note.
  const coraCard = mine.locator('.feedback-card', { hasText: 'Cora: owners were never named.' });
  await coraCard.getByRole('radio', { name: '5' }).check();
  await coraCard.getByRole('textbox').fill('Naming owners is the thing I will practise.');
  await coraCard.getByRole('button', { name: 'Rate' }).click();
  await cand.page.locator('.feedback-card', { hasText: 'Cora' }).locator('.rate-status', { hasText: 'You rated it 5/5.' }).waitFor();
  // The whole record, as the candidate's copy.
  await mine.getByRole('button', { name: /Open the debrief/ }).click();
  await cand.page.locator('#screen-debrief').waitFor();
  await cand.page.locator('#debrief-body .scorecard-view').nth(1).waitFor();
  const record = await cand.page.locator('#debrief-body').textContent();
  for (const a of anchors) assert.ok(!record.includes(a), `a rubric anchor reached the candidate's debrief: ${a}`);
  await cand.page.screenshot({ path: screenshotPath('debrief-from-my-mocks.png'), fullPage: true });

  // The coach sees what the candidate made of the card they gave.
  await openMyMocks(cp);
  await cp.locator('#mocks-list li.mock').nth(1).waitFor();
  await cp.locator('#mocks-list li.mock').first().getByText('You did not submit a card.').waitFor();
  await cp.locator('#mocks-list .given-rated', { hasText: 'Extremely useful (5/5)' }).waitFor();
  await cp.locator('#mocks-list .given-rated', { hasText: 'Naming owners is the thing I will practise.' }).waitFor();
  await cp.locator('#mocks-usefulness', { hasText: '5.0 out of 5' }).waitFor();
  assert.equal(await cp.locator('#mocks-calibration').count(), 0, 'the coach is the reference, not calibrated');

  // The observer: one step lenient on every dimension.
  await openMyMocks(obs.page);
  // Round 2 had no reference card: one round compared.
  await obs.page.locator('#calibration-summary', { hasText: `Over 1 coaching round and ${dims} paired ratings` }).waitFor();
  await obs.page.locator('#calibration-summary', { hasText: '+1.00 on average' }).waitFor();
  await obs.page.locator('#calibration-summary', { hasText: 'more lenient than the coach' }).waitFor();
  assert.equal(await obs.page.locator('#calibration-dimensions tbody tr').count(), dims);
  await obs.page.screenshot({ path: screenshotPath('my-mocks-calibration.png'), fullPage: true });
  await cand.page.getByRole('button', { name: 'Back to start' }).click();
  await cand.page.getByRole('button', { name: 'My mocks' }).click();
  await cand.page.locator('#mocks-progress svg.chart').waitFor();
  const shot = screenshotPath('my-mocks.png');
  await cand.page.screenshot({ path: shot, fullPage: true });
  if (docsImages) copyFileSync(shot, path.join(docsImages, 'my-mocks.png'));

  // Another browser with Cam's key lists Cam's round.
  const key = (await cand.page.locator('#my-key').textContent()).trim();
  assert.match(key, /^[0-9a-f]{32}$/);
  const other = await openUser(t);
  await signIn(other.page, server, 'Cam on a laptop');
  await other.page.getByRole('button', { name: 'My mocks' }).click();
  await other.page.locator('#mocks-empty').waitFor();
  await other.page.locator('#mocks-key summary').click();
  await other.page.getByLabel('Use the key of another device').fill(key);
  await other.page.getByRole('button', { name: 'Use this key' }).click();
  await other.page.locator('#mocks-list li.mock[data-role="ROLE_CANDIDATE"]').nth(1).waitFor();

  for (const u of [coach, cand, obs, other]) assert.deepEqual(u.problems, []);
});
