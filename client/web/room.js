// The room screen. What is drawn depends on the message types received:
// CandidateBriefing/RoomState/CandidateDebrief build the candidate's view,
// StaffBriefing/StaffRoomState the staff's. A change of role (the hot seat
// moving, round 2 of a peer mock) throws the old view away entirely, so
// nothing staff-only stays in a candidate's page.
import { Countdown } from './clock.js';
import {
  $, h, fill, renderIfChanged, uid, num, byteLength, clockText, durationText, timeOfDay,
  RECOMMENDATIONS, roleName, stageName, roundTypeName, runsInterview,
} from './dom.js';
import { dimensionNames, renderAggregation, renderScorecards, renderFollowUps, debriefLinks, boardImage, renderLevelVerdict, levelLabel } from './debrief.js';
import { BoardPanel } from './board.js';
import { CallPanel } from './call.js';

const DRAFT_DEBOUNCE_MS = 800;
const TIMED = new Set(['ROOM_STAGE_BRIEFING', 'ROOM_STAGE_INTERVIEW']);
const DRAFTS_ALLOWED = new Set(['ROOM_STAGE_INTERVIEW', 'ROOM_STAGE_SCORING']);
const MAX_FREE_TEXT = 500;
const MAX_NOTE = 2000;
const LAYERS = {
  SCORING_LAYER_SCOPING: 'scoping',
  SCORING_LAYER_PRIORITIZATION: 'prioritization',
  SCORING_LAYER_OWNERSHIP: 'ownership',
  SCORING_LAYER_TRADE_OFFS: 'trade-offs',
  SCORING_LAYER_STAKEHOLDER_RISK: 'stakeholders and risk',
  SCORING_LAYER_CAUSALITY: 'causality',
  SCORING_LAYER_TECHNICAL_DEPTH: 'technical depth',
  SCORING_LAYER_METRICS: 'metrics',
};

const section = (id, title, ...children) =>
  h('section', { id, class: 'panel', 'aria-labelledby': `${id}-h` }, h('h3', { id: `${id}-h`, text: title }), ...children);

// The web page's copy of proto/staff_change.cpp: notes appended, a card
// replacing the same rater's, ticks and submitters added once each in the
// server's (sorted) order, a list of expected raters replacing the old one.
export function applyStaffChange(staff, change) {
  const sortedWith = (list, ids) => [...new Set([...(list ?? []), ...(ids ?? [])])].sort();
  const next = { ...staff };
  if (change.notesAdded?.length) next.notes = [...(staff.notes ?? []), ...change.notesAdded];
  if (change.myScorecard) next.myScorecard = change.myScorecard;
  if (change.liveScorecards?.length) {
    const byRater = new Map((staff.liveScorecards ?? []).map((c) => [c.raterId, c]));
    for (const c of change.liveScorecards) byRater.set(c.raterId, c);
    next.liveScorecards = [...byRater.keys()].sort().map((id) => byRater.get(id));
  }
  if (change.tickedMarkers?.length) next.tickedMarkers = sortedWith(staff.tickedMarkers, change.tickedMarkers);
  if (change.submittedBy?.length) next.submittedBy = sortedWith(staff.submittedBy, change.submittedBy);
  if (change.expectedRaters?.length) next.expectedRaters = change.expectedRaters;
  return next;
}

// The web page's copy of proto/room_change.cpp: version and clock replace
// the view's, asked follow-ups are appended.
export function applyRoomChange(state, change) {
  const next = { ...state, version: change.version, clock: change.clock };
  if (change.askedAdded?.length) next.asked = [...(state.asked ?? []), ...change.askedAdded];
  return next;
}

export class RoomView {
  constructor(deps, ctx) {
    this.deps = deps;
    this.roomId = ctx.roomId ?? '';
    this.role = ctx.role ?? '';
    this.participantId = ctx.participantId ?? '';
    this.code = ctx.code ?? '';
    this.codes = ctx.codes ?? [];
    this.peer = ctx.peer ?? null;
    this.kind = ''; // 'candidate' | 'staff', from the briefing's type
    this.scenario = null; // staff: the whole Scenario
    this.brief = null; // candidate: CandidateBriefing
    this.state = null; // RoomState (the candidate's, or StaffRoomState.room)
    this.staff = null; // StaffRoomState
    this.debrief = null; // CandidateDebrief
    this.countdown = new Countdown();
    this.resuming = false;
    this.lastPhaseKey = '';
    this.lastSpokenMinute = null;
    this.lastAskedCount = -1;
    this.remembered = new Set();
    this.connected = true;
    this.disposed = false;

    this.el = {
      title: $('room-title'),
      sub: $('room-sub'),
      phase: $('phase-name'),
      countdown: $('countdown'),
      note: $('clock-note'),
      live: $('room-live'),
      body: $('room-body'),
    };
    this.el.title.textContent = 'Joining the room…';
    this.el.sub.textContent = '';
    this.el.phase.textContent = '';
    this.el.countdown.textContent = '';
    this.el.countdown.hidden = true;
    this.el.note.textContent = '';
    fill(this.el.body, h('p', { class: 'muted', text: 'Waiting for the room…' }));
    document.body.dataset.role = '';
    // The call and the board belong to the room, not to one role's view:
    // they survive the hot seat moving (build() re-attaches them).
    const panelDeps = {
      send: (msg) => this.deps.send(msg),
      signal: (msg) => this.deps.signal(msg),
      selfId: () => this.participantId,
      showError: (code, text) => this.deps.showError(code, text),
    };
    this.call = new CallPanel(panelDeps);
    this.board = new BoardPanel(panelDeps);
    // 4 Hz: smooth enough for a seconds display, and runs in background tabs
    // (requestAnimationFrame does not).
    this.timer = setInterval(() => this.renderClock(), 250);
  }

  dispose() {
    this.disposed = true;
    clearInterval(this.timer);
    this.call.dispose();
    this.board.dispose();
    clearTimeout(this.draftTimer);
    fill(this.el.body);
    this.el.title.textContent = 'Room';
    this.el.sub.textContent = '';
    this.el.live.textContent = '';
    document.body.dataset.role = '';
  }

  setConnected(connected) {
    this.connected = connected;
    if (!connected) this.call.onDisconnected();
    if (connected && this.draftDirty) this.scheduleDraft(0);
  }

  onJoined(j, ctx) {
    // The same room again after a drop: the server repeats the briefing and
    // the state; keep what is on screen (a half-typed scorecard) if they match.
    this.resuming = Boolean(this.roomId === j.roomId && this.kind);
    this.roomId = j.roomId;
    this.role = j.role;
    this.participantId = j.participantId;
    if (ctx?.code) this.code = ctx.code;
    if (ctx?.codes) this.codes = ctx.codes;
    if (ctx?.peer) this.peer = ctx.peer;
    this.renderHead();
    if (this.resuming) this.call.onRejoined();
  }

  setCodes(codes, mine) {
    this.codes = codes;
    this.code = mine;
    this.renderCodes();
  }

