// My mocks: every round this user key played on the server (from any
// browser that uses the key), the scores received as the candidate charted
// per dimension over time, the feedback received with a usefulness rating
// for each card, the cards given with what the candidate made of them, and
// the calibration against the coach from coaching rounds observed. The
// server computes it all (docs/progress.md); this view draws MyMocks and
// sends ListMyMocks, GetMyDebrief and RateFeedback.
import { $, h, fill, num, roleName, roundTypeName } from './dom.js';
import { renderScorecard, renderRecord } from './debrief.js';
import { scoreChart } from './chart.js';

const USEFULNESS = ['', 'Not useful', 'A little useful', 'Useful', 'Very useful', 'Extremely useful'];
const fixed = (v, digits = 1) => Number(v ?? 0).toFixed(digits);
const percent = (v) => `${Math.round(Number(v ?? 0) * 100)} %`;
const signed = (v) => (Number(v) > 0 ? '+' : Number(v) < 0 ? '−' : '±') + Math.abs(Number(v ?? 0)).toFixed(2);
const day = (ms) => new Date(num(ms)).toLocaleDateString([], { day: 'numeric', month: 'short', year: 'numeric' });

/** Per-dimension series of the candidate's rounds, oldest first. */
export function receivedSeries(mocks) {
  const byDim = new Map();
  for (const m of [...mocks].reverse()) {
    if (m.role !== 'ROLE_CANDIDATE') continue;
    for (const r of m.received ?? []) {
      if (!byDim.has(r.dimensionId)) byDim.set(r.dimensionId, { id: r.dimensionId, name: r.name || r.dimensionId, points: [] });
      byDim.get(r.dimensionId).points.push({ at: num(m.closedMs), value: Number(r.mean) });
    }
  }
  return [...byDim.values()];
}

export class MyMocksView {
  /** deps: send(msg, opts), showError, go(screen), showHome(), userKey(), useKey(key) */
  constructor(deps) {
    this.deps = deps;
    this.data = null;
    this.rating = new Set(); // "debrief/rater" with a RateFeedback out
    $('open-my-mocks').addEventListener('click', () => this.open());
    $('mocks-back').addEventListener('click', () => this.deps.showHome());
  }

  async open() {
    fill($('mocks-body'), h('p', { class: 'muted', text: 'Loading your rounds…' }));
    this.deps.go('mocks');
    await this.refresh();
  }

  async refresh() {
    const reply = await this.deps.send({ listMyMocks: {} });
    if (!reply?.myMocks) {
      fill($('mocks-body'), h('p', { class: 'field-error', text: 'Your rounds could not be loaded.' }), this.keyPanel());
      return;
    }
    this.data = reply.myMocks;
    this.render();
  }

  render() {
    const mocks = this.data.mocks ?? [];
    fill(
      $('mocks-body'),
      mocks.length
        ? [this.progress(mocks), this.calibration(this.data), this.usefulness(this.data), this.list(mocks)]
        : h('p', { class: 'muted', id: 'mocks-empty', text: 'No rounds yet. Once a round you took part in is revealed, it is listed here.' }),
      this.keyPanel(),
    );
  }

  progress(mocks) {
    const series = receivedSeries(mocks);
    return h(
      'section',
      { class: 'card', id: 'mocks-progress', 'aria-labelledby': 'mocks-progress-title' },
      h('h3', { id: 'mocks-progress-title', text: 'Your scores as the candidate' }),
      series.length
        ? [
            h('p', { class: 'hint', text: 'The mean of the raters\' scores per dimension in each round, on the rubric\'s 1–4 scale ("not observed" left out).' }),
            scoreChart(series, { title: 'Your scores per dimension over time' }),
          ]
        : h('p', { class: 'muted', text: 'Not yet: your scores appear here once you have been the candidate in a revealed round.' }),
    );
  }

