// The hiring-committee screen: read the packet, vote sealed, the chair
// reveals, discuss (and change a vote with a reason), the chair decides.
import { $, h, fill, renderIfChanged, uid, num, timeOfDay, RECOMMENDATIONS, recommendationName } from './dom.js';
import { renderRecord, debriefLinks } from './debrief.js';

const STAGES = {
  COMMITTEE_STAGE_VOTING: 'Voting (sealed)',
  COMMITTEE_STAGE_REVEALED: 'Votes revealed: discussion',
  COMMITTEE_STAGE_DECIDED: 'Decided',
};

export class CommitteeView {
  constructor(deps, ctx = {}) {
    this.deps = deps;
    this.code = ctx.code ?? '';
    this.chair = Boolean(ctx.chair);
    this.memberCode = ctx.memberCode ?? '';
    this.state = null;
    this.packet = null;
    this.el = { title: $('committee-title'), sub: $('committee-sub'), live: $('committee-live'), body: $('committee-body') };
    this.el.title.textContent = 'Hiring committee';
    this.el.sub.textContent = 'Joining…';
    this.build();
  }

  dispose() {
    fill(this.el.body);
    this.el.live.textContent = '';
  }

  setConnected() {}

  setCode(code, chair, memberCode = '') {
    this.code = code;
    this.chair = chair;
    if (memberCode) this.memberCode = memberCode;
    this.renderCodes();
    this.render();
  }

  build() {
    this.codesSlot = h('div');
    this.packetBox = h('div', { class: 'packet' }, h('p', { class: 'muted', text: 'Waiting for the packet…' }));
    this.membersList = h('ul', { class: 'people' });
    this.voteStatus = h('p', { class: 'score-status', role: 'status' });

    // One vote form: the independent vote before the reveal, a change after.
    const rationaleId = uid('rationale');
    this.voteRadios = [];
    const group = uid('vote');
    this.rationale = h('textarea', { id: rationaleId, rows: 3, maxlength: 2000, required: true });
    this.rationaleLabel = h('label', { for: rationaleId, text: 'Rationale' });
    this.voteLegend = h('legend', { text: 'Your vote (sealed until the chair reveals)' });
    this.voteButton = h('button', { type: 'submit', text: 'Cast vote' });
    this.voteForm = h(
      'form',
      { class: 'vote-form', novalidate: true, on: { submit: (ev) => { ev.preventDefault(); this.castVote(); } } },
      h('fieldset', {}, this.voteLegend,
        h('div', { class: 'inline-choices' }, RECOMMENDATIONS.map(([value, label]) => {
          const id = uid('v');
          const input = h('input', { type: 'radio', id, name: group, value });
          this.voteRadios.push(input);
          return h('label', { for: id, class: 'choice' }, input, ` ${label}`);
        }))),
      this.rationaleLabel,
      this.rationale,
      this.voteButton,
    );

    this.chairBox = h('div', { class: 'chair-box' });
    this.revealButton = h('button', { type: 'button', text: 'Reveal the votes', on: { click: () => this.deps.send({ committeeAction: { action: 'ACTION_REVEAL' } }) } });
    const decisionGroup = uid('decision');
    this.decisionRadios = [];
    const reasonsId = uid('reasons');
    this.reasons = h('textarea', { id: reasonsId, rows: 3, maxlength: 4000 });
    this.decideForm = h(
      'form',
      { class: 'decide-form', novalidate: true, on: { submit: (ev) => { ev.preventDefault(); this.decide(); } } },
      h('fieldset', {}, h('legend', { text: 'The committee’s decision' }),
        h('div', { class: 'inline-choices' }, RECOMMENDATIONS.map(([value, label]) => {
          const id = uid('d');
          const input = h('input', { type: 'radio', id, name: decisionGroup, value });
          this.decisionRadios.push(input);
          return h('label', { for: id, class: 'choice' }, input, ` ${label}`);
        }))),
      h('label', { for: reasonsId, text: 'Reasons' }),
      this.reasons,
      h('button', { type: 'submit', text: 'Record the decision' }),
    );

    this.votesBox = h('div', { class: 'votes' });
    const noteId = uid('discuss');
    this.noteText = h('textarea', { id: noteId, rows: 2, maxlength: 2000 });
    this.discussionList = h('ol', { class: 'notes' });
    this.discussion = h(
      'section',
      { class: 'panel', 'aria-labelledby': 'c-discussion-h' },
      h('h3', { id: 'c-discussion-h', text: 'Discussion' }),
      this.discussionList,
      h('form', { class: 'note-form', novalidate: true, on: { submit: (ev) => { ev.preventDefault(); this.addNote(); } } },
        h('label', { for: noteId, text: 'Add to the discussion (everyone reads it)' }), this.noteText,
        h('button', { type: 'submit', class: 'small', text: 'Post' })),
    );
    this.outcome = h('div', { class: 'outcome-body' });

    fill(
      this.el.body,
      this.codesSlot,
      h(
        'div',
        { class: 'room-grid committee' },
        h('div', { class: 'col-main' },
          h('section', { class: 'panel outcome printable', 'aria-labelledby': 'c-outcome-h' }, h('h3', { id: 'c-outcome-h', text: 'Status' }), this.outcome),
          h('section', { class: 'panel', 'aria-labelledby': 'c-packet-h' }, h('h3', { id: 'c-packet-h', text: 'The packet' }), this.packetBox)),
        h('div', { class: 'col-side' },
          h('section', { class: 'panel', 'aria-labelledby': 'c-members-h' }, h('h3', { id: 'c-members-h', text: 'Members' }), this.membersList),
          h('section', { class: 'panel', 'aria-labelledby': 'c-vote-h' }, h('h3', { id: 'c-vote-h', text: 'Vote' }), this.voteStatus, this.voteForm),
          this.chairBox,
          h('section', { class: 'panel', 'aria-labelledby': 'c-votes-h' }, h('h3', { id: 'c-votes-h', text: 'Votes' }), this.votesBox),
          this.discussion),
      ),
      h('div', { class: 'room-footer no-print' },
        h('button', { type: 'button', class: 'secondary', text: 'Leave the committee', on: { click: () => this.deps.backToStart() } })),
    );
    this.renderCodes();
  }

