// A whole peer mock in two browsers: both queue, match, round 1 (a scripted
// follow-up with one click, a marker, a note, phases skipped, a scorecard
// drafted and submitted), the reveal and the candidate's debrief, round 2
// with the roles swapped automatically, and the debrief links. The
// candidate's page is watched for staff-only text the whole time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import {
  TEST_TIMEOUT_MS, startServer, openUser, signIn, staffOnlyStrings, anchorsOf, watchForLeaks, leaksOf,
  screenshotPath, docsImages, skipToScoring,
} from './helpers.mjs';

const ROUND_TYPE = 'ROUND_TYPE_TECHNICAL_DEEP_DIVE';
const LEVEL = 'LEVEL_L5';

async function queue(page) {
  await page.locator('#queue-form').getByLabel('Round type').selectOption(ROUND_TYPE);
  await page.locator('#queue-form').getByLabel('Level').selectOption(LEVEL);
  await page.getByRole('button', { name: 'Find a partner' }).click();
}

const roleOf = (page) => page.evaluate(() => document.body.dataset.role);

/** Waits until both pages show the room of a new round; returns {interviewer, candidate}. */
async function inRoom(a, b, round) {
  for (const u of [a, b]) {
    await u.page.locator('#room-sub', { hasText: `round ${round} of 2` }).waitFor({ timeout: 15_000 });
    await u.page.waitForFunction(() => ['candidate', 'interviewer'].includes(document.body.dataset.role), null, { timeout: 10_000 });
  }
  const roles = [await roleOf(a.page), await roleOf(b.page)];
  assert.deepEqual([...roles].sort(), ['candidate', 'interviewer'], `roles: ${roles}`);
  return roles[0] === 'interviewer' ? { interviewer: a, candidate: b } : { interviewer: b, candidate: a };
}