  onMessage(type, body) {
    if (this.disposed) return;
    if (body.roomId && this.roomId && body.roomId !== this.roomId && type !== 'staffRoomState') return;
    switch (type) {
      case 'candidateBriefing':
        return this.build('candidate', body);
      case 'staffBriefing':
        return this.build('staff', body);
      case 'roomState':
        if (this.kind !== 'candidate') return;
        this.deps.clock.sample(body.clock?.serverTimeMs);
        this.state = body;
        return this.update();
      case 'staffRoomState':
        if (this.kind !== 'staff' || (body.room?.roomId && this.roomId && body.room.roomId !== this.roomId)) return;
        this.deps.clock.sample(body.room?.clock?.serverTimeMs);
        this.staff = body;
        this.state = body.room ?? {};
        return this.update();
      case 'staffRoomChange':
        // A private change to the last whole view (notes, drafts, ticks,
        // submissions); a change never precedes the view it applies to.
        if (this.kind !== 'staff' || !this.staff || body.roomId !== this.state?.roomId) return;
        this.staff = applyStaffChange(this.staff, body);
        return this.update();
      case 'roomChange':
        // The clock moved or follow-ups were asked: a change to the last
        // whole view, for every role alike.
        if (!this.state || body.roomId !== this.state.roomId) return;
        this.deps.clock.sample(body.clock?.serverTimeMs);
        this.state = applyRoomChange(this.state, body);
        if (this.kind === 'staff' && this.staff) this.staff = { ...this.staff, room: this.state };
        return this.update();
      case 'tick':
        if (!this.state) return;
        this.deps.clock.sample(body.clock?.serverTimeMs);
        this.state = { ...this.state, clock: body.clock };
        this.renderClock();
        return this.renderControls();
      case 'candidateDebrief':
        if (this.kind !== 'candidate') return;
        this.debrief = body;
        return this.renderOutcome();
      case 'board':
        return this.board.onBoard(body);
      case 'boardUpdate':
        return this.board.onUpdate(body);
      case 'callState':
        return this.call.onCallState(body);
      case 'rtcSignal':
        return this.call.onSignal(body);
      default:
    }
  }

  // ---------------------------------------------------------------- build

  build(kind, briefing) {
    const scenario = kind === 'staff' ? briefing.scenario ?? {} : null;
    const key = `${briefing.roomId}|${kind}|${scenario ? `${scenario.id}@${scenario.version}` : briefing.scenarioId}`;
    if (this.resuming && key === this.buildKey) {
      this.resuming = false;
      return;
    }
    this.resuming = false;
    this.buildKey = key;
    if (briefing.roomId) this.roomId = briefing.roomId;
    this.kind = kind;
    this.scenario = scenario;
    this.brief = kind === 'candidate' ? briefing : null;
    this.debrief = null;
    this.staff = null;
    this.lastAskedCount = -1;
    this.lastPhaseKey = '';
    clearTimeout(this.draftTimer);
    this.draftDirty = false;
    this.lastSentJson = '';
    this.restored = false;
    this.submitting = false;
    this.referenceCard = false;
    // Role by message type, whatever Joined said: the hot seat moves.
    if (kind === 'candidate') this.role = 'ROLE_CANDIDATE';
    else if (this.role === 'ROLE_CANDIDATE' || !this.role) this.role = 'ROLE_OBSERVER';
    document.body.dataset.role = kind === 'candidate' ? 'candidate' : roleName(this.role);

    const title = kind === 'staff' ? scenario.title : briefing.title;
    this.el.title.textContent = title || 'Interview';
    this.phases = kind === 'staff' ? scenario.phases ?? [] : briefing.phases ?? [];
    this.phaseNames = new Map([['briefing', 'Briefing'], ...this.phases.map((p) => [p.id, p.name])]);
    const prompt = kind === 'staff' ? scenario.candidate ?? {} : briefing.brief ?? {};

    const b = (this.parts = {});
    b.codes = h('div', { class: 'codes-slot' });
    b.notices = h('div', { class: 'notices' });
    b.controls = runsInterview(this.role) ? this.buildControls() : null;
    b.question = section(
      'sec-question',
      'The question',
      h('p', { class: 'prompt', text: prompt.prompt ?? '' }),
      (prompt.context ?? []).length ? h('ul', { class: 'context' }, prompt.context.map((c) => h('li', { text: c }))) : null,
      prompt.code
        ? h('figure', { class: 'code-excerpt' },
            h('figcaption', { text: prompt.codeLanguage ? `The code (${prompt.codeLanguage})` : 'The code' }),
            h('pre', { tabindex: 0 }, h('code', { text: prompt.code })))
        : null,
    );
    b.agendaList = h('ol', { class: 'agenda' });
    b.agenda = section('sec-agenda', 'Agenda', b.agendaList);
    b.askedList = h('div', { class: 'asked-wrap' });
    b.asked = section('sec-asked', 'Follow-ups asked', b.askedList);
    b.outcomeBody = h('div', { class: 'outcome-body' });
    b.outcome = h('section', { id: 'sec-outcome', class: 'panel outcome printable', 'aria-labelledby': 'sec-outcome-h' },
      h('h3', { id: 'sec-outcome-h', text: 'Status' }), b.outcomeBody);
    b.peopleList = h('ul', { class: 'people' });
    b.people = section('sec-people', 'People', b.peopleList);

    const main = [b.outcome, b.question, this.board.el, b.agenda, b.asked];
    let side = [this.call.el, b.people];
    if (kind === 'staff') {
      // Two columns of tools on a wide screen: the script and notes beside
      // the rubric, so both stay in view during the interview.
      const tools = [];
      if (runsInterview(this.role)) tools.push(this.buildScript(), this.buildMarkers());
      tools.push(this.buildNotes(), this.buildBriefing());
      if (this.role === 'ROLE_COACH') tools.push(this.buildLiveCards(), this.buildNextRound());
      const scoring = h('div', { class: 'tools-score' }, this.buildScorecard());
      side = runsInterview(this.role) ? [h('div', { class: 'tools' }, tools), scoring] : [scoring, h('div', { class: 'tools' }, tools)];
      side.unshift(this.call.el);
      main.push(b.people);
    }
    fill(
      this.el.body,
      b.codes,
      b.notices,
      b.controls,
      h('div', { class: `room-grid ${kind}` }, h('div', { class: 'col-main' }, main), h('div', { class: 'col-side' }, side)),
      h('div', { class: 'room-footer no-print' },
        h('button', { type: 'button', class: 'secondary', id: 'leave-room', text: 'Leave room', on: { click: () => this.deps.leave() } })),
    );
    this.renderHead();
    this.renderCodes();
    this.renderNotices();
    if (this.state) this.update();
  }

  buildControls() {
    const c = (this.controls = {});
    const btn = (key, text, onClick, cls = 'secondary') =>
      (c[key] = h('button', { type: 'button', class: cls, text, on: { click: onClick } }));
    const control = (action, extra = {}) => () => this.deps.send({ roomControl: { action, ...extra } });
    return h(
      'div',
      { class: 'controls no-print', role: 'toolbar', 'aria-label': 'Interview controls' },
      btn('start', 'Start the interview', control('ACTION_START'), ''),
      btn('pause', 'Pause', () =>
        this.deps.send({ roomControl: { action: this.state?.clock?.paused ? 'ACTION_RESUME' : 'ACTION_PAUSE' } })),
      btn('extend', '+5 min', control('ACTION_EXTEND', { seconds: 300 })),
      btn('skip', 'Skip', control('ACTION_SKIP')),
      btn('reveal', 'Reveal scorecards', control('ACTION_REVEAL')),
      btn('close', 'Close the room', control('ACTION_CLOSE')),
    );
  }