  renderCodes() {
    if (!this.chair || !this.memberCode) return fill(this.codesSlot);
    const copy = h('button', { type: 'button', class: 'small secondary', text: 'Copy', 'aria-label': 'Copy the member code' });
    copy.addEventListener('click', () => this.deps.copyText(this.memberCode, copy));
    fill(
      this.codesSlot,
      h('details', { class: 'codes card no-print', open: true },
        h('summary', { text: 'Member code to share' }),
        h('p', { class: 'hint', text: 'Members join with this code under “Have a code?” (up to 8). Your chair code opens the session’s record later.' }),
        h('dl', { class: 'code-list' },
          h('dt', { text: 'Members' }), h('dd', {}, h('code', { class: 'join-code', dataset: { role: 'member' }, text: this.memberCode }), ' ', copy),
          h('dt', { text: 'Chair (you)' }), h('dd', {}, h('code', { text: this.code })))),
    );
  }

  onPacket(p) {
    this.packet = p;
    fill(
      this.packetBox,
      (p.records ?? []).length
        ? p.records.map((r, i) => h('details', { class: 'record-box', open: i === 0 }, h('summary', { text: `${r.scenarioTitle || r.id}${r.round ? `, round ${r.round}` : ''}` }), renderRecord(r, { headingLevel: 4 })))
        : h('p', { class: 'muted', text: 'The packet is empty.' }),
    );
  }

  onState(s) {
    const before = this.state?.stage;
    this.state = s;
    const me = (s.members ?? []).find((m) => m.memberId === this.deps.sessionId());
    if (me) this.chair = Boolean(me.chair);
    if (before && before !== s.stage) this.say(STAGES[s.stage] ?? '');
    this.render();
  }