/** One round, played from the interviewer's page; checks the candidate's. */
async function playRound(t, { interviewer: I, candidate: C, round }) {
  const ip = I.page;
  const cp = C.page;
  const scenarioId = await ip.evaluate(() => window.mockloop.room.scenario.id);
  const anchors = anchorsOf(scenarioId);
  assert.ok(anchors.length >= 4, `no anchors found for ${scenarioId}`);
  // The interviewer sees the rubric with its level anchors and the script.
  await ip.locator('#sec-score .anchor-text', { hasText: anchors[0] }).first().waitFor();
  assert.ok((await ip.locator('#sec-script li[data-follow-up]').count()) >= 3);

  // Lobby -> briefing -> first phase, by the interviewer's controls.
  const start = ip.getByRole('button', { name: 'Start the interview' });
  await start.waitFor();
  await ip.waitForFunction(() => !document.querySelector('.controls button:not([hidden])')?.disabled);
  await start.click();
  await cp.locator('#phase-name', { hasText: 'Briefing' }).waitFor();
  await cp.locator('#countdown', { hasText: /^\d+:\d\d$/ }).waitFor();
  await ip.getByRole('button', { name: 'Skip the briefing' }).click();
  const firstPhase = await ip.evaluate(() => window.mockloop.room.phases[0].name);
  await cp.locator('#phase-name', { hasText: firstPhase }).waitFor();
  await cp.locator('#countdown', { hasText: /^\d+:\d\d$/ }).waitFor();

  // The countdown runs down smoothly on the candidate's page.
  const t1 = await cp.locator('#countdown').textContent();
  await cp.waitForFunction((was) => document.getElementById('countdown').textContent !== was, t1, { timeout: 5_000 });
  const secs = (s) => s.split(':').reduce((acc, x) => acc * 60 + Number(x), 0);
  assert.ok(secs(await cp.locator('#countdown').textContent()) < secs(t1), 'the countdown went up');

  // A scripted follow-up with one click: the candidate sees its text.
  const item = ip.locator('#sec-script li[data-follow-up]').first();
  const question = (await item.locator('.fu-text').textContent()).trim();
  await item.getByRole('button', { name: /^Ask/ }).click();
  await item.getByRole('button', { name: /^Asked/ }).waitFor();
  await cp.locator('#sec-asked q', { hasText: question }).waitFor();

  // A marker, and a private note.
  const marker = ip.locator('#sec-markers input[type=checkbox]').first();
  await marker.check();
  // The server's state says it is ticked, and the box shows it.
  await ip.waitForFunction(() => window.mockloop.room.staff?.tickedMarkers?.length === 1);
  assert.ok(await marker.isChecked());
  assert.ok(await marker.isDisabled());
  const note = `Round ${round}: asked about rollback first, good framing.`;
  await ip.getByLabel(/Private note/).fill(note);
  await ip.getByRole('button', { name: 'Add note' }).click();
  await ip.locator('#sec-notes .note-text', { hasText: note }).waitFor();
  assert.equal(await cp.getByText(note).count(), 0);

  // Score as the interview goes: the drafts are saved (debounced).
  const dims = ip.locator('#sec-score fieldset.dimension');
  const dimCount = await dims.count();
  assert.ok(dimCount >= 3);
  for (let i = 0; i < dimCount; i++) {
    const dim = dims.nth(i);
    await dim.locator('label.anchor').nth(i % 2 === 0 ? 2 : 3).click(); // ratings 3 and 4
    await dim.locator('textarea').fill(`Evidence ${round}.${i + 1}: named the owner and the deadline.`);
  }
  await ip.locator('#sec-score .score-status', { hasText: /Draft saved/ }).waitFor({ timeout: 5_000 });
  const draft = await ip.evaluate(() => window.mockloop.room.staff.myScorecard);
  assert.equal(draft.scores.length, dimCount, 'the draft on the server has every dimension');
  assert.ok(!draft.submitted);

  if (round === 1) {
    // The top of a desktop room: clock, question, script, markers, notes
    // and the rubric with its anchors, mid-interview.
    const shot = screenshotPath('room-interviewer.png');
    const viewport = ip.viewportSize();
    await ip.setViewportSize({ width: 1280, height: 1500 });
    await ip.evaluate(() => {
      document.activeElement?.blur();
      window.scrollTo(0, 0);
    });
    await ip.screenshot({ path: shot });
    await ip.setViewportSize(viewport);
    t.diagnostic(`screenshot: ${shot}`);
    if (docsImages) copyFileSync(shot, path.join(docsImages, 'room-interviewer.png'));
  }

  // Skip through the rest of the phases to scoring.
  await skipToScoring(ip);
  await cp.locator('#sec-outcome', { hasText: 'Your interviewer is scoring' }).waitFor();

  // Recommendation and summary; submit. The only rater: the reveal follows.
  await ip.getByRole('radio', { name: 'Yes', exact: true }).check();
  const summary = `Round ${round} summary: structured, calm, owned the rollback.`;
  await ip.getByLabel('Summary').fill(summary);
  await ip.getByRole('button', { name: 'Submit scorecard' }).click();
  await ip.locator('#sec-outcome h3', { hasText: 'The reveal' }).waitFor();
  await ip.locator('#sec-outcome .scorecard-view', { hasText: summary }).waitFor();
  await ip.locator('#sec-outcome table.agg').waitFor();

  // The candidate's debrief: their scorecard, the aggregation, the follow-ups.
  await cp.locator('#sec-outcome h3', { hasText: 'Your debrief' }).waitFor();
  await cp.locator('#sec-outcome .scorecard-view', { hasText: summary }).waitFor();
  await cp.locator('#sec-outcome', { hasText: `Evidence ${round}.1` }).waitFor();
  await cp.locator('#sec-outcome table.agg').waitFor();
  await cp.locator('#sec-outcome .asked q', { hasText: question }).waitFor();
  await cp.screenshot({ path: screenshotPath(`candidate-debrief-${round}.png`), fullPage: true });

  // The Markdown links work for both, with their own codes; the candidate's
  // copy carries no anchors.
  for (const [page, isCandidate] of [[ip, false], [cp, true]]) {
    const href = await page.locator('#sec-outcome a.debrief-md').getAttribute('href');
    assert.match(href, /^\/api\/debriefs\/[^/]+-\d+\.md\?token=\w+/);
    const res = await page.request.get(new URL(href, page.url()).href);
    assert.equal(res.status(), 200, `GET ${href}`);
    const md = await res.text();
    assert.ok(md.includes(summary), 'the Markdown debrief has the scorecard');
    if (isCandidate) for (const a of anchors) assert.ok(!md.includes(a), `candidate's Markdown has an anchor: ${a}`);
  }
  // Nothing staff-only on the candidate's page, checked directly as well.
  const cText = await cp.evaluate(() => document.documentElement.textContent);
  for (const a of anchors) assert.ok(!cText.includes(a), `candidate's page has an anchor: ${a}`);
  assert.ok(!cText.includes(note));
  return { question, summary };
}