  buildScript() {
    this.scriptItems = new Map();
    const markers = new Map((this.scenario.markers ?? []).map((m) => [m.id, m.label]));
    const followUps = this.scenario.followUps ?? [];
    const textOf = new Map(followUps.map((f) => [f.id, f.text]));
    const list = h(
      'ol',
      { class: 'script' },
      followUps.map((f) => {
        const status = h('span', { class: 'ask-status' });
        const button = h('button', {
          type: 'button',
          class: 'small',
          text: 'Ask',
          'aria-label': `Ask: ${f.text}`,
          dataset: { followUp: f.id },
          on: { click: () => this.deps.send({ askFollowUp: { followUpId: f.id } }) },
        });
        this.scriptItems.set(f.id, { button, status, text: f.text });
        return h(
          'li',
          { dataset: { followUp: f.id } },
          h('p', { class: 'fu-text', text: f.text }),
          f.purpose ? h('p', { class: 'fu-purpose muted', text: f.purpose }) : null,
          h('p', { class: 'fu-trigger hint', text: this.triggerText(f, markers, textOf) }),
          h('div', { class: 'fu-actions' }, button, status),
        );
      }),
    );
    const freeId = uid('free');
    const free = h('textarea', { id: freeId, rows: 2, maxlength: MAX_FREE_TEXT, 'aria-describedby': `${freeId}-hint` });
    const freeForm = h(
      'form',
      {
        class: 'free-ask',
        novalidate: true,
        on: {
          submit: async (ev) => {
            ev.preventDefault();
            const text = free.value.trim();
            if (!text) return free.focus();
            if (byteLength(text) > MAX_FREE_TEXT) return this.deps.showError('CLIENT_TOO_LONG', `A follow-up is at most ${MAX_FREE_TEXT} bytes.`);
            const ok = await this.deps.send({ askFollowUp: { freeText: text } });
            if (ok) free.value = '';
          },
        },
      },
      h('label', { for: freeId, text: 'Your own follow-up' }),
      free,
      h('p', { id: `${freeId}-hint`, class: 'hint', text: 'The candidate sees it as soon as you ask.' }),
      (this.freeAskButton = h('button', { type: 'submit', class: 'small', text: 'Ask this' })),
    );
    return section('sec-script', 'Follow-up script', list, freeForm);
  }

  triggerText(f, markers, textOf) {
    const mm = (s) => clockText(num(s) * 1000);
    if (f.inPhase) return `The script asks it ${mm(f.inPhase.afterSeconds)} into “${this.phaseNames.get(f.inPhase.phaseId) ?? f.inPhase.phaseId}”.`;
    if (f.atTime) {
      const unless = f.atTime.unlessMarker ? `, unless you ticked “${markers.get(f.atTime.unlessMarker) ?? f.atTime.unlessMarker}”` : '';
      return `The script asks it at ${mm(f.atTime.atSeconds)} of interview time${unless}.`;
    }
    if (f.onMove) {
      const after = f.onMove.afterFollowUp ? ` (once “${textOf.get(f.onMove.afterFollowUp) ?? f.onMove.afterFollowUp}” was asked)` : '';
      return `The script asks it when you tick “${markers.get(f.onMove.markerId) ?? f.onMove.markerId}”${after}.`;
    }
    return 'Send it when it fits.';
  }

  buildMarkers() {
    this.markerBoxes = new Map();
    const all = this.scenario.markers ?? [];
    const list = (markers, cls) => h(
        'ul',
        { class: cls },
        markers.map((m) => {
          const id = uid('marker');
          const box = h('input', {
            type: 'checkbox',
            id,
            dataset: { marker: m.id },
            on: {
              change: async () => {
                if (!box.checked) return; // ticks cannot be undone
                box.disabled = true;
                const ok = await this.deps.send({ tickMarker: { markerId: m.id } });
                if (!ok) {
                  box.checked = false;
                  box.disabled = false;
                }
              },
            },
          });
          this.markerBoxes.set(m.id, box);
          return h('li', {}, box, h('label', { for: id, class: 'choice', text: m.label }));
        }),
      );
    const good = all.filter((m) => !m.badMove);
    const bad = all.filter((m) => m.badMove);
    return section(
      'sec-markers',
      'Markers',
      h('p', { class: 'hint', text: 'Tick what the candidate does; some follow-ups wait for these.' }),
      good.length ? list(good, 'markers') : null,
      bad.length
        ? [h('h4', { text: 'Bad moves' }),
            h('p', { class: 'hint', text: 'Tick one the moment you hear it: the script pushes back at once.' }),
            list(bad, 'markers bad-moves')]
        : null,
    );
  }

  buildNotes() {
    const id = uid('note');
    const text = h('textarea', { id, rows: 3, maxlength: MAX_NOTE });
    this.notesList = h('ol', { class: 'notes' });
    const form = h(
      'form',
      {
        class: 'note-form',
        novalidate: true,
        on: {
          submit: async (ev) => {
            ev.preventDefault();
            const t = text.value.trim();
            if (!t) return text.focus();
            if (byteLength(t) > MAX_NOTE) return this.deps.showError('CLIENT_TOO_LONG', `A note is at most ${MAX_NOTE} bytes.`);
            const ok = await this.deps.send({ addNote: { text: t } });
            if (ok) text.value = '';
          },
        },
      },
      h('label', { for: id, text: this.role === 'ROLE_COACH' ? 'Note (you read everyone’s)' : 'Private note (only you and a coach read it)' }),
      text,
      h('button', { type: 'submit', class: 'small', text: 'Add note' }),
    );
    return h('section', { id: 'sec-notes', class: 'panel no-print', 'aria-labelledby': 'sec-notes-h' },
      h('h3', { id: 'sec-notes-h', text: 'Notes' }), form, this.notesList);
  }

  buildBriefing() {
    const ib = this.scenario.interviewer ?? {};
    this.guidance = h('p', { class: 'guidance' });
    return h(
      'section',
      { id: 'sec-brief', class: 'panel no-print', 'aria-labelledby': 'sec-brief-h' },
      h('h3', { id: 'sec-brief-h', text: 'Interviewer briefing' }),
      this.guidance,
      h(
        'details',
        {},
        h('summary', { text: 'How to run it, strong answers, red flags' }),
        ib.briefing ? h('p', { text: ib.briefing }) : null,
        (ib.strongAnswer ?? []).length ? [h('h4', { text: 'A strong answer' }), h('ul', {}, ib.strongAnswer.map((s) => h('li', { text: s })))] : null,
        (ib.redFlags ?? []).length ? [h('h4', { text: 'Red flags' }), h('ul', {}, ib.redFlags.map((s) => h('li', { text: s })))] : null,
        (ib.notes ?? []).length ? [h('h4', { text: 'Notes for running it' }), h('ul', {}, ib.notes.map((s) => h('li', { text: s })))] : null,
      ),
      (this.scenario.sampleAnswers ?? []).length
        ? h(
            'details',
            { class: 'samples' },
            h('summary', { text: 'Calibrate: sample answers' }),
            [...this.scenario.sampleAnswers]
              .sort((a, b) => num(a.level) - num(b.level))
              .map((a) => h('figure', { class: 'sample' },
                h('figcaption', { text: `Scores about ${num(a.level)}` }),
                h('blockquote', { text: a.excerpt }),
                h('p', { class: 'muted', text: a.commentary }))),
          )
        : null,
    );
  }

