// Group coaching and a hiring committee: a coach runs a room with a
// candidate and two observers who both score; the reveal shows both cards
// and the agreement; the coach moves the hot seat and starts round 2. Then
// the coach opens a committee on the round's debrief, the others join with
// the member code, vote sealed, the chair reveals and decides.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TEST_TIMEOUT_MS, startServer, openUser, signIn, skipToScoring, screenshotPath } from './helpers.mjs';

const SCENARIO = 'project-off-track';

async function joinWithCode(page, code) {
  await page.getByLabel('Room, committee or invitation code').fill(code);
  await page.getByRole('button', { name: 'Join', exact: true }).click();
}

async function score(page, rating, rec, summary) {
  const dims = page.locator('#sec-score fieldset.dimension');
  const n = await dims.count();
  for (let i = 0; i < n; i++) await dims.nth(i).locator('label.anchor').nth(rating - 1).click();
  await page.getByRole('radio', { name: rec, exact: true }).check();
  await page.getByLabel('Summary').fill(summary);
  await page.getByRole('button', { name: 'Submit scorecard' }).click();
}

test('group coaching, then a hiring committee on its debrief', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const server = await startServer(t);
  const coach = await openUser(t);
  const cand = await openUser(t);
  const obs1 = await openUser(t);
  const obs2 = await openUser(t);
  await Promise.all([
    signIn(coach.page, server, 'Coach Cora'),
    signIn(cand.page, server, 'Cam'),
    signIn(obs1.page, server, 'Olu'),
    signIn(obs2.page, server, 'Oda'),
  ]);

  const cp = coach.page;
  await cp.locator(`#scenario option[value="${SCENARIO}"]`).waitFor({ state: 'attached' });
  await cp.getByLabel('Scenario').selectOption(SCENARIO);
  await cp.getByLabel(/coach/).check();
  await cp.getByRole('button', { name: 'Create room' }).click();
  const codeOf = async (role) => (await cp.locator(`code.join-code[data-role="${role}"]`).textContent()).trim();
  await cp.locator('code.join-code[data-role="ROLE_OBSERVER"]').waitFor();
  assert.equal(await cp.evaluate(() => document.body.dataset.role), 'coach');
  await joinWithCode(cand.page, await codeOf('ROLE_CANDIDATE'));
  await joinWithCode(obs1.page, await codeOf('ROLE_OBSERVER'));
  await joinWithCode(obs2.page, await codeOf('ROLE_OBSERVER'));
  await cand.page.waitForFunction(() => document.body.dataset.role === 'candidate');
  for (const o of [obs1, obs2]) await o.page.waitForFunction(() => document.body.dataset.role === 'observer');
  await cp.locator('#sec-people li').nth(3).waitFor();

  // With observers to score, the coach reads the rubric but does not score.
  await cp.locator('#sec-score h3', { hasText: /^Rubric$/ }).waitFor();
  assert.equal(await cp.locator('#sec-score form').count(), 0);

  // The coach runs the clock; observers see the rubric but not the controls.
  await cp.getByRole('button', { name: 'Start the interview' }).click();
  assert.equal(await obs1.page.locator('.controls').count(), 0);
  await obs1.page.locator('#sec-score .anchor').first().waitFor();
  await skipToScoring(cp);

  // Both observers score; the coach watches their drafts, then the reveal.
  await score(obs1.page, 2, 'No', 'Olu: thin on owners.');
  await obs1.page.locator('#sec-score .score-status', { hasText: 'Sealed until every rater is in' }).waitFor();
  await cp.locator('#sec-live .scorecard-view', { hasText: 'Olu: thin on owners.' }).waitFor();
  // Sealed: the other observer has no trace of Olu's card before the reveal.
  assert.equal(await obs2.page.getByText('Olu: thin on owners.').count(), 0);
  await score(obs2.page, 4, 'Strong yes', 'Oda: excellent recovery plan.');
  for (const p of [cp, obs1.page, obs2.page]) {
    await p.locator('#sec-outcome h3', { hasText: 'The reveal' }).waitFor();
    await p.locator('#sec-outcome .scorecard-view').nth(1).waitFor();
    await p.locator('#sec-outcome table.agg tr.wide').first().waitFor(); // 2 against 4: a wide disagreement
  }
  await cand.page.locator('#sec-outcome .scorecard-view', { hasText: 'Oda: excellent recovery plan.' }).waitFor();
  await cp.screenshot({ path: screenshotPath('coach-reveal.png'), fullPage: true });

  // Hot seat to Olu, and round 2: Olu is the candidate, Cam an observer.
  await cp.getByRole('button', { name: 'Put Olu in the hot seat' }).click();
  await obs1.page.waitForFunction(() => document.body.dataset.role === 'candidate');
  await cand.page.waitForFunction(() => document.body.dataset.role === 'observer');
  assert.equal(await obs1.page.locator('#sec-score').count(), 0, 'the new candidate still has the scorecard');
  await cp.getByRole('button', { name: 'Start the next round' }).click();
  await cp.locator('#room-sub', { hasText: 'round 2' }).waitFor();
  await cp.locator('#sec-outcome', { hasText: 'Press “Start the interview”' }).waitFor();

  // A committee on round 1's debrief: everyone leaves the room first.
  for (const u of [coach, cand, obs1, obs2]) {
    await u.page.getByRole('button', { name: 'Leave room' }).click();
    await u.page.locator('#screen-home').waitFor();
  }
  await cp.locator('#history-list input[type=checkbox]').first().check();
  await cp.getByRole('button', { name: 'Open a committee on the selected' }).click();
  await cp.locator('#screen-committee').waitFor();
  const memberCode = (await cp.locator('code.join-code[data-role="member"]').textContent()).trim();
  await cp.locator('.packet article.record').first().waitFor();
  for (const u of [cand, obs1, obs2]) {
    await joinWithCode(u.page, memberCode);
    await u.page.locator('#screen-committee .packet article.record').first().waitFor();
  }
  const votes = [[coach, 'Yes'], [cand, 'No'], [obs1, 'Yes'], [obs2, 'Strong yes']];
  for (const [u, v] of votes) {
    await u.page.getByRole('radio', { name: v, exact: true }).first().check();
    await u.page.getByLabel('Rationale').fill(`${v} because of the recovery plan.`);
    await u.page.getByRole('button', { name: 'Cast vote' }).click();
    await u.page.locator('#screen-committee', { hasText: `Your vote: ${v}.` }).waitFor();
  }
  // Sealed: nobody sees another's vote before the reveal.
  assert.equal(await obs2.page.locator('.vote-list').count(), 0);
  await cp.getByRole('button', { name: 'Reveal the votes' }).click();
  for (const u of [coach, obs2]) await u.page.locator('.vote-list li', { hasText: 'Cam: No' }).waitFor();
  await cp.getByLabel('Reasons').fill('Strong recovery plan; owners need work.');
  await cp.locator('.decide-form').getByRole('radio', { name: 'Yes', exact: true }).check();
  await cp.getByRole('button', { name: 'Record the decision' }).click();
  for (const u of [coach, cand]) {
    await u.page.locator('#screen-committee .outcome-body', { hasText: 'Decision: Yes' }).waitFor();
    const href = await u.page.locator('#screen-committee .outcome-body a.debrief-md').getAttribute('href');
    const res = await u.page.request.get(new URL(href, u.page.url()).href);
    assert.equal(res.status(), 200);
    assert.match(await res.text(), /owners need work/);
  }
  await cp.screenshot({ path: screenshotPath('committee.png'), fullPage: true });
  for (const u of [coach, cand, obs1, obs2]) assert.deepEqual(u.problems, []);
});