  calibration(data) {
    const c = data.calibration ?? {};
    if (!num(c.sessions)) return null;
    const lean = Number(c.bias) > 0.25 ? 'more lenient than the coach' : Number(c.bias) < -0.25 ? 'harsher than the coach' : 'close to the coach';
    const alpha = c.alphaOrdinal !== undefined
      ? `Krippendorff's ordinal alpha with the coach: ${fixed(c.alphaOrdinal, 2)}.`
      : `Alpha appears once there are 10 paired ratings (${num(c.pairs)} so far).`;
    return h(
      'section',
      { class: 'card', id: 'mocks-calibration', 'aria-labelledby': 'mocks-calibration-title' },
      h('h3', { id: 'mocks-calibration-title', text: 'Your calibration as an observer' }),
      h('p', { id: 'calibration-summary' },
        `Over ${num(c.sessions)} coaching round${num(c.sessions) === 1 ? '' : 's'} and ${num(c.pairs)} paired ratings you score `,
        h('strong', { text: `${signed(c.bias)} on average` }), ` (${lean}); the same score ${percent(c.exact)} of the time, within one step ${percent(c.withinOne)}. `, alpha),
      h('table', { class: 'agg', id: 'calibration-dimensions' },
        h('caption', { text: 'Per dimension: your score minus the coach\'s' }),
        h('thead', {}, h('tr', {}, ['Dimension', 'Pairs', 'Bias', 'Exact', 'Within one'].map((t) => h('th', { scope: 'col', text: t })))),
        h('tbody', {}, (c.dimensions ?? []).map((d) =>
          h('tr', {}, h('th', { scope: 'row', text: d.name || d.dimensionId }), h('td', { text: String(num(d.pairs)) }),
            h('td', { text: signed(d.bias) }), h('td', { text: percent(d.exact) }), h('td', { text: percent(d.withinOne) }))))),
      (c.history ?? []).length > 1
        ? scoreChart([{ id: 'bias', name: 'Your bias against the coach', points: c.history.map((p) => ({ at: num(p.closedMs), value: Number(p.bias ?? 0) })) }],
            { title: 'Your bias against the coach per round', min: -3, max: 3 })
        : null,
    );
  }

  usefulness(data) {
    const n = num(data.usefulnessRatings);
    if (!n) return null;
    return h('p', { class: 'card', id: 'mocks-usefulness' },
      `Candidates rated the feedback you gave ${fixed(data.usefulnessMean)} out of 5 on average (${n} rating${n === 1 ? '' : 's'}).`);
  }

  list(mocks) {
    return h(
      'section',
      { class: 'card', 'aria-labelledby': 'mocks-list-title' },
      h('h3', { id: 'mocks-list-title', text: 'Rounds' }),
      h('ol', { class: 'mocks-list', id: 'mocks-list' }, mocks.map((m) => this.item(m))),
    );
  }

  item(m) {
    const candidate = m.role === 'ROLE_CANDIDATE';
    const names = new Map((m.received ?? []).map((r) => [r.dimensionId, r.name]));
    const head = h('div', { class: 'mock-head' },
      h('strong', { text: m.scenarioTitle || m.scenarioId }),
      h('span', { class: 'muted', text: ` · ${roundTypeName(m.roundType)} · ${day(m.closedMs)} · you were the ${roleName(m.role)}` +
        ((m.others ?? []).length ? ` with ${m.others.join(', ')}` : '') }),
      h('button', { type: 'button', class: 'secondary small', text: 'Open the debrief', 'aria-label': `Open the debrief of ${m.scenarioTitle}`,
        on: { click: () => this.openDebrief(m) } }));
    if (candidate) {
      const rated = new Map((m.rated ?? []).map((r) => [r.raterId, r]));
      return h('li', { class: 'mock', dataset: { debrief: m.debriefId, role: m.role } }, head,
        (m.feedback ?? []).length
          ? h('div', { class: 'feedback' }, m.feedback.map((card) =>
              h('div', { class: 'feedback-card' }, renderScorecard(card, names), this.rateForm(m.debriefId, card, rated.get(card.raterId)))))
          : h('p', { class: 'muted', text: 'No scorecard was submitted for this round.' }));
    }
    const given = m.given;
    return h('li', { class: 'mock', dataset: { debrief: m.debriefId, role: m.role } }, head,
      given ? h('details', {}, h('summary', { text: 'The card you gave' }), renderScorecard(given, names)) : h('p', { class: 'muted', text: 'You did not submit a card.' }),
      m.givenRated
        ? h('p', { class: 'given-rated' }, `The candidate found it: ${USEFULNESS[num(m.givenRated.usefulness)]} (${num(m.givenRated.usefulness)}/5)`,
            m.givenRated.comment ? h('q', { text: m.givenRated.comment }) : null)
        : null);
  }