  // The rubric with its anchors; for a rater the anchors are the choices.
  buildScorecard() {
    const rubric = this.scenario.rubric ?? [];
    this.dimNames = dimensionNames(rubric);
    this.passLineSpans = [];
    this.scoreInputs = new Map();
    const rater = this.isRater();
    this.scoreMode = rater;
    this.scoreStatus = h('p', { class: 'score-status', role: 'status' });
    const dims = rubric.map((d) => {
      const group = `dim-${d.id}-${uid('g')}`;
      const anchors = [...(d.anchors ?? [])].sort((a, b) => num(a.level) - num(b.level));
      const evidenceId = uid('evidence');
      const signals =
        (d.positiveSignals ?? []).length || (d.negativeSignals ?? []).length
          ? h(
              'details',
              { class: 'signals' },
              h('summary', { text: 'Signals' }),
              h('ul', {}, (d.positiveSignals ?? []).map((s) => h('li', { class: 'pos', text: `+ ${s}` })),
                (d.negativeSignals ?? []).map((s) => h('li', { class: 'neg', text: `− ${s}` }))),
            )
          : null;
      if (!rater) {
        return h(
          'div',
          { class: 'dimension' },
          h('h4', {}, d.name, this.passLineSpan(d)),
          d.description ? h('p', { class: 'muted', text: d.description }) : null,
          h('ol', { class: 'anchors-ro' }, anchors.map((a) => h('li', { value: num(a.level) }, h('span', { class: 'anchor-text', text: a.description })))),
          signals,
        );
      }
      const radios = [];
      const choice = (value, label, text) => {
        const id = uid('r');
        const input = h('input', { type: 'radio', id, name: group, value: String(value) });
        radios.push(input);
        return h('label', { for: id, class: 'anchor' }, input, h('span', { class: 'level', text: label }),
          text ? [h('span', { class: 'visually-hidden', text: ': ' }), h('span', { class: 'anchor-text', text })] : null);
      };
      const evidence = h('textarea', { id: evidenceId, rows: 2, maxlength: 2000 });
      this.scoreInputs.set(d.id, { radios, evidence });
      return h(
        'fieldset',
        { class: 'dimension', dataset: { dimension: d.id } },
        h('legend', {}, d.name, d.layer && LAYERS[d.layer] ? h('span', { class: 'muted', text: ` · ${LAYERS[d.layer]}` }) : null,
          this.passLineSpan(d)),
        d.description ? h('p', { class: 'muted', text: d.description }) : null,
        h('div', { class: 'anchors' }, anchors.map((a) => choice(num(a.level), String(num(a.level)), a.description)), choice(0, 'Not observed', '')),
        signals,
        h('label', { for: evidenceId, class: 'evidence-label', text: `Evidence for “${d.name}”` }),
        evidence,
      );
    });

    if (!rater) {
      this.scoreForm = null;
      // A coach with observers may still write a reference card: each
      // observer is calibrated against it in their My mocks.
      const reference = this.role === 'ROLE_COACH'
        ? h('p', { class: 'hint' }, 'Observers score this answer. ',
            h('button', { type: 'button', class: 'secondary small', id: 'write-reference', text: 'Write a reference card',
              on: { click: () => {
                this.referenceCard = true;
                this.scoreSection.replaceWith(this.buildScorecard());
                this.renderScoreState();
                // An empty draft at once: the server waits for a coach's
                // card only once one exists (saved when drafts are allowed).
                this.draftDirty = true;
                this.scheduleDraft(0);
              } } }),
            ' to compare their ratings with yours; the reveal then waits for it too.')
        : null;
      return (this.scoreSection = h('section', { id: 'sec-score', class: 'panel', 'aria-labelledby': 'sec-score-h' },
        h('h3', { id: 'sec-score-h', text: 'Rubric' }), reference, dims));
    }
    this.recRadios = [];
    const recGroup = uid('rec');
    const recs = h(
      'fieldset',
      { class: 'recommendation' },
      h('legend', { text: 'Overall recommendation' }),
      h('div', { class: 'inline-choices' }, RECOMMENDATIONS.map(([value, label]) => {
        const id = uid('rec');
        const input = h('input', { type: 'radio', id, name: recGroup, value });
        this.recRadios.push(input);
        return h('label', { for: id, class: 'choice' }, input, ` ${label}`);
      })),
    );
    const summaryId = uid('summary');
    this.summary = h('textarea', { id: summaryId, rows: 3, maxlength: 4000 });
    this.submitButton = h('button', { type: 'submit', text: 'Submit scorecard' });
    this.scoreFields = h('fieldset', { class: 'score-fields' }, h('legend', { class: 'visually-hidden', text: 'Scorecard' }), dims, recs,
      h('label', { for: summaryId, text: 'Summary' }), this.summary);
    this.scoreForm = h(
      'form',
      {
        class: 'scorecard',
        novalidate: true,
        on: {
          input: () => this.onScoreInput(),
          change: () => this.onScoreInput(),
          submit: (ev) => {
            ev.preventDefault();
            this.submitScorecard();
          },
        },
      },
      this.scoreFields,
      h('div', { class: 'actions' }, this.submitButton),
    );
    return (this.scoreSection = h(
      'section',
      { id: 'sec-score', class: 'panel no-print', 'aria-labelledby': 'sec-score-h' },
      h('h3', { id: 'sec-score-h', text: 'Rubric and scorecard' }),
      h('p', { class: 'hint', text: 'Rate each dimension 1-4 against its anchors, or “not observed”. Drafts save as you type; only you (and a coach) see them until the reveal.' }),
      this.scoreStatus,
      (this.levelReading = h('div', { class: 'level-reading', 'aria-live': 'polite' })),
      this.scoreForm,
    ));
  }

  // " · L6 line: 3": the lowest score that meets the bar at the room's
  // level, which arrives with the state (after the briefing builds this).
  passLineSpan(d) {
    const span = h('span', { class: 'pass-line' });
    this.passLineSpans.push([d, span]);
    return span;
  }

  renderPassLines() {
    const level = this.state?.targetLevel;
    for (const [d, span] of this.passLineSpans ?? []) {
      const line = (d.passLines ?? []).find((l) => l.level === level);
      const text = line ? ` · ${levelLabel(level)} line: ${num(line.score)}` : '';
      if (span.textContent !== text) span.textContent = text;
    }
  }

  buildLiveCards() {
    this.liveCards = h('div', { class: 'live-cards' });
    return h('section', { id: 'sec-live', class: 'panel no-print', 'aria-labelledby': 'sec-live-h' },
      h('h3', { id: 'sec-live-h', text: 'Live scorecards' }),
      h('p', { class: 'hint', text: 'Every rater’s draft as they type; only you see these.' }), this.liveCards);
  }

  buildNextRound() {
    const id = uid('next');
    const select = h('select', { id });
    // Running a loop: the round after this scenario's is the default.
    const rounds = this.deps.loop?.()?.rounds ?? [];
    const at = rounds.findIndex((r) => r.scenarioId === this.scenario.id);
    const next = at >= 0 && at + 1 < rounds.length ? rounds[at + 1].scenarioId : this.scenario.id;
    const options = this.deps.scenarios().map((s) => h('option', { value: s.id, text: s.title, selected: s.id === next }));
    fill(select, h('option', { value: '', text: 'The same scenario' }), options);
    const loopNote = at >= 0
      ? h('p', { class: 'hint', text: `Loop: this is round ${at + 1} of ${rounds.length}${at + 1 < rounds.length ? `; next, ${rounds[at + 1].focus}` : '; the last one'}` })
      : null;
    this.nextRoundBox = h(
      'form',
      {
        class: 'next-round',
        novalidate: true,
        on: {
          submit: (ev) => {
            ev.preventDefault();
            this.deps.send({ nextRound: { scenarioId: select.value } });
          },
        },
      },
      h('label', { for: id, text: 'Scenario for the next round' }),
      select,
      h('button', { type: 'submit', class: 'small', text: 'Start the next round' }),
    );
    return h('section', { id: 'sec-next', class: 'panel no-print', 'aria-labelledby': 'sec-next-h' },
      h('h3', { id: 'sec-next-h', text: 'Next round' }),
      h('p', { class: 'hint', text: 'Between rounds: move the hot seat in People, then start the next round.' }), loopNote, this.nextRoundBox);
  }

