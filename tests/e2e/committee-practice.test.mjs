// Committee practice on the library's example packet: a chair opens it from
// the start screen with no codes, two members join with the member code, the
// packet reads at L6 with the level rule's readings, everyone votes sealed,
// the chair reveals and decides, and only then does each page show how a
// calibrated panel decided.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TEST_TIMEOUT_MS, startServer, openUser, signIn, screenshotPath } from './helpers.mjs';

test('a practice committee on the split-decision packet', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const server = await startServer(t);
  const chair = await openUser(t);
  const ann = await openUser(t);
  const ben = await openUser(t);
  await signIn(chair.page, server, 'Chloe');
  await signIn(ann.page, server, 'Ann');
  await signIn(ben.page, server, 'Ben');
  const cp = chair.page;

  await cp.locator('#practice-packets').waitFor();
  await cp.getByLabel('Example packet').selectOption('split-decision-l6');
  await cp.getByRole('button', { name: 'Open a practice committee' }).click();
  await cp.locator('#screen-committee').waitFor();
  const records = cp.locator('#screen-committee .packet article.record');
  await records.first().waitFor();
  assert.equal(await records.count(), 3, 'the three rounds of the loop');
  await cp.locator('#screen-committee .packet', { hasText: 'target L6' }).first().waitFor();
  await cp.locator('#screen-committee .packet .level-verdict', { hasText: 'At L6 the level rule reads' }).first().waitFor();
  const memberCode = (await cp.locator('code.join-code[data-role="member"]').textContent()).trim();

  for (const u of [ann, ben]) {
    await u.page.getByLabel('Room, committee or invitation code').fill(memberCode);
    await u.page.getByRole('button', { name: 'Join', exact: true }).click();
    await u.page.locator('#screen-committee .packet article.record').first().waitFor();
  }
  const votes = [[chair, 'Yes'], [ann, 'No'], [ben, 'No']];
  for (const [u, v] of votes) {
    await u.page.getByRole('radio', { name: v, exact: true }).first().check();
    await u.page.getByLabel('Rationale').fill(`${v}: the behavioral round decides it.`);
    await u.page.getByRole('button', { name: 'Cast vote' }).click();
    await u.page.locator('#screen-committee', { hasText: `Your vote: ${v}.` }).waitFor();
  }
  await cp.getByRole('button', { name: 'Reveal the votes' }).click();
  await ann.page.locator('.vote-list li', { hasText: 'Chloe: Yes' }).waitFor();
  for (const u of [chair, ann, ben]) assert.equal(await u.page.locator('#example-outcome').count(), 0, 'not before the decision');

  await cp.getByLabel('Reasons').fill('Strong at L5; the L6 behavioral bar is not met.');
  await cp.locator('.decide-form').getByRole('radio', { name: 'No', exact: true }).check();
  await cp.getByRole('button', { name: 'Record the decision' }).click();
  for (const u of [chair, ann, ben]) {
    const outcome = u.page.locator('#example-outcome');
    await outcome.waitFor();
    assert.match(await outcome.textContent(), /How a calibrated panel decided/);
    assert.ok((await outcome.locator('li').count()) >= 2, 'the example panel’s votes');
  }
  await cp.screenshot({ path: screenshotPath('committee-practice.png'), fullPage: true });
  for (const u of [chair, ann, ben]) assert.deepEqual(u.problems, []);
});