  render() {
    const s = this.state;
    if (!s) return;
    const stage = s.stage ?? 'COMMITTEE_STAGE_VOTING';
    this.el.sub.textContent = `${STAGES[stage] ?? stage} · you are ${this.chair ? 'the chair' : 'a member'}`;
    const voted = new Set(s.voted ?? []);
    renderIfChanged(this.membersList, [s.members, [...voted]], () =>
      (s.members ?? []).map((m) =>
        h('li', {}, h('span', { class: 'person', text: m.displayName }), m.chair ? h('span', { class: 'badge', text: 'chair' }) : null,
          m.memberId === this.deps.sessionId() ? h('span', { class: 'badge', text: 'you' }) : null,
          voted.has(m.memberId) ? h('span', { class: 'badge ok', text: 'voted' }) : null),
      ),
    );

    const revealed = stage !== 'COMMITTEE_STAGE_VOTING';
    const decided = stage === 'COMMITTEE_STAGE_DECIDED';
    this.voteForm.hidden = decided;
    this.voteLegend.textContent = revealed ? 'Change your vote' : 'Your vote (sealed until the chair reveals)';
    this.rationaleLabel.textContent = revealed ? 'Why you are changing it' : 'Rationale';
    this.voteButton.textContent = revealed ? 'Change vote' : s.myVote?.vote ? 'Recast vote' : 'Cast vote';
    this.voteStatus.textContent = s.myVote?.vote ? `Your vote: ${recommendationName(s.myVote.vote)}.` : decided ? '' : 'You have not voted yet.';

    const minVotes = num(s.minVotes);
    fill(this.chairBox, this.chair && !decided
      ? h('section', { class: 'panel', 'aria-labelledby': 'c-chair-h' }, h('h3', { id: 'c-chair-h', text: 'Chair' }),
          revealed ? this.decideForm : [h('p', { class: 'hint', text: `${voted.size} voted; the reveal needs at least ${minVotes || 3}.` }), this.revealButton])
      : null);
    this.revealButton.disabled = voted.size < (minVotes || 1);

    renderIfChanged(this.votesBox, [revealed, s.votes ?? []], () =>
      revealed
        ? h('ul', { class: 'vote-list' }, (s.votes ?? []).map((v) =>
            h('li', {}, h('strong', { text: v.displayName }), `: ${recommendationName(v.independent?.vote)}`,
              v.independent?.rationale ? h('span', { class: 'muted', text: ` — ${v.independent.rationale}` }) : null,
              (v.changes ?? []).length ? h('ul', {}, v.changes.map((c) => h('li', { text: `→ ${recommendationName(c.vote)}: ${c.rationale}` }))) : null)))
        : h('p', { class: 'muted', text: 'Sealed until the chair reveals them.' }));

    this.discussion.hidden = !revealed;
    renderIfChanged(this.discussionList, s.discussion ?? [], () =>
      (s.discussion ?? []).map((n) => h('li', {}, h('span', { class: 'muted', text: `${timeOfDay(num(n.atMs))} · ${n.authorName}` }), h('p', { class: 'note-text', text: n.text }))));

    renderIfChanged(this.outcome, [stage, s.decision ?? null, s.recordId ?? '', this.code], () => {
      if (!decided) return h('p', { text: revealed ? 'Discuss; change your vote with a reason if you are persuaded. The chair records the decision.' : 'Read the packet and vote independently. Nobody sees another vote until the chair reveals them.' });
      if (s.recordId) this.deps.rememberDebrief({ id: s.recordId, code: this.code, title: 'Hiring committee', role: this.chair ? 'ROLE_COACH' : 'ROLE_OBSERVER' });
      const ex = s.exampleDecision;
      return [
        h('p', {}, 'Decision: ', h('strong', { text: recommendationName(s.decision?.decision) }), s.decision?.reasons ? ` — ${s.decision.reasons}` : ''),
        s.recordId ? debriefLinks(s.recordId, this.code) : null,
        // Practice on an example packet: the calibrated panel's call, to compare.
        s.exampleId && ex
          ? h('div', { class: 'example-outcome', id: 'example-outcome' },
              h('h4', { text: 'How a calibrated panel decided' }),
              h('p', {}, h('strong', { text: recommendationName(ex.decision) }), ex.reasons ? ` — ${ex.reasons}` : ''),
              s.exampleCommentary ? h('p', { text: s.exampleCommentary }) : null,
              (ex.votes ?? []).length
                ? h('ul', {}, ex.votes.map((v) => h('li', {},
                    h('strong', { text: v.member }), `: ${recommendationName(v.independent)} first`,
                    v.final && v.final !== v.independent ? `, then ${recommendationName(v.final)}` : '',
                    (v.changes ?? []).length ? h('span', { class: 'muted', text: ` (${v.changes.join('; ')})` }) : null)))
                : null,
              (ex.discussion ?? []).length ? [h('h5', { text: 'Their discussion' }), h('ul', {}, ex.discussion.map((d) => h('li', { text: d })))] : null)
          : null,
      ];
    });
  }

  async castVote() {
    const vote = this.voteRadios.find((r) => r.checked)?.value;
    const rationale = this.rationale.value.trim();
    if (!vote) return this.voteRadios[0].focus();
    if (!rationale) return this.rationale.focus();
    const ok = await this.deps.send({ castVote: { vote, rationale } });
    if (ok) {
      this.rationale.value = '';
      this.say('Vote recorded.');
    }
  }

  async decide() {
    const decision = this.decisionRadios.find((r) => r.checked)?.value;
    if (!decision) return this.decisionRadios[0].focus();
    await this.deps.send({ committeeAction: { action: 'ACTION_DECIDE', decision, reasons: this.reasons.value.trim() } });
  }

  async addNote() {
    const text = this.noteText.value.trim();
    if (!text) return this.noteText.focus();
    const ok = await this.deps.send({ addNote: { text } });
    if (ok) this.noteText.value = '';
  }

  say(text) {
    this.el.live.textContent = text;
  }
}