  // ---------------------------------------------------------------- update

  update() {
    if (!this.kind || !this.state) return;
    if (this.staff) {
      // The hot seat may have moved: the role is what the state says.
      const me = (this.state.participants ?? []).find((p) => p.participantId === this.participantId);
      if (me && me.role !== this.role && me.role !== 'ROLE_CANDIDATE') this.role = me.role;
    }
    this.renderHead();
    this.renderClock();
    this.renderControls();
    this.renderAgenda();
    this.renderAsked();
    this.renderPeople();
    this.renderNotices();
    this.renderBoardAccess();
    if (this.kind === 'staff') {
      // A coach becomes the rater when alone with the candidate, and stops
      // being one when an observer or interviewer joins.
      if (this.scoreSection && this.role === 'ROLE_COACH' && this.isRater() !== this.scoreMode) {
        const old = this.scoreSection;
        old.replaceWith(this.buildScorecard());
      }
      this.renderScript();
      this.renderMarkers();
      this.renderNotes();
      this.renderScoreState();
      this.renderLiveCards();
      if (this.guidance) {
        const idx = this.phaseIndex();
        this.guidance.textContent = idx >= 0 ? this.phases[idx]?.interviewerGuidance ?? '' : '';
        this.guidance.hidden = !this.guidance.textContent;
      }
    }
    this.renderOutcome();
    this.announceChanges();
  }

  stage() {
    return this.state?.clock?.stage ?? 'ROOM_STAGE_LOBBY';
  }

  // The server's rule (docs/board.md), mirrored to show the tools and say why not.
  renderBoardAccess() {
    const drawer = this.role === 'ROLE_CANDIDATE' || runsInterview(this.role);
    const idx = this.phaseIndex();
    const boxed = this.phases.some((p) => p.sketch);
    const sketchNames = this.phases.filter((p) => p.sketch).map((p) => `“${p.name}”`).join(', ');
    let why = '';
    if (!drawer) why = 'You watch the board; the candidate and the interviewer draw.';
    else if (idx < 0) why = ['ROOM_STAGE_LOBBY', 'ROOM_STAGE_BRIEFING'].includes(this.stage())
      ? `The board opens when the interview starts${boxed ? ` (in ${sketchNames})` : ''}.`
      : 'Pens down: the board is kept in the debrief.';
    else if (boxed && !this.phases[idx]?.sketch) why = `The board is open in ${sketchNames} only.`;
    this.board.setEditable(!why, why);
  }

  phaseIndex() {
    const c = this.state?.clock;
    if (!c || c.stage !== 'ROOM_STAGE_INTERVIEW') return -1;
    return num(c.phaseIndex);
  }

  isRater() {
    if (this.role === 'ROLE_INTERVIEWER' || this.role === 'ROLE_OBSERVER') return true;
    if (this.role !== 'ROLE_COACH') return false;
    // The coach scores when nobody else can, or when they chose to write a
    // reference card (then the server expects it too).
    if (this.referenceCard) return true;
    if (this.staff?.expectedRaters) return this.staff.expectedRaters.includes(this.participantId);
    const others = (this.state?.participants ?? []).some((p) => p.role === 'ROLE_INTERVIEWER' || p.role === 'ROLE_OBSERVER');
    return !others;
  }

  renderHead() {
    const bits = [];
    if (this.state) bits.push(stageName(this.stage()));
    if (this.role) bits.push(`you are the ${roleName(this.role)}`);
    if (this.state?.targetLevel) bits.push(`target ${levelLabel(this.state.targetLevel)}`);
    if (this.peer) bits.push(`peer mock with ${this.peer.partnerName || 'a partner'}, round ${this.peer.round} of ${this.peer.rounds}`);
    else if (num(this.state?.round) > 1) bits.push(`round ${num(this.state.round)}`);
    const type = this.kind === 'staff' ? this.scenario?.roundType : this.brief?.roundType;
    if (type) bits.push(roundTypeName(type));
    this.el.sub.textContent = bits.join(' · ');
  }

  renderClock() {
    const c = this.state?.clock;
    const stage = this.stage();
    let phase = stageName(stage);
    let note = '';
    if (stage === 'ROOM_STAGE_INTERVIEW') {
      const idx = this.phaseIndex();
      phase = c?.phaseName || this.phases?.[idx]?.name || 'Interview';
      if (this.phases?.length) note = `Phase ${idx + 1} of ${this.phases.length}`;
    } else if (stage === 'ROOM_STAGE_BRIEFING') phase = 'Briefing: read the question';
    const remaining = TIMED.has(stage) ? this.countdown.remainingMs(c, this.deps.clock) : null;
    if (c?.paused && TIMED.has(stage)) note = note ? `${note} · paused` : 'Paused';
    const text = remaining === null ? '' : clockText(remaining);
    if (this.el.countdown.textContent !== text) this.el.countdown.textContent = text;
    this.el.countdown.hidden = remaining === null;
    if (this.el.phase.textContent !== phase) this.el.phase.textContent = phase;
    if (this.el.note.textContent !== note) this.el.note.textContent = note;
    this.el.countdown.dataset.paused = c?.paused ? 'true' : 'false';
    this.el.countdown.dataset.low = remaining !== null && remaining <= 60_000 ? 'true' : 'false';
    // Spoken at a sane rate: at five minutes and one minute left.
    if (remaining !== null && !c?.paused) {
      const mark = remaining <= 60_000 ? 1 : remaining <= 300_000 ? 5 : null;
      const key = `${c?.phaseId}|${c?.deadlineMs}`;
      if (mark && this.lastSpokenMinute !== `${key}|${mark}` && remaining > 1000) {
        const first = this.lastSpokenMinute === null || !this.lastSpokenMinute.startsWith(key);
        this.lastSpokenMinute = `${key}|${mark}`;
        if (!first || remaining > (mark * 60_000) - 2000) this.say(`${mark === 1 ? 'One minute' : 'Five minutes'} left in ${phase}.`);
      } else if (!mark) this.lastSpokenMinute = key;
    }
  }

  renderControls() {
    const c = this.controls;
    if (!c || !this.state) return;
    const stage = this.stage();
    const timed = TIMED.has(stage);
    const paused = Boolean(this.state.clock?.paused);
    const hasCandidate = (this.state.participants ?? []).some((p) => p.role === 'ROLE_CANDIDATE');
    const focused = document.activeElement;
    const show = (el, on) => {
      el.hidden = !on;
    };
    show(c.start, stage === 'ROOM_STAGE_LOBBY');
    c.start.disabled = !hasCandidate;
    c.start.title = hasCandidate ? '' : 'Waiting for a candidate to join';
    show(c.pause, timed);
    c.pause.textContent = paused ? 'Resume' : 'Pause';
    show(c.extend, timed);
    show(c.skip, timed);
    const idx = this.phaseIndex();
    const last = idx >= 0 && idx === (this.phases?.length ?? 0) - 1;
    c.skip.textContent = stage === 'ROOM_STAGE_BRIEFING' ? 'Skip the briefing' : last ? 'End the interview' : 'Skip to the next phase';
    show(c.reveal, stage === 'ROOM_STAGE_SCORING');
    // A peer mock's reveal has its own "finish the round" button by the debrief.
    show(c.close, ['ROOM_STAGE_LOBBY', 'ROOM_STAGE_SCORING', 'ROOM_STAGE_REVEALED'].includes(stage) && !(this.peer && stage === 'ROOM_STAGE_REVEALED'));
    // A control that hid itself under the keyboard's focus hands focus on.
    if (focused && Object.values(c).includes(focused) && focused.hidden) {
      const next = Object.values(c).find((b) => !b.hidden && !b.disabled);
      (next ?? this.el.title).focus();
    }
  }

