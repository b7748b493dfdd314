// Rendering of what the reveal and the debrief show: scorecards, the
// aggregation across raters, and a whole DebriefRecord (the printable view,
// a past debrief, a committee's packet).
import { h, num, recommendationName, roleName, roundTypeName, timeOfDay } from './dom.js';

const RATING_TEXT = ['Not observed', '1', '2', '3', '4'];

/** id -> name from whatever names are at hand (rubric, aggregation). */
export function dimensionNames(...sources) {
  const names = new Map();
  for (const list of sources)
    for (const d of list ?? []) if (d?.name) names.set(d.id ?? d.dimensionId, d.name);
  return names;
}

const fixed = (v, digits = 2) => (Number.isFinite(Number(v)) ? Number(v).toFixed(digits) : '—');
const percent = (v) => `${Math.round(Number(v ?? 0) * 100)} %`;

const STANDING_TEXT = {
  STANDING_FAR_BELOW: 'far below',
  STANDING_BELOW: 'below',
  STANDING_MEETS: 'meets',
  STANDING_EXCEEDS: 'above',
};

export const levelLabel = (l) => (l ? String(l).replace('LEVEL_', '') : '');

/** The level rule's reading (LevelVerdict): one line, and per dimension on request. */
export function renderLevelVerdict(v, names = new Map(), { detail = true } = {}) {
  if (!v || !v.level) return null;
  const level = levelLabel(v.level);
  const call = v.recommendation ? recommendationName(v.recommendation) : 'no reading';
  const dims = (v.dimensions ?? []).filter((d) => num(d.passLine));
  return h(
    'div',
    { class: 'level-verdict', dataset: { recommendation: v.recommendation ?? '' } },
    h('p', {}, `At ${level} the level rule reads `, h('strong', { text: call }), v.reason ? `: ${v.reason}.` : '.'),
    detail && dims.length
      ? h(
          'details',
          {},
          h('summary', { text: `Against the ${level} lines` }),
          h('ul', { class: 'level-lines' }, dims.map((d) =>
            h('li', { class: `standing-${(d.standing ?? 'STANDING_UNSPECIFIED').slice(9).toLowerCase()}` },
              `${names.get(d.dimensionId) ?? d.dimensionId}: `,
              num(d.score) ? `${Number(num(d.score).toFixed(2))} against ${num(d.passLine)}, ${STANDING_TEXT[d.standing] ?? ''}` : `not observed (line ${num(d.passLine)})`))),
        )
      : null,
  );
}

export function renderAggregation(agg, names = new Map()) {
  if (!agg || !(agg.dimensions ?? []).length) return h('p', { class: 'muted', text: 'No ratings to aggregate.' });
  const nameOf = (id) => names.get(id) ?? agg.dimensions.find((d) => d.dimensionId === id)?.name ?? id;
  const table = h(
    'table',
    { class: 'agg' },
    h('caption', { text: 'Ratings across raters, per dimension ("not observed" left out)' }),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Dimension', 'Raters', 'Mean', 'Min', 'Max', 'Spread', 'Agreement'].map((t) => h('th', { scope: 'col', text: t })),
      ),
    ),
    h(
      'tbody',
      {},
      agg.dimensions.map((d) =>
        h(
          'tr',
          { class: d.wideDisagreement ? 'wide' : '' },
          h('th', { scope: 'row' }, nameOf(d.dimensionId), d.wideDisagreement ? h('span', { class: 'badge warn', text: 'wide' }) : null),
          h('td', { text: String(num(d.ratings)) }),
          h('td', { text: num(d.ratings) ? fixed(d.mean) : '—' }),
          h('td', { text: num(d.ratings) ? String(num(d.min)) : '—' }),
          h('td', { text: num(d.ratings) ? String(num(d.max)) : '—' }),
          h('td', { text: num(d.ratings) ? String(num(d.spread)) : '—' }),
          h('td', { text: num(d.ratings) > 1 ? percent(d.exactAgreement) : '—' }),
        ),
      ),
    ),
  );
  const widest = (agg.widestDisagreement ?? []).map(nameOf);
  return h(
    'div',
    { class: 'aggregation' },
    renderLevelVerdict(agg.atLevel, new Map(agg.dimensions.map((d) => [d.dimensionId, nameOf(d.dimensionId)]))),
    h('div', { class: 'table-scroll', tabindex: 0, 'aria-label': 'Aggregation table' }, table),
    h(
      'dl',
      { class: 'facts' },
      h('dt', { text: 'Exact agreement overall' }),
      // With one rater there are no pairs to agree: say so rather than 0 %.
      h('dd', { text: agg.dimensions.some((d) => num(d.ratings) > 1) ? percent(agg.percentExactAgreement) : '— (a single rater)' }),
      h('dt', { text: "Krippendorff's alpha (ordinal)" }),
      h('dd', {
        text: agg.krippendorffAlphaOrdinal === undefined ? 'undefined here (too few paired ratings, or no variation)' : fixed(agg.krippendorffAlphaOrdinal, 3),
      }),
      h('dt', { text: 'Widest disagreements' }),
      h('dd', { text: widest.length ? widest.join(', ') : 'none (no dimension two or more points apart)' }),
    ),
  );
}

