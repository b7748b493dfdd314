#!/usr/bin/env bash
# Regenerates the seed corpora under corpus/ from text-format messages (via
# protoc --encode, so the bytes are exactly what the schema says) and a few
# library scenarios. The output is checked in; run this after a schema change.
# Regression inputs (corpus/*/regress-*) are kept as they are.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
corpus=$here/corpus

# name|text-format ClientMessage
messages=(
  'hello|request_id: 1 hello { client_name: "mockloop-web" client_version: "0.1.0" display_name: "Ada" user_key: "9f2c0011" }'
  'hello-resume|request_id: 1 hello { display_name: "Ada" resume_token: "0123456789abcdef0123456789abcdef" }'
  'ping|request_id: 2 ping { payload: "hi" }'
  'create-room|request_id: 3 create_room { scenario_id: "pm-feature-mid-sprint" creator_role: ROLE_COACH }'
  'join-room|request_id: 4 join_room { code: "0123456789abcdef0123456789abcdef" }'
  'leave-room|request_id: 5 leave_room {}'
  'room-control|request_id: 6 room_control { action: ACTION_EXTEND seconds: 300 }'
  'ask-follow-up|request_id: 7 ask_follow_up { follow_up_id: "fu-scope" }'
  'ask-free-text|request_id: 8 ask_follow_up { free_text: "And if they say no?" }'
  'tick-marker|request_id: 9 tick_marker { marker_id: "proposes_meeting" }'
  'add-note|request_id: 10 add_note { text: "Good framing of the trade-off." }'
  'enqueue|request_id: 11 enqueue { rounds: ROUND_TYPE_SYSTEM_DESIGN rounds: ROUND_TYPE_METRICS_AND_DATA level: LEVEL_L6 company_style: COMPANY_STYLE_HYPERSCALE language: "en" max_wait_seconds: 120 invite: true }'
  'cancel-ticket|request_id: 12 cancel_ticket {}'
  'move-hot-seat|request_id: 13 move_hot_seat { participant_id: "p2" }'
  'next-round|request_id: 14 next_round { scenario_id: "cloud-migration" }'
  'save-scorecard|request_id: 15 save_scorecard { submit: true scorecard { recommendation: RECOMMENDATION_YES summary: "Clear plan." scores { dimension_id: "ambiguity" rating: 3 evidence: "Asked who owns the launch." } scores { dimension_id: "metrics" rating: 0 } } }'
  'create-committee|request_id: 16 create_committee { packet { debrief_id: "d1" code: "c1" } packet { debrief_id: "d2" code: "c2" } }'
  'join-committee|request_id: 17 join_committee { code: "0123456789abcdef" }'
  'cast-vote|request_id: 18 cast_vote { vote: RECOMMENDATION_STRONG_YES rationale: "Drove the decision." }'
  'committee-action|request_id: 19 committee_action { action: ACTION_DECIDE decision: RECOMMENDATION_NO reasons: "Gaps in metrics." }'
)

mkdir -p "$corpus/binary" "$corpus/json" "$corpus/session" "$corpus/scenario"
find "$corpus" -type f ! -name 'regress-*' -delete

encode() {  # text-format ClientMessage on stdin -> binary on stdout
  protoc --encode=mockloop.v1.ClientMessage -I "$repo/proto" "$repo/proto/mockloop/v1/wire.proto"
}

# JSON seeds, spelled out (protoc has no JSON output): canonical names,
# proto names, enums by name and by number, a base64 bytes field, escapes.
declare -A json=(
  [hello]='{"requestId":1,"hello":{"clientName":"mockloop-web","clientVersion":"0.1.0","displayName":"Ada","userKey":"9f2c0011"}}'
  [hello-proto-names]='{"request_id":1,"hello":{"display_name":"Ada","resume_token":"0123456789abcdef0123456789abcdef"}}'
  [ping]='{"requestId":2,"ping":{"payload":"aGk="}}'
  [create-room]='{"requestId":3,"createRoom":{"scenarioId":"pm-feature-mid-sprint","creatorRole":"ROLE_COACH"}}'
  [join-room]='{"requestId":4,"joinRoom":{"code":"0123456789abcdef0123456789abcdef"}}'
  [leave-room]='{"requestId":5,"leaveRoom":{}}'
  [room-control]='{"requestId":6,"roomControl":{"action":"ACTION_EXTEND","seconds":300}}'
  [ask-free-text]='{"requestId":8,"askFollowUp":{"freeText":"And if they say no? \u00e9\ud83d\ude00"}}'
  [enqueue]='{"requestId":11,"enqueue":{"rounds":["ROUND_TYPE_SYSTEM_DESIGN",5],"level":"LEVEL_L6","companyStyle":"COMPANY_STYLE_HYPERSCALE","language":"en","maxWaitSeconds":120,"invite":true}}'
  [save-scorecard]='{"requestId":15,"saveScorecard":{"submit":true,"scorecard":{"recommendation":"RECOMMENDATION_YES","summary":"Clear plan.","updatedMs":"1795410000000","scores":[{"dimensionId":"ambiguity","rating":3,"evidence":"Asked who owns the launch."}]}}}'
  [create-committee]='{"requestId":16,"createCommittee":{"packet":[{"debriefId":"d1","code":"c1"}]}}'
  [cast-vote]='{"requestId":18,"castVote":{"vote":"RECOMMENDATION_STRONG_YES","rationale":"Drove the decision."}}'
  [unknown-body]='{"requestId":12,"hologram":{}}'
)

for entry in "${messages[@]}"; do
  name=${entry%%|*}
  printf '%s' "${entry#*|}" | encode >"$corpus/binary/$name"
done
for name in "${!json[@]}"; do printf '%s' "${json[$name]}" >"$corpus/json/$name"; done

# Session seeds: encoding byte, then frames of [header][len lo][len hi][payload].
frame() {  # frame FILE BINARY_BIT MS -> appends FILE as one frame to stdout
  local file=$1 bin=$2 ms=$3 len
  len=$(stat -c %s "$file")
  printf "\\x$(printf %02x $(((ms << 1) | bin)))\\x$(printf %02x $((len & 255)))\\x$(printf %02x $((len >> 8)))"
  cat "$file"
}
{
  printf '\x00'
  for m in hello ping create-room room-control ask-free-text save-scorecard; do frame "$corpus/binary/$m" 1 10; done
} >"$corpus/session/binary-flow"
{
  printf '\x01'
  for m in hello ping enqueue cast-vote; do frame "$corpus/json/$m" 0 10; done
} >"$corpus/session/json-flow"
{
  printf '\x01'
  frame "$corpus/json/ping" 0 0  # before Hello: closes 1008
} >"$corpus/session/json-ping-first"
{
  printf '\x00'
  frame "$corpus/binary/hello" 1 0
  for _ in 1 2 3 4 5 6 7; do frame "$corpus/binary/ping" 1 0; done  # over the rate limit
} >"$corpus/session/binary-burst"

# Scenario seeds: a few small library files.
for s in project-off-track shard-migration-success-metrics; do
  cp "$repo/scenarios/$s.textproto" "$corpus/scenario/$s.textproto"
done
cp "$repo/tests/data/bad-scenarios/broken-references.textproto" "$corpus/scenario/"

echo "make-seeds: $(find "$corpus" -type f | wc -l) seed files under $corpus"