  renderAgenda() {
    const idx = this.phaseIndex();
    const stage = this.stage();
    const done = (i) => stage === 'ROOM_STAGE_SCORING' || stage === 'ROOM_STAGE_REVEALED' || stage === 'ROOM_STAGE_CLOSED' || i < idx;
    renderIfChanged(this.parts.agendaList, [idx, stage], () =>
      this.phases.map((p, i) =>
        h(
          'li',
          { class: i === idx ? 'current' : done(i) ? 'done' : '', 'aria-current': i === idx ? 'step' : null },
          h('span', { class: 'phase', text: p.name }),
          h('span', { class: 'muted', text: ` · ${durationText(num(p.durationSeconds) * 1000)}` }),
          p.candidateGuidance ? h('span', { class: 'guidance-line', text: p.candidateGuidance }) : null,
        ),
      ),
    );
  }

  renderAsked() {
    const asked = this.state.asked ?? [];
    renderIfChanged(this.parts.askedList, asked, () =>
      asked.length
        ? renderFollowUps(asked, this.phaseNames)
        : h('p', { class: 'muted', text: this.kind === 'candidate' ? 'Follow-up questions appear here when your interviewer asks them.' : 'None yet.' }),
    );
  }

  renderPeople() {
    const people = this.state.participants ?? [];
    const stage = this.stage();
    const coach = this.role === 'ROLE_COACH' && this.kind === 'staff';
    const between = !TIMED.has(stage) && stage !== 'ROOM_STAGE_SCORING';
    const submitted = new Set(this.staff?.submittedBy ?? []);
    renderIfChanged(this.parts.peopleList, [people, coach && between, [...submitted]], () =>
      people.map((p) =>
        h(
          'li',
          { dataset: { participant: p.participantId } },
          h('span', { class: 'person', text: p.displayName || 'Someone' }),
          h('span', { class: `badge role-${roleName(p.role)}`, text: roleName(p.role) }),
          p.participantId === this.participantId ? h('span', { class: 'badge', text: 'you' }) : null,
          p.connected ? null : h('span', { class: 'badge warn reconnecting', text: 'reconnecting' }),
          submitted.has(p.participantId) ? h('span', { class: 'badge ok', text: 'submitted' }) : null,
          coach && between && p.role === 'ROLE_OBSERVER'
            ? h('button', {
                type: 'button',
                class: 'small secondary',
                text: 'Put in the hot seat',
                'aria-label': `Put ${p.displayName} in the hot seat`,
                on: { click: () => this.deps.send({ moveHotSeat: { participantId: p.participantId } }) },
              })
            : null,
        ),
      ),
    );
  }

  renderCodes() {
    const slot = this.parts?.codes;
    if (!slot) return;
    if (!this.codes?.length) return fill(slot);
    const order = ['ROLE_CANDIDATE', 'ROLE_INTERVIEWER', 'ROLE_OBSERVER', 'ROLE_COACH'];
    const shareable = this.codes
      .filter((c) => c.role !== this.role)
      .sort((a, b) => order.indexOf(a.role) - order.indexOf(b.role));
    fill(
      slot,
      h(
        'details',
        { class: 'codes card no-print', open: this.stage() === 'ROOM_STAGE_LOBBY' },
        h('summary', { text: 'Join codes to share' }),
        h('p', { class: 'hint', text: 'Each code seats one role (observers: as many as you like). Whoever holds a code can also read this room’s debrief.' }),
        h(
          'dl',
          { class: 'code-list' },
          shareable.map((c) => {
            const link = `${location.origin}/#code=${encodeURIComponent(c.code)}`;
            const copy = h('button', { type: 'button', class: 'small secondary', text: 'Copy', 'aria-label': `Copy the ${roleName(c.role)} code` });
            copy.addEventListener('click', () => this.deps.copyText(c.code, copy));
            const copyLink = h('button', { type: 'button', class: 'small secondary', text: 'Copy link', 'aria-label': `Copy a link for the ${roleName(c.role)}` });
            copyLink.addEventListener('click', () => this.deps.copyText(link, copyLink));
            const name = roleName(c.role);
            return [h('dt', { text: name[0].toUpperCase() + name.slice(1) }), h('dd', {}, h('code', { class: 'join-code', dataset: { role: c.role }, text: c.code }), ' ', copy, ' ', copyLink)];
          }),
        ),
      ),
    );
  }

  renderNotices() {
    const slot = this.parts?.notices;
    if (!slot) return;
    const items = [];
    const prev = this.peer?.previousDebrief;
    if (prev) items.push(h('p', { class: 'notice' }, `Round ${prev.round} debrief: `, debriefLinks(prev.id, prev.code)));
    renderIfChanged(slot, prev ?? null, () => items);
  }

  renderScript() {
    if (!this.scriptItems) return;
    const asked = new Map((this.state.asked ?? []).filter((a) => a.followUpId).map((a) => [a.followUpId, a]));
    const canAsk = this.stage() === 'ROOM_STAGE_INTERVIEW';
    for (const [id, { button, status, text }] of this.scriptItems) {
      const a = asked.get(id);
      const wasFocused = document.activeElement === button;
      button.disabled = Boolean(a) || !canAsk;
      button.textContent = a ? 'Asked' : 'Ask';
      button.setAttribute('aria-label', `${a ? 'Asked' : 'Ask'}: ${text}`);
      button.closest('li')?.classList.toggle('asked', Boolean(a));
      const s = a ? `asked ${timeOfDay(num(a.askedAtMs))}${a.byScript ? ' by the script' : ''}` : '';
      if (status.textContent !== s) status.textContent = s;
      if (wasFocused && button.disabled) this.refocusScript = true;
    }
    if (this.refocusScript) {
      // The Ask button just used is now disabled: keep the keyboard in the script.
      this.refocusScript = false;
      const next = [...this.scriptItems.values()].map((x) => x.button).find((b) => !b.disabled);
      (next ?? this.freeAskButton?.form?.querySelector('textarea'))?.focus();
    }
    if (this.freeAskButton) this.freeAskButton.disabled = !canAsk;
  }

  renderMarkers() {
    if (!this.markerBoxes) return;
    const ticked = new Set(this.staff?.tickedMarkers ?? []);
    const canTick = this.stage() === 'ROOM_STAGE_INTERVIEW';
    for (const [id, box] of this.markerBoxes) {
      box.checked = ticked.has(id);
      box.disabled = ticked.has(id) || !canTick;
    }
  }

  renderNotes() {
    if (!this.notesList) return;
    const notes = this.staff?.notes ?? [];
    const coach = this.role === 'ROLE_COACH';
    renderIfChanged(this.notesList, notes, () =>
      notes.map((n) =>
        h(
          'li',
          {},
          h('span', { class: 'muted', text: `${timeOfDay(num(n.atMs))} · ${this.phaseNames.get(n.phaseId) ?? n.phaseId ?? ''}${coach ? ` · ${n.authorName}` : ''}` }),
          h('p', { class: 'note-text', text: n.text }),
        ),
      ),
    );
  }

