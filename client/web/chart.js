// A small line chart in SVG: per-dimension scores over time on the 1..4
// rubric scale. No library: a few polylines, axes and a legend, with the
// same numbers as a table beside it for screen readers and for printing.
import { h } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
// Told apart by colour and by dash, so the lines survive greyscale and
// colour blindness (Okabe–Ito palette).
const COLOURS = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#000000'];
const DASHES = ['', '6 3', '2 3', '8 3 2 3', '1 2', '10 4'];
const MARKERS = ['circle', 'square', 'diamond', 'triangle'];

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  for (const c of children.flat()) if (c) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

function marker(kind, x, y, colour) {
  const r = 4;
  switch (kind) {
    case 'square':
      return s('rect', { x: x - r, y: y - r, width: 2 * r, height: 2 * r, fill: colour });
    case 'diamond':
      return s('polygon', { points: `${x},${y - r - 1} ${x + r + 1},${y} ${x},${y + r + 1} ${x - r - 1},${y}`, fill: colour });
    case 'triangle':
      return s('polygon', { points: `${x},${y - r - 1} ${x + r + 1},${y + r} ${x - r - 1},${y + r}`, fill: colour });
    default:
      return s('circle', { cx: x, cy: y, r, fill: colour });
  }
}

/**
 * series: [{ id, name, points: [{ at (ms), value (1..4) }] }], points in
 * time order. Returns a <figure> with the SVG and a table of the same data.
 */
export function scoreChart(series, { title = 'Scores over time', min = 1, max = 4, width = 640, height = 260 } = {}) {
  const times = series.flatMap((x) => x.points.map((p) => p.at));
  const t0 = Math.min(...times);
  const t1 = Math.max(...times);
  const pad = { left: 34, right: 12, top: 12, bottom: 28 };
  const w = width - pad.left - pad.right;
  const hgt = height - pad.top - pad.bottom;
  // One session alone sits in the middle rather than on the axis.
  const x = (at) => pad.left + (t1 > t0 ? ((at - t0) / (t1 - t0)) * w : w / 2);
  const y = (v) => pad.top + (1 - (v - min) / (max - min)) * hgt;
  const day = (ms) => new Date(ms).toLocaleDateString([], { day: 'numeric', month: 'short' });
  // Rounds within a day of each other are told apart by the time of day.
  const sameDay = t1 - t0 < 86_400_000;
  const when = (ms) =>
    sameDay ? `${day(ms)} ${new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}` : day(ms);

  const grid = [];
  for (let v = min; v <= max; v++) {
    grid.push(s('line', { x1: pad.left, x2: pad.left + w, y1: y(v), y2: y(v), class: 'chart-grid' }));
    grid.push(s('text', { x: pad.left - 8, y: y(v) + 4, 'text-anchor': 'end', class: 'chart-label' }, String(v)));
  }
  const ticks = [...new Set([t0, t1])].map((at) =>
    s('text', { x: x(at), y: height - 8, 'text-anchor': t1 > t0 ? (at === t0 ? 'start' : 'end') : 'middle', class: 'chart-label' }, when(at)),
  );
  const lines = series.map((ser, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const pts = ser.points.map((p) => `${x(p.at).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ');
    return s(
      'g',
      { class: 'chart-series', 'data-dimension': ser.id },
      s('polyline', { points: pts, fill: 'none', stroke: colour, 'stroke-width': 2, 'stroke-dasharray': DASHES[i % DASHES.length] || undefined }),
      ser.points.map((p) => {
        const m = marker(MARKERS[i % MARKERS.length], x(p.at), y(p.value), colour);
        m.append(s('title', {}, `${ser.name}: ${p.value.toFixed(1)} on ${when(p.at)}`));
        return m;
      }),
    );
  });
  const titleId = `chart-title-${Math.random().toString(36).slice(2, 8)}`;
  const svg = s(
    'svg',
    { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-labelledby': titleId, preserveAspectRatio: 'xMidYMid meet' },
    s('title', { id: titleId }, title),
    grid,
    ticks,
    lines,
  );
  const legend = h(
    'ul',
    { class: 'chart-legend' },
    series.map((ser, i) =>
      // An SVG swatch, not a style attribute: the page's CSP forbids inline styles.
      h('li', {}, s('svg', { class: 'swatch', viewBox: '0 0 14 14', width: 14, height: 14, 'aria-hidden': 'true' },
        s('rect', { width: 14, height: 14, rx: 2, fill: COLOURS[i % COLOURS.length] })), ser.name),
    ),
  );
  const table = h(
    'details',
    { class: 'chart-table' },
    h('summary', { text: 'The numbers' }),
    h(
      'table',
      {},
      h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: 'Date' }), series.map((ser) => h('th', { scope: 'col', text: ser.name })))),
      h(
        'tbody',
        {},
        [...new Set(times)].sort((a, b) => a - b).map((at) =>
          h(
            'tr',
            {},
            h('th', { scope: 'row', text: when(at) }),
            series.map((ser) => {
              const p = ser.points.find((q) => q.at === at);
              return h('td', { text: p ? p.value.toFixed(1) : '—' });
            }),
          ),
        ),
      ),
    ),
  );
  return h('figure', { class: 'score-chart' }, svg, legend, table);
}