  rateForm(debriefId, card, current) {
    const key = `${debriefId}/${card.raterId}`;
    const name = `use-${debriefId}-${card.raterId}`;
    const comment = h('input', { type: 'text', maxlength: 500, placeholder: 'What helped, or what was missing (optional)', value: current?.comment ?? '',
      'aria-label': `A note to ${card.raterName || 'the rater'}` });
    const choices = [1, 2, 3, 4, 5].map((v) =>
      h('label', { class: 'choice' }, h('input', { type: 'radio', name, value: String(v), checked: num(current?.usefulness) === v }), ` ${v}`));
    const status = h('span', { class: 'muted rate-status', role: 'status', text: current ? `You rated it ${num(current.usefulness)}/5.` : '' });
    const form = h('form', { class: 'rate-feedback', dataset: { rater: card.raterId } },
      h('fieldset', {}, h('legend', { text: `How useful was ${card.raterName || 'this'}'s feedback? (1 not useful – 5 very useful)` }),
        h('div', { class: 'inline-choices' }, choices)),
      comment,
      h('button', { type: 'submit', class: 'small', text: current ? 'Change my rating' : 'Rate' }),
      status);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const picked = form.querySelector('input[type=radio]:checked');
      if (!picked) return this.deps.showError('CLIENT_NOTHING_PICKED', 'Pick 1 to 5 first.');
      if (this.rating.has(key)) return;
      this.rating.add(key);
      try {
        const reply = await this.deps.send({ rateFeedback: { debriefId, raterId: card.raterId, usefulness: Number(picked.value), comment: comment.value.trim() } });
        if (reply?.ack) {
          await this.refresh();
          // Focus would otherwise fall to the page after the redraw.
          document.querySelector(`li[data-debrief="${CSS.escape(debriefId)}"] form[data-rater="${CSS.escape(card.raterId)}"] .rate-status`)?.focus?.();
        }
      } finally {
        this.rating.delete(key);
      }
    });
    return form;
  }

  async openDebrief(m) {
    const reply = await this.deps.send({ getMyDebrief: { debriefId: m.debriefId } });
    if (!reply?.myDebrief) return;
    $('debrief-title').textContent = `Debrief: ${m.scenarioTitle || m.debriefId}`;
    fill($('debrief-body'), renderRecord(reply.myDebrief.record, { headingLevel: 3 }));
    this.deps.go('debrief');
  }

  /** The key is the account: shown here so another device can use it. */
  keyPanel() {
    const input = h('input', { type: 'text', id: 'other-key', pattern: '[0-9a-f]{32}', maxlength: 32, autocomplete: 'off', spellcheck: false,
      'aria-describedby': 'other-key-error' });
    const error = h('span', { class: 'field-error', id: 'other-key-error' });
    const form = h('form', { class: 'key-form' },
      h('label', { for: 'other-key', text: 'Use the key of another device' }), input,
      h('button', { type: 'submit', class: 'secondary small', text: 'Use this key' }), error);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const key = input.value.trim().toLowerCase();
      if (!/^[0-9a-f]{32}$/.test(key)) {
        error.textContent = 'A key is 32 characters of 0-9 and a-f.';
        return;
      }
      error.textContent = '';
      this.deps.useKey(key);
    });
    return h('details', { class: 'card key-panel', id: 'mocks-key' },
      h('summary', { text: 'Your rounds on another device' }),
      h('p', { class: 'hint' }, 'Your rounds are kept by this browser\'s key. Paste it into another browser (or the terminal client\'s --user-key) to see them there. Keep it private: it is your account.'),
      h('p', {}, h('code', { id: 'my-key', text: this.deps.userKey() })),
      form);
  }
}