  renderLiveCards() {
    if (!this.liveCards) return;
    const cards = this.staff?.liveScorecards ?? [];
    renderIfChanged(this.liveCards, cards, () =>
      cards.length ? renderScorecards(cards, this.dimNames) : h('p', { class: 'muted', text: 'No drafts yet.' }),
    );
  }

  // ---------------------------------------------------------------- scorecard

  renderScoreState() {
    this.renderPassLines();
    if (!this.scoreForm) return;
    const mine = this.staff?.myScorecard;
    if (this.levelReading) fill(this.levelReading, renderLevelVerdict(mine?.atLevel, this.dimNames, { detail: false }));
    if (mine && !this.restored && !this.draftDirty) this.restoreScorecard(mine);
    this.restored = true;
    const submitted = Boolean(mine?.submitted);
    const stage = this.stage();
    // The server has no draft from this page that it saved: it restarted,
    // and drafts are not in its log (docs/rooms.md). Send the form again.
    if (!mine && this.lastSentJson && DRAFTS_ALLOWED.has(stage) && !this.draftDirty && !this.saving) {
      this.lastSentJson = '';
      this.draftDirty = true;
    }
    this.scoreFields.disabled = submitted || stage === 'ROOM_STAGE_REVEALED' || stage === 'ROOM_STAGE_CLOSED';
    this.submitButton.hidden = submitted || stage === 'ROOM_STAGE_REVEALED' || stage === 'ROOM_STAGE_CLOSED';
    this.submitButton.disabled = stage !== 'ROOM_STAGE_SCORING' || this.submitting;
    this.submitButton.title = stage === 'ROOM_STAGE_SCORING' ? '' : 'Submitted once the interview is over';
    if (submitted) this.setScoreStatus(stage === 'ROOM_STAGE_REVEALED' || stage === 'ROOM_STAGE_CLOSED' ? 'Submitted. See the reveal.' : 'Submitted. Sealed until every rater is in.');
    else if (stage === 'ROOM_STAGE_REVEALED' || stage === 'ROOM_STAGE_CLOSED') this.setScoreStatus('Scoring has closed.');
    else if (this.draftDirty || this.saving || this.submitting) {
      // The save in flight says what it is doing.
    } else if (stage === 'ROOM_STAGE_SCORING') this.setScoreStatus('Scoring is open: finish and submit your scorecard.');
    else if (stage === 'ROOM_STAGE_INTERVIEW')
      this.setScoreStatus(mine?.updatedMs ? `Draft saved ${timeOfDay(num(mine.updatedMs))}.` : 'Drafts save as you type.');
    else this.setScoreStatus('Drafts are saved from the first phase on.');
    if (this.draftDirty && DRAFTS_ALLOWED.has(stage) && !this.draftTimer) this.scheduleDraft(0);
  }

  setScoreStatus(text) {
    if (this.scoreStatus && this.scoreStatus.textContent !== text) this.scoreStatus.textContent = text;
  }

  restoreScorecard(card) {
    for (const s of card.scores ?? []) {
      const inputs = this.scoreInputs.get(s.dimensionId);
      if (!inputs) continue;
      // A draft's 0 may mean "not chosen yet"; a submitted 0 is "not observed".
      const rating = num(s.rating);
      for (const r of inputs.radios) r.checked = rating > 0 ? Number(r.value) === rating : Boolean(card.submitted) && r.value === '0';
      inputs.evidence.value = s.evidence ?? '';
    }
    for (const r of this.recRadios) r.checked = r.value === card.recommendation;
    this.summary.value = card.summary ?? '';
    this.lastSentJson = JSON.stringify(this.readScorecard());
  }

  readScorecard() {
    const scores = [];
    for (const [dimensionId, { radios, evidence }] of this.scoreInputs) {
      const picked = radios.find((r) => r.checked);
      if (!picked && !evidence.value.trim()) continue;
      scores.push({ dimensionId, rating: picked ? Number(picked.value) : 0, evidence: evidence.value.trim() });
    }
    const rec = this.recRadios.find((r) => r.checked)?.value;
    return { scores, ...(rec ? { recommendation: rec } : {}), summary: this.summary.value.trim() };
  }

  onScoreInput() {
    // A 'change' after the 'input' events (a blur) changes nothing new.
    if (!this.draftDirty && JSON.stringify(this.readScorecard()) === this.lastSentJson) return;
    this.draftDirty = true;
    this.restored = true; // what the rater types wins over a later echo
    this.setScoreStatus(DRAFTS_ALLOWED.has(this.stage()) ? 'Unsaved changes…' : 'Kept here; saved once the first phase starts.');
    this.scheduleDraft(DRAFT_DEBOUNCE_MS);
  }

  scheduleDraft(delayMs) {
    clearTimeout(this.draftTimer);
    this.draftTimer = setTimeout(() => {
      this.draftTimer = 0;
      this.saveDraft();
    }, delayMs);
  }

  async saveDraft() {
    if (!this.draftDirty || this.saving || this.disposed) return;
    if (!DRAFTS_ALLOWED.has(this.stage()) || !this.connected) return; // kept dirty; saved when possible
    if (this.staff?.myScorecard?.submitted) return;
    this.saving = true;
    this.draftDirty = false;
    this.setScoreStatus('Saving draft…');
    const scorecard = this.readScorecard();
    const json = JSON.stringify(scorecard);
    const ok = json === this.lastSentJson || (await this.deps.send({ saveScorecard: { scorecard, submit: false } }));
    this.saving = false;
    if (this.disposed) return;
    if (!ok) {
      this.draftDirty = true;
      this.setScoreStatus('Draft not saved yet; it will be retried.');
      return;
    }
    this.lastSentJson = json;
    if (this.draftDirty) this.scheduleDraft(DRAFT_DEBOUNCE_MS);
    else this.setScoreStatus(`Draft saved ${timeOfDay(Date.now())}.`);
  }

  async submitScorecard() {
    if (this.stage() !== 'ROOM_STAGE_SCORING') return this.deps.showError('CLIENT_NOT_YET', 'Scorecards are submitted once the interview is over.');
    const card = this.readScorecard();
    const missing = [...this.scoreInputs.keys()].filter((id) => !this.scoreInputs.get(id).radios.some((r) => r.checked));
    if (missing.length) {
      this.setScoreStatus(`Rate every dimension (or mark it not observed) first: ${missing.map((id) => this.dimNames.get(id) ?? id).join(', ')}.`);
      this.scoreInputs.get(missing[0]).radios[0].focus();
      return;
    }
    if (!card.recommendation) {
      this.setScoreStatus('Choose an overall recommendation first.');
      this.recRadios[0].focus();
      return;
    }
    clearTimeout(this.draftTimer);
    this.draftTimer = 0;
    this.draftDirty = false;
    this.submitting = true;
    this.submitButton.disabled = true;
    this.setScoreStatus('Submitting…');
    const ok = await this.deps.send({ saveScorecard: { scorecard: card, submit: true } });
    this.submitting = false;
    if (this.disposed) return;
    if (!ok) {
      this.draftDirty = true;
      this.submitButton.disabled = false;
      this.setScoreStatus('Not submitted; try again.');
      return;
    }
    this.setScoreStatus('Submitted. Sealed until every rater is in.');
  }

  // ---------------------------------------------------------------- outcome

  myDebriefId() {
    if (this.kind === 'candidate') return this.debrief?.debriefId ?? '';
    return this.roomId && this.state?.round !== undefined ? `${this.roomId}-${num(this.state.round) || 1}` : '';
  }

