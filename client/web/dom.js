// Small DOM helpers and the readable names of the protocol's enums. No
// framework: views build elements with h() and update them in place.

/**
 * Creates an element. attrs: plain attributes, plus `class`, `text`,
 * `dataset` (object), `on` (object of event listeners) and boolean
 * properties (hidden, disabled, checked, ...) set as properties.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'on') for (const [ev, fn] of Object.entries(value)) el.addEventListener(ev, fn);
    else if (value === true) {
      if (key in el) el[key] = true;
      else el.setAttribute(key, '');
    } else if (key in el && typeof el[key] !== 'object' && !key.includes('-')) el[key] = value;
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
}

/** Replaces el's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/**
 * Re-renders el only when key (any JSON-able value) changed since the last
 * call: lists rebuilt on every push would steal focus from their buttons.
 */
const renderKeys = new WeakMap();
export function renderIfChanged(el, key, render) {
  const json = JSON.stringify(key);
  if (renderKeys.get(el) === json) return false;
  renderKeys.set(el, json);
  fill(el, render());
  return true;
}

export const $ = (id) => document.getElementById(id);

let idCounter = 0;
/** A document-unique id for label/aria wiring. */
export function uid(prefix = 'id') {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

// ------------------------------------------------------------------ enums

export const ROUND_TYPES = [
  ['ROUND_TYPE_SYSTEM_DESIGN', 'System design'],
  ['ROUND_TYPE_TECHNICAL_DEEP_DIVE', 'Technical deep dive'],
  ['ROUND_TYPE_BEHAVIORAL_LEADERSHIP', 'Behavioral / leadership'],
  ['ROUND_TYPE_CROSS_FUNCTIONAL', 'Cross-functional'],
  ['ROUND_TYPE_METRICS_AND_DATA', 'Metrics and data'],
  ['ROUND_TYPE_RECRUITER_SCREEN', 'Recruiter screen'],
  ['ROUND_TYPE_TECHNICAL_SCREEN', 'Technical screen'],
];
export const LEVELS = [
  ['LEVEL_L4', 'L4'],
  ['LEVEL_L5', 'L5'],
  ['LEVEL_L6', 'L6'],
  ['LEVEL_L7', 'L7'],
];
export const COMPANY_STYLES = [
  ['COMPANY_STYLE_UNSPECIFIED', 'Any'],
  ['COMPANY_STYLE_HYPERSCALE', 'Hyperscale cloud'],
  ['COMPANY_STYLE_FAST_DECISION_CONSUMER', 'Fast-decision consumer'],
  ['COMPANY_STYLE_ENGINEERING_PLATFORM', 'Engineering platform'],
];
export const RECOMMENDATIONS = [
  ['RECOMMENDATION_STRONG_NO', 'Strong no'],
  ['RECOMMENDATION_NO', 'No'],
  ['RECOMMENDATION_YES', 'Yes'],
  ['RECOMMENDATION_STRONG_YES', 'Strong yes'],
];
const ROLES = {
  ROLE_CANDIDATE: 'candidate',
  ROLE_INTERVIEWER: 'interviewer',
  ROLE_OBSERVER: 'observer',
  ROLE_COACH: 'coach',
};
const STAGES = {
  ROOM_STAGE_LOBBY: 'Lobby',
  ROOM_STAGE_BRIEFING: 'Briefing',
  ROOM_STAGE_INTERVIEW: 'Interview',
  ROOM_STAGE_SCORING: 'Scoring',
  ROOM_STAGE_REVEALED: 'Revealed',
  ROOM_STAGE_CLOSED: 'Closed',
};

const lookup = (pairs, value, fallback) => pairs.find(([k]) => k === value)?.[1] ?? fallback;
export const roundTypeName = (v) => lookup(ROUND_TYPES, v, 'Any round type');
export const levelName = (v) => lookup(LEVELS, v, '');
export const styleName = (v) => lookup(COMPANY_STYLES, v ?? 'COMPANY_STYLE_UNSPECIFIED', 'Any');
export const recommendationName = (v) => lookup(RECOMMENDATIONS, v, 'No recommendation');
export const roleName = (v) => ROLES[v] ?? 'participant';
export const stageName = (v) => STAGES[v] ?? 'Lobby';
export const isStaffRole = (v) => v === 'ROLE_INTERVIEWER' || v === 'ROLE_OBSERVER' || v === 'ROLE_COACH';
export const runsInterview = (v) => v === 'ROLE_INTERVIEWER' || v === 'ROLE_COACH';

// ------------------------------------------------------------------ formats

/** int64 fields arrive as strings in canonical JSON; absent means 0. */
export const num = (v) => (v === undefined || v === null || v === '' ? 0 : Number(v));

/** 754000 -> "12:34"; an hour or more -> "1:02:34". */
export function clockText(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const hours = Math.floor(total / 3600);
  const mins = Math.floor((total % 3600) / 60);
  const secs = total % 60;
  const mm = hours ? String(mins).padStart(2, '0') : String(mins);
  return `${hours ? `${hours}:` : ''}${mm}:${String(secs).padStart(2, '0')}`;
}

/** "3 min 5 s", for durations read aloud or at a glance. */
export function durationText(ms) {
  const total = Math.max(0, Math.round(ms / 1000));
  if (total < 60) return `${total} s`;
  const mins = Math.floor(total / 60);
  const secs = total % 60;
  return secs ? `${mins} min ${secs} s` : `${mins} min`;
}

export function timeOfDay(ms) {
  if (!ms) return '';
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** UTF-8 byte length: the server's bounds are in bytes. */
export const byteLength = (s) => new TextEncoder().encode(s).length;