test('a peer mock: queue, match, two rounds with roles swapped, debriefs', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const server = await startServer(t);
  const forbidden = staffOnlyStrings();
  assert.ok(forbidden.length > 100, `only ${forbidden.length} staff-only strings found`);
  const a = await openUser(t);
  const b = await openUser(t);
  for (const u of [a, b]) await watchForLeaks(u.page, forbidden);
  await signIn(a.page, server, 'Ada');
  await signIn(b.page, server, 'Grace');

  // Ada queues first and sees her live status; then Grace.
  await queue(a.page);
  await a.page.locator('#screen-queue').waitFor();
  await a.page.locator('#queue-widening', { hasText: /exact/ }).waitFor();
  await a.page.locator('#queue-waited', { hasText: /\d+ s/ }).waitFor();
  await queue(b.page);

  // MatchFound: both join the room with their codes, by themselves.
  const r1 = await inRoom(a, b, 1);
  const first = await playRound(t, { ...r1, round: 1 });

  // Round 1 closes; both follow MatchFound for round 2 with roles swapped.
  await r1.interviewer.page.getByRole('button', { name: 'Finish round 1 and swap roles' }).click();
  const r2 = await inRoom(a, b, 2);
  assert.equal(r2.interviewer, r1.candidate, 'roles did not swap');
  assert.equal(r2.candidate, r1.interviewer);
  // The new candidate's page has nothing left of round 1's staff view.
  const c2 = await r2.candidate.page.evaluate(() => document.documentElement.textContent);
  assert.ok(!c2.includes('Rubric and scorecard'));
  // Round 1's debrief stays one link away.
  await r2.candidate.page.locator('.notices a.debrief-md').waitFor();
  const second = await playRound(t, { ...r2, round: 2 });
  assert.notEqual(first.question, '');
  assert.notEqual(second.summary, first.summary);

  // The last round: finish, and both are done with a way back to the start.
  await r2.interviewer.page.getByRole('button', { name: 'Finish the mock' }).click();
  for (const u of [a, b]) {
    await u.page.locator('#sec-outcome', { hasText: 'This room has closed.' }).waitFor();
    await u.page.getByRole('button', { name: 'Back to start' }).click();
    await u.page.locator('#screen-home').waitFor();
    assert.equal(await u.page.locator('#history-list li').count(), 2, 'both debriefs are listed');
  }

  // Back at the start the session is free again: queue, see it, cancel.
  await queue(b.page);
  await b.page.locator('#queue-title', { hasText: 'Looking for a partner' }).waitFor();
  await b.page.getByRole('button', { name: 'Cancel' }).click();
  await b.page.locator('#screen-home').waitFor();

  // A past debrief opens as a printable record.
  await a.page.getByRole('button', { name: /^View the debrief/ }).first().click();
  await a.page.locator('#debrief-body article.record').waitFor();
  await a.page.locator('#debrief-body table.agg').waitFor();

  // Both were candidates once; the watcher saw every change of those pages.
  for (const [u, who] of [[a, 'Ada'], [b, 'Grace']]) {
    const { leaks, checks } = await leaksOf(u.page);
    assert.ok(checks > 10, `the leak watcher hardly ran on ${who}'s page (${checks} checks)`);
    assert.deepEqual(leaks, [], `staff-only text on ${who}'s page while a candidate`);
  }
  assert.deepEqual(a.problems, []);
  assert.deepEqual(b.problems, []);
});