  renderOutcome() {
    const box = this.parts?.outcomeBody;
    if (!box || !this.state) return;
    const stage = this.stage();
    const candidate = this.kind === 'candidate';
    const people = this.state.participants ?? [];
    const interviewer = people.find((p) => p.role === 'ROLE_INTERVIEWER' || p.role === 'ROLE_COACH');
    const peer = this.peer;
    const moreRounds = peer && peer.round < peer.rounds;
    const key = [stage, candidate, Boolean(this.debrief), candidate ? (this.state.asked ?? []).length : 0, this.staff?.revealed ?? null, this.staff?.submittedBy ?? null,
      this.staff?.expectedRaters ?? null, people.some((p) => p.role === 'ROLE_CANDIDATE'), interviewer?.displayName ?? '', this.code];
    this.parts.outcome.hidden = false;
    renderIfChanged(box, key, () => {
      switch (stage) {
        case 'ROOM_STAGE_LOBBY':
          if (candidate) return h('p', { text: 'You are in. The interview starts when your interviewer presses Start.' });
          return h('p', { text: people.some((p) => p.role === 'ROLE_CANDIDATE') ? 'Everyone needed is here. Press “Start the interview” when ready.' : 'Waiting for the candidate to join.' });
        case 'ROOM_STAGE_BRIEFING':
          return h('p', { text: candidate ? 'Read the question and the agenda. The first phase starts when the briefing ends.' : 'Briefing: read the rubric and the script while the candidate reads the question.' });
        case 'ROOM_STAGE_INTERVIEW': {
          if (!candidate) return h('p', { text: 'Interview in progress. Ask follow-ups, tick markers, and draft your scorecard as you go.' });
          const latest = (this.state.asked ?? []).at(-1);
          return [
            h('p', { text: 'Answer out loud with your interviewer. Follow-ups appear as they are asked.' }),
            latest ? h('p', { class: 'latest' }, 'Latest follow-up: ', h('q', { text: latest.text })) : null,
          ];
        }
        case 'ROOM_STAGE_SCORING': {
          if (candidate) return h('p', { text: 'The interview is over. Your interviewer is scoring; your debrief appears here when the scores are in.' });
          const expected = this.staff?.expectedRaters ?? [];
          const done = (this.staff?.submittedBy ?? []).length;
          return h('p', { text: `Scoring: ${done} of ${expected.length || '?'} scorecards submitted. They stay sealed until all are in.` });
        }
        case 'ROOM_STAGE_REVEALED':
        case 'ROOM_STAGE_CLOSED':
          return this.renderDebrief(stage, candidate, interviewer, moreRounds);
        default:
          return null;
      }
    });
    this.parts.outcome.querySelector('h3').textContent =
      stage === 'ROOM_STAGE_REVEALED' || stage === 'ROOM_STAGE_CLOSED' ? (candidate ? 'Your debrief' : 'The reveal') : 'Status';
  }

  renderDebrief(stage, candidate, interviewer, moreRounds) {
    const out = [];
    const debriefId = this.myDebriefId();
    const runs = runsInterview(this.role) && !candidate;
    if (stage === 'ROOM_STAGE_CLOSED') {
      out.push(h('p', { class: 'notice', text: moreRounds ? 'This round is closed. Round 2 starts in a moment, with roles swapped…' : 'This room has closed.' }));
    } else if (this.peer) {
      if (runs)
        out.push(
          h('div', { class: 'next-step no-print' },
            h('p', { text: moreRounds ? 'When you are done reading, finish the round: round 2 starts with roles swapped.' : 'That was the last round. Finish the mock to close the room.' }),
            h('button', {
              type: 'button',
              id: 'finish-round',
              text: moreRounds ? 'Finish round 1 and swap roles' : 'Finish the mock',
              on: { click: () => this.deps.send({ roomControl: { action: 'ACTION_CLOSE' } }) },
            })),
        );
      else if (moreRounds)
        out.push(h('p', { class: 'notice', text: `Round 2 starts when ${interviewer?.displayName || 'your interviewer'} finishes this round; you will swap roles.` }));
    }
    if (candidate) {
      const d = this.debrief;
      if (!d) out.push(h('p', { class: 'muted', text: 'Your debrief is on its way…' }));
      else {
        const names = dimensionNames(d.aggregation?.dimensions);
        out.push(
          h('h4', { text: 'How you were scored' }),
          renderScorecards(d.scorecards, names),
          h('h4', { text: 'Across raters' }),
          renderAggregation(d.aggregation, names),
          h('h4', { text: 'Follow-ups you were asked' }),
          renderFollowUps(d.followUps, this.phaseNames),
          d.boardSvg ? [h('h4', { text: 'Your board' }), boardImage(d.boardSvg)] : null,
          (d.timeline ?? []).length ? [h('h4', { text: 'Timeline' }), h('ol', { class: 'timeline' }, d.timeline.map((t) => h('li', { text: t })))] : null,
        );
      }
    } else {
      const names = this.dimNames ?? new Map();
      out.push(
        h('h4', { text: 'Scorecards' }),
        renderScorecards(this.staff?.revealed ?? [], names),
        h('h4', { text: 'Agreement' }),
        renderAggregation(this.staff?.aggregation, names),
      );
    }
    if (debriefId && (candidate ? this.debrief : true)) {
      this.remember(debriefId);
      out.push(
        h('div', { class: 'debrief-actions' },
          debriefLinks(debriefId, this.code),
          h('button', { type: 'button', class: 'secondary small no-print', text: 'Print', on: { click: () => window.print() } })),
      );
    }
    if (stage === 'ROOM_STAGE_CLOSED' && !moreRounds)
      out.push(h('button', { type: 'button', class: 'no-print', id: 'back-to-start', text: 'Back to start', on: { click: () => this.deps.backToStart() } }));
    return out;
  }

  remember(debriefId) {
    if (this.remembered.has(debriefId) || !this.code) return;
    this.remembered.add(debriefId);
    const entry = {
      id: debriefId,
      code: this.code,
      title: this.el.title.textContent,
      role: this.role,
      round: this.peer?.round ?? num(this.state?.round),
    };
    this.deps.rememberDebrief(entry);
    if (this.peer) this.peer.lastDebrief = entry;
  }

  // ---------------------------------------------------------------- speech

  say(text) {
    // Replace, not append: one polite announcement at a time.
    this.el.live.textContent = '';
    setTimeout(() => {
      this.el.live.textContent = text;
    }, 50);
  }

  announceChanges() {
    const c = this.state.clock ?? {};
    const phaseKey = `${c.stage}|${c.phaseId ?? ''}|${c.paused ? 'paused' : ''}`;
    const asked = this.state.asked ?? [];
    const lines = [];
    if (phaseKey !== this.lastPhaseKey) {
      if (this.lastPhaseKey) {
        if (c.stage === 'ROOM_STAGE_INTERVIEW' || c.stage === 'ROOM_STAGE_BRIEFING') {
          const remaining = this.countdown.remainingMs(c, this.deps.clock);
          lines.push(`${this.el.phase.textContent}${c.paused ? ', paused' : ''}${remaining !== null ? `, ${durationText(remaining)} left` : ''}.`);
        } else lines.push(`${stageName(c.stage)}.`);
      }
      this.lastPhaseKey = phaseKey;
    }
    if (this.lastAskedCount >= 0 && asked.length > this.lastAskedCount)
      for (const a of asked.slice(this.lastAskedCount)) lines.push(`Follow-up: ${a.text}`);
    this.lastAskedCount = asked.length;
    if (lines.length) this.say(lines.join(' '));
  }
}
