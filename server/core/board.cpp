#include "mockloop/core/board.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace mockloop {
namespace {

v1::Error make(v1::ErrorCode code, std::string field, std::string message) {
  v1::Error e;
  e.set_code(code);
  e.set_field(std::move(field));
  e.set_message(std::move(message));
  return e;
}

bool valid_id(const std::string& id) {
  if (id.empty() || id.size() > 32) return false;
  return std::all_of(id.begin(), id.end(), [](unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

std::string shape_name(v1::BoardShape s) {
  switch (s) {
    case v1::BOARD_SHAPE_BOX:
      return "box";
    case v1::BOARD_SHAPE_ARROW:
      return "arrow";
    case v1::BOARD_SHAPE_LABEL:
      return "label";
    default:
      return "shape";
  }
}

}  // namespace

v1::BoardObject* board::find(const std::string& id) {
  const auto it = index_.find(id);
  return it == index_.end() ? nullptr : &objects_[it->second];
}

void board::clear() { *this = board{}; }

void board::load(const v1::Board& b) {
  clear();
  for (const auto& o : b.objects()) {
    index_[o.id()] = objects_.size();
    objects_.push_back(o);
  }
  live_ = objects_.size();
  seq_ = b.seq();
}

const v1::BoardObject* board::object(const std::string& id) const {
  const auto it = index_.find(id);
  return it == index_.end() || removed_.count(id) ? nullptr : &objects_[it->second];
}

std::optional<v1::Error> board::check_endpoint(const std::string& field, const std::string& id,
                                               const std::string& self) const {
  const auto it = index_.find(id);
  if (it == index_.end() || removed_.count(id))
    return make(v1::ERROR_CODE_NOT_FOUND, field, field + ": no object '" + id + "' on the board");
  if (id == self) return make(v1::ERROR_CODE_INVALID_ARGUMENT, field, "an arrow connects two different objects");
  if (objects_[it->second].shape() == v1::BOARD_SHAPE_ARROW)
    return make(v1::ERROR_CODE_INVALID_ARGUMENT, field, "an arrow connects boxes or labels, not arrows");
  return std::nullopt;
}

std::optional<v1::Error> board::check(const v1::BoardOp& op, const board_limits& lim) const {
  const auto& id = op.object_id();
  if (id.empty()) return make(v1::ERROR_CODE_MISSING_FIELD, "objectId", "objectId is required");
  if (!valid_id(id)) return make(v1::ERROR_CODE_INVALID_ARGUMENT, "objectId", "objectId is 1 to 32 of A-Z a-z 0-9 _ -");
  if (op.change_case() == v1::BoardOp::CHANGE_NOT_SET)
    return make(v1::ERROR_CODE_MISSING_FIELD, "put", "an op either puts or removes");
  if (ops_ >= lim.max_ops)
    return make(v1::ERROR_CODE_FAILED_PRECONDITION, "",
                "this board has taken its " + std::to_string(lim.max_ops) + " changes for the round");
  const bool gone = removed_.count(id) > 0;
  const auto it = index_.find(id);
  if (op.has_remove()) {
    if (it == index_.end()) return make(v1::ERROR_CODE_NOT_FOUND, "objectId", "no object '" + id + "' on the board");
    return std::nullopt;
  }
  if (gone) return make(v1::ERROR_CODE_FAILED_PRECONDITION, "objectId", "'" + id + "' was removed from the board");
  const auto& p = op.put();
  const auto shape = it == index_.end() ? p.shape() : objects_[it->second].shape();
  if (it == index_.end()) {
    if (shape == v1::BOARD_SHAPE_UNSPECIFIED)
      return make(v1::ERROR_CODE_MISSING_FIELD, "shape", "a new object needs a shape");
    if (objects_.size() >= lim.max_objects)
      return make(v1::ERROR_CODE_FAILED_PRECONDITION, "",
                  "this board holds at most " + std::to_string(lim.max_objects) + " objects");
    if (shape == v1::BOARD_SHAPE_ARROW && (!p.has_from_id() || !p.has_to_id()))
      return make(v1::ERROR_CODE_MISSING_FIELD, p.has_from_id() ? "toId" : "fromId", "an arrow needs fromId and toId");
    if (shape != v1::BOARD_SHAPE_ARROW && (!p.has_x() || !p.has_y()))
      return make(v1::ERROR_CODE_MISSING_FIELD, p.has_x() ? "y" : "x", "a " + shape_name(shape) + " needs x and y");
  } else if (p.shape() != v1::BOARD_SHAPE_UNSPECIFIED && p.shape() != shape) {
    return make(v1::ERROR_CODE_INVALID_ARGUMENT, "shape",
                "'" + id + "' is a " + shape_name(shape) + "; shapes do not change");
  }
  const bool arrow = shape == v1::BOARD_SHAPE_ARROW;
  auto not_for = [&](const char* field) {
    return make(v1::ERROR_CODE_INVALID_ARGUMENT, field,
                std::string(field) + " does not apply to a " + shape_name(shape));
  };
  if (arrow && (p.has_x() || p.has_y())) return not_for(p.has_x() ? "x" : "y");
  if (shape != v1::BOARD_SHAPE_BOX && (p.has_w() || p.has_h())) return not_for(p.has_w() ? "w" : "h");
  if (!arrow && (p.has_from_id() || p.has_to_id())) return not_for(p.has_from_id() ? "fromId" : "toId");
  auto range = [&](const char* field, int32_t v, int32_t lo, int32_t hi) -> std::optional<v1::Error> {
    if (v >= lo && v <= hi) return std::nullopt;
    return make(v1::ERROR_CODE_INVALID_ARGUMENT, field,
                std::string(field) + " is " + std::to_string(v) + "; it must be " + std::to_string(lo) + ".." +
                    std::to_string(hi));
  };
  if (p.has_x())
    if (auto e = range("x", p.x(), 0, lim.width)) return e;
  if (p.has_y())
    if (auto e = range("y", p.y(), 0, lim.height)) return e;
  if (p.has_w())
    if (auto e = range("w", p.w(), lim.min_size, lim.max_size)) return e;
  if (p.has_h())
    if (auto e = range("h", p.h(), lim.min_size, lim.max_size)) return e;
  if (p.has_text() && p.text().size() > lim.max_text_bytes)
    return make(
        v1::ERROR_CODE_FIELD_TOO_LONG, "text",
        "text is " + std::to_string(p.text().size()) + " bytes; the limit is " + std::to_string(lim.max_text_bytes));
  if (p.has_from_id())
    if (auto e = check_endpoint("fromId", p.from_id(), id)) return e;
  if (p.has_to_id())
    if (auto e = check_endpoint("toId", p.to_id(), id)) return e;
  if (arrow) {
    const auto* o = it == index_.end() ? nullptr : &objects_[it->second];
    const auto& from = p.has_from_id() ? p.from_id() : o->from_id();
    const auto& to = p.has_to_id() ? p.to_id() : o->to_id();
    if (from == to) return make(v1::ERROR_CODE_INVALID_ARGUMENT, "toId", "an arrow connects two different objects");
  }
  return std::nullopt;
}

void board::set(v1::BoardObject& o, const v1::BoardProps& p) {
  if (p.has_x()) o.set_x(p.x());
  if (p.has_y()) o.set_y(p.y());
  if (p.has_w()) o.set_w(p.w());
  if (p.has_h()) o.set_h(p.h());
  if (p.has_text()) o.set_text(p.text());
  if (p.has_from_id()) o.set_from_id(p.from_id());
  if (p.has_to_id()) o.set_to_id(p.to_id());
}

board::result board::plan(const v1::BoardOp& in, const std::string& by, const board_limits& limits) const {
  result r;
  if (auto e = check(in, limits)) {
    r.error = std::move(e);
    return r;
  }
  if (in.has_remove() && removed_.count(in.object_id())) return r;  // already gone: nothing to say
  auto op = in;
  op.set_by_participant_id(by);
  if (op.has_put() && !index_.count(op.object_id())) {
    // New objects get a box's default size so a click makes something visible.
    auto* p = op.mutable_put();
    if (p->shape() == v1::BOARD_SHAPE_BOX) {
      if (!p->has_w()) p->set_w(320);
      if (!p->has_h()) p->set_h(120);
    }
  }
  r.applied.push_back(std::move(op));
  if (in.has_remove()) {
    // The arrows attached go with it, each as an op of its own in the log.
    for (const auto& o : objects_) {
      if (o.shape() != v1::BOARD_SHAPE_ARROW || removed_.count(o.id())) continue;
      if (o.from_id() != in.object_id() && o.to_id() != in.object_id()) continue;
      v1::BoardOp cascade;
      cascade.set_object_id(o.id());
      cascade.set_remove(true);
      cascade.set_by_participant_id(by);
      r.applied.push_back(std::move(cascade));
    }
  }
  for (size_t i = 0; i < r.applied.size(); ++i) r.applied[i].set_seq(seq_ + 1 + i);
  return r;
}

bool board::replay(const v1::BoardOp& op) {
  if (op.seq() <= seq_) return false;
  const auto& id = op.object_id();
  if (op.has_remove()) {
    if (!index_.count(id) || removed_.count(id)) return false;
    removed_.insert(id);
    --live_;
  } else if (op.has_put()) {
    if (removed_.count(id)) return false;
    auto* o = find(id);
    if (!o) {
      index_[id] = objects_.size();
      o = &objects_.emplace_back();
      o->set_id(id);
      o->set_shape(op.put().shape());
      o->set_created_by(op.by_participant_id());
      ++live_;
    }
    set(*o, op.put());
    o->set_updated_seq(op.seq());
  } else {
    return false;
  }
  seq_ = op.seq();
  ++ops_;
  return true;
}

v1::Board board::snapshot(const std::string& room_id, uint32_t round) const {
  v1::Board b;
  b.set_room_id(room_id);
  b.set_round(round);
  b.set_seq(seq_);
  for (const auto& o : objects_)
    if (!removed_.count(o.id())) *b.add_objects() = o;
  return b;
}

// ---------------------------------------------------------------- rendering

namespace {

std::string xml_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        // XML 1.0 has no place for other control characters.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n')
          out += ' ';
        else
          out += c;
    }
  }
  return out;
}

// Splits text into lines of at most `width` bytes at spaces (UTF-8 safe:
// it only breaks at ASCII spaces, or at a lead byte when a word is longer).
std::vector<std::string> wrap(const std::string& text, size_t width) {
  std::vector<std::string> lines;
  std::string line;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = text.find(' ', i);
    if (j == std::string::npos) j = text.size();
    std::string word = text.substr(i, j - i);
    i = j + 1;
    while (word.size() > width) {
      size_t cut = width;
      while (cut > 0 && (static_cast<unsigned char>(word[cut]) & 0xC0) == 0x80) --cut;
      if (cut == 0) cut = word.size();
      if (!line.empty()) lines.push_back(std::exchange(line, {}));
      lines.push_back(word.substr(0, cut));
      word.erase(0, cut);
    }
    if (!line.empty() && line.size() + 1 + word.size() > width) lines.push_back(std::exchange(line, {}));
    if (!word.empty()) line += (line.empty() ? "" : " ") + word;
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

struct point {
  double x, y;
};

// Where the line from an object's centre towards `toward` leaves it.
point edge(const v1::BoardObject& o, point toward) {
  const point c{o.x() + o.w() / 2.0, o.y() + o.h() / 2.0};
  if (o.shape() != v1::BOARD_SHAPE_BOX) return c;
  const double dx = toward.x - c.x, dy = toward.y - c.y;
  if (dx == 0 && dy == 0) return c;
  const double tx = dx == 0 ? 1e9 : (o.w() / 2.0) / std::abs(dx);
  const double ty = dy == 0 ? 1e9 : (o.h() / 2.0) / std::abs(dy);
  const double t = std::min({tx, ty, 1.0});
  return {c.x + dx * t, c.y + dy * t};
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f", v);
  return buf;
}

}  // namespace

std::string render_board_svg(const v1::Board& b) {
  if (b.objects().empty()) return {};
  std::unordered_map<std::string, const v1::BoardObject*> by_id;
  int32_t x0 = 4000, y0 = 3000, x1 = 0, y1 = 0;
  for (const auto& o : b.objects()) {
    by_id[o.id()] = &o;
    if (o.shape() == v1::BOARD_SHAPE_ARROW) continue;
    // A label's text runs right of its anchor; give it room.
    const int32_t w =
        o.shape() == v1::BOARD_SHAPE_BOX ? o.w() : 16 * static_cast<int32_t>(std::min<size_t>(o.text().size(), 60));
    const int32_t h = o.shape() == v1::BOARD_SHAPE_BOX ? o.h() : 8;
    x0 = std::min(x0, o.x());
    y0 = std::min(y0, o.y() - (o.shape() == v1::BOARD_SHAPE_LABEL ? 30 : 0));
    x1 = std::max(x1, o.x() + w);
    y1 = std::max(y1, o.y() + h);
  }
  if (x1 <= x0 || y1 <= y0) x0 = 0, y0 = 0, x1 = 400, y1 = 300;
  const int32_t pad = 24;
  const int32_t vw = x1 - x0 + 2 * pad, vh = y1 - y0 + 2 * pad;
  std::string s;
  s += "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"" + std::to_string(x0 - pad) + " " +
       std::to_string(y0 - pad) + " " + std::to_string(vw) + " " + std::to_string(vh) + "\" width=\"" +
       std::to_string(std::min(vw, 1200)) + "\" font-family=\"sans-serif\" font-size=\"28\">";
  s += "<defs><marker id=\"head\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" "
       "orient=\"auto-start-reverse\"><path d=\"M0,0L10,5L0,10z\" fill=\"#334\"/></marker></defs>";
  s += "<rect x=\"" + std::to_string(x0 - pad) + "\" y=\"" + std::to_string(y0 - pad) + "\" width=\"" +
       std::to_string(vw) + "\" height=\"" + std::to_string(vh) + "\" fill=\"#fff\"/>";
  // Arrows first, so boxes sit on top of their ends.
  for (const auto& o : b.objects()) {
    if (o.shape() != v1::BOARD_SHAPE_ARROW) continue;
    const auto f = by_id.find(o.from_id()), t = by_id.find(o.to_id());
    if (f == by_id.end() || t == by_id.end()) continue;
    const point fc{f->second->x() + f->second->w() / 2.0, f->second->y() + f->second->h() / 2.0};
    const point tc{t->second->x() + t->second->w() / 2.0, t->second->y() + t->second->h() / 2.0};
    const auto a = edge(*f->second, tc), z = edge(*t->second, fc);
    s += "<line x1=\"" + num(a.x) + "\" y1=\"" + num(a.y) + "\" x2=\"" + num(z.x) + "\" y2=\"" + num(z.y) +
         "\" stroke=\"#334\" stroke-width=\"3\" marker-end=\"url(#head)\"/>";
    if (!o.text().empty())
      s += "<text x=\"" + num((a.x + z.x) / 2) + "\" y=\"" + num((a.y + z.y) / 2 - 10) +
           "\" text-anchor=\"middle\" fill=\"#446\" font-size=\"24\">" + xml_escape(o.text()) + "</text>";
  }
  for (const auto& o : b.objects()) {
    if (o.shape() == v1::BOARD_SHAPE_BOX) {
      s += "<rect x=\"" + std::to_string(o.x()) + "\" y=\"" + std::to_string(o.y()) + "\" width=\"" +
           std::to_string(o.w()) + "\" height=\"" + std::to_string(o.h()) +
           "\" rx=\"10\" fill=\"#eef3ff\" stroke=\"#334\" stroke-width=\"3\"/>";
      // About 15 units a character at 28 units a line.
      const auto lines = wrap(o.text(), std::max<size_t>(4, static_cast<size_t>(o.w() / 15)));
      const double first = o.y() + o.h() / 2.0 - (static_cast<double>(lines.size()) - 1) * 16 + 10;
      for (size_t i = 0; i < lines.size(); ++i)
        s += "<text x=\"" + num(o.x() + o.w() / 2.0) + "\" y=\"" + num(first + 32.0 * static_cast<double>(i)) +
             "\" text-anchor=\"middle\">" + xml_escape(lines[i]) + "</text>";
    } else if (o.shape() == v1::BOARD_SHAPE_LABEL) {
      s += "<text x=\"" + std::to_string(o.x()) + "\" y=\"" + std::to_string(o.y()) + "\" fill=\"#223\">" +
           xml_escape(o.text()) + "</text>";
    }
  }
  s += "</svg>";
  return s;
}

std::vector<std::string> describe_board(const v1::Board& b) {
  std::unordered_map<std::string, const v1::BoardObject*> by_id;
  for (const auto& o : b.objects()) by_id[o.id()] = &o;
  auto name = [&](const std::string& id) {
    const auto it = by_id.find(id);
    const auto& t = it == by_id.end() ? id : it->second->text();
    return "[" + (t.empty() ? id : t) + "]";
  };
  std::vector<std::string> out;
  for (const auto& o : b.objects()) {
    switch (o.shape()) {
      case v1::BOARD_SHAPE_BOX:
        out.push_back(name(o.id()));
        break;
      case v1::BOARD_SHAPE_ARROW:
        out.push_back(name(o.from_id()) + " -> " + name(o.to_id()) + (o.text().empty() ? "" : ": " + o.text()));
        break;
      case v1::BOARD_SHAPE_LABEL:
        out.push_back("\"" + o.text() + "\"");
        break;
      default:
        break;
    }
  }
  return out;
}

}  // namespace mockloop