export function renderScorecard(card, names = new Map()) {
  const scores = card.scores ?? [];
  return h(
    'article',
    { class: 'scorecard-view' },
    h(
      'h4',
      {},
      card.raterName || 'A rater',
      card.raterRole ? h('span', { class: 'muted', text: ` (${roleName(card.raterRole)})` }) : null,
      ' — ',
      h('strong', { text: recommendationName(card.recommendation) }),
    ),
    scores.length
      ? h(
          'ul',
          { class: 'scores' },
          scores.map((s) =>
            h(
              'li',
              {},
              h('span', { class: 'dim', text: names.get(s.dimensionId) ?? s.dimensionId }),
              ': ',
              h('strong', { text: RATING_TEXT[num(s.rating)] ?? String(s.rating) }),
              s.evidence ? h('span', { class: 'evidence', text: ` — ${s.evidence}` }) : null,
            ),
          ),
        )
      : null,
    card.summary ? h('p', { class: 'summary', text: card.summary }) : null,
    renderLevelVerdict(card.atLevel, names, { detail: false }),
  );
}

export function renderScorecards(cards, names) {
  if (!cards?.length) return h('p', { class: 'muted', text: 'No scorecards were submitted.' });
  return h('div', { class: 'scorecards' }, cards.map((c) => renderScorecard(c, names)));
}

export function renderFollowUps(asked, phaseNames = new Map()) {
  if (!asked?.length) return h('p', { class: 'muted', text: 'No follow-ups were asked.' });
  return h(
    'ol',
    { class: 'asked' },
    asked.map((a) =>
      h(
        'li',
        {},
        h('q', { text: a.text }),
        h(
          'span',
          { class: 'muted' },
          ` ${phaseNames.get(a.phaseId) ?? a.phaseId ?? ''}${a.askedAtMs ? `, ${timeOfDay(num(a.askedAtMs))}` : ''}`,
          a.byScript ? ' · by the script' : '',
        ),
      ),
    ),
  );
}

/** The debrief links: Markdown for anyone holding a code of the room. */
export function debriefLinks(debriefId, code) {
  if (!debriefId || !code) return null;
  const q = `?token=${encodeURIComponent(code)}`;
  const base = `/api/debriefs/${encodeURIComponent(debriefId)}`;
  return h(
    'p',
    { class: 'links' },
    h('a', { href: `${base}.md${q}`, target: '_blank', rel: 'noopener', class: 'debrief-md', text: 'Debrief as Markdown' }),
    ' · ',
    h('a', { href: `${base}${q}`, target: '_blank', rel: 'noopener', text: 'as JSON' }),
  );
}

/** The board of a finished round, from its SVG document, as an image. */
export function boardImage(svg, alt = 'The board as the round ended') {
  if (!svg) return null;
  const bytes = new TextEncoder().encode(svg);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return h('figure', { class: 'board-figure' }, h('img', { src: `data:image/svg+xml;base64,${btoa(bin)}`, alt, class: 'board-image' }));
}

/** A whole DebriefRecord (JSON from /api/debriefs/{id} or a committee packet). */
export function renderRecord(rec, { headingLevel = 3 } = {}) {
  const names = dimensionNames(rec.rubric, rec.aggregation?.dimensions);
  const hx = (n, text) => h(`h${Math.min(6, headingLevel + n)}`, { text });
  const participants = (rec.participants ?? []).map((p) => `${p.displayName} (${roleName(p.role)})`).join(', ');
  return h(
    'article',
    { class: 'record' },
    hx(0, `${rec.scenarioTitle || rec.scenarioId || 'Session'}${rec.round ? ` — round ${rec.round}` : ''}`),
    h(
      'p',
      { class: 'muted' },
      [roundTypeName(rec.roundType), rec.targetLevel ? `target ${levelLabel(rec.targetLevel)}` : '',
        rec.startedMs ? new Date(num(rec.startedMs)).toLocaleString() : '', participants]
        .filter(Boolean)
        .join(' · '),
    ),
    rec.committee ? renderCommitteeSummary(rec.committee, hx) : null,
    (rec.scorecards ?? []).length || rec.aggregation ? [hx(1, 'Aggregation'), renderAggregation(rec.aggregation, names)] : null,
    (rec.scorecards ?? []).length ? [hx(1, 'Scorecards'), renderScorecards(rec.scorecards, names)] : null,
    (rec.followUps ?? []).length ? [hx(1, 'Follow-ups asked'), renderFollowUps(rec.followUps)] : null,
    rec.boardSvg ? [hx(1, 'Board'), boardImage(rec.boardSvg)] : null,
    (rec.timeline ?? []).length
      ? [
          hx(1, 'Timeline'),
          h(
            'ol',
            { class: 'timeline' },
            // The server's lines carry their own interview clock ("03:12 ...").
            rec.timeline.map((t) => h('li', { text: t.what })),
          ),
        ]
      : null,
    (rec.rubric ?? []).some((d) => (d.anchors ?? []).length)
      ? h(
          'details',
          { class: 'rubric-in-record' },
          h('summary', { text: 'Rubric' }),
          rec.rubric.map((d) =>
            h(
              'div',
              {},
              h('strong', { text: d.name }),
              h(
                'ol',
                {},
                (d.anchors ?? []).map((a) => h('li', { value: num(a.level) }, a.description)),
              ),
            ),
          ),
        )
      : null,
  );
}

function renderCommitteeSummary(c, hx) {
  return [
    hx(1, 'Committee'),
    h('p', {}, 'Decision: ', h('strong', { text: recommendationName(c.decision) }), c.reasons ? ` — ${c.reasons}` : ''),
    (c.votes ?? []).length
      ? h(
          'ul',
          {},
          c.votes.map((v) =>
            h(
              'li',
              {},
              `${v.member}: ${recommendationName(v.independent)}`,
              v.final && v.final !== v.independent ? ` → ${recommendationName(v.final)}` : '',
              v.rationale ? ` — ${v.rationale}` : '',
            ),
          ),
        )
      : null,
  ];
}
