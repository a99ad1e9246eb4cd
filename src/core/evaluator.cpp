#include "evaluator.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <string.h>
#include <string_view>

#include "decimal.hpp"
#include "instant.hpp"
#include "text.hpp"

namespace wf {
namespace {

using json = nlohmann::ordered_json;

std::string_view fact_text(const wf_fact& f) { return std::string_view(f.str, f.len); }

wf_fact missing() {
  wf_fact f{};
  f.kind = WF_FACT_MISSING;
  return f;
}

// Element i of an array fact: from its items, or from the host (into scratch).
const wf_fact& item(const wf_fact& array, size_t i, EvalContext& ctx, wf_fact& scratch) {
  if (array.items) return array.items[i];
  const wf_host* host = ctx.host();
  if (!host || !host->child || !host->child(&array, nullptr, 0, i, &scratch)) scratch = missing();
  return scratch;
}

wf_fact item(const wf_fact& array, size_t i, EvalContext& ctx) {
  wf_fact scratch;
  return item(array, i, ctx, scratch);
}

// Follows path from a fact, through the host for objects.
wf_fact navigate(wf_fact at, const Path& path, EvalContext& ctx) {
  for (const PathStep& step : path) {
    if (step.is_index) {
      if (at.kind != WF_FACT_ARRAY || step.index >= at.n_items) return missing();
      at = item(at, step.index, ctx);
    } else {
      const wf_host* host = ctx.host();
      wf_fact out = missing();
      if (at.kind != WF_FACT_OBJECT || !host || !host->child ||
          !host->child(&at, step.key.data(), step.key.size(), 0, &out))
        return missing();
      at = out;
    }
  }
  return at;
}

// The fact a field names: a root slot, or a path from the current element
// (into scratch).
const wf_fact& resolve(const FieldRef& ref, EvalContext& ctx, wf_fact& scratch) {
  if (!ref.relative) return ctx.root(ref.slot);
  scratch = ctx.elements.empty() ? missing() : navigate(ctx.elements.back(), ref.path, ctx);
  return scratch;
}

wf_fact resolve(const FieldRef& ref, EvalContext& ctx) {
  wf_fact scratch;
  return resolve(ref, ctx, scratch);
}

// The exact decimal text of a number fact ("" when unknown).
std::string fact_decimal(const wf_fact& f, EvalContext& ctx) {
  if (!f.inexact) {
    if (std::fabs(f.number) < 9007199254740992.0 && f.number == std::floor(f.number)) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.0f", f.number);
      return buf;
    }
    return "";
  }
  const wf_host* host = ctx.host();
  if (!host || !host->number_text) return "";
  char buf[1200];
  const size_t n = host->number_text(&f, buf, sizeof buf);
  return n > 0 && n <= sizeof buf ? std::string(buf, n) : std::string();
}

// Three-way order of a number fact against a number operand, exact when the
// doubles are equal and either side was rounded.
int compare_number(const wf_fact& f, const Operand& o, EvalContext& ctx) {
  if (f.number < o.number) return -1;
  if (f.number > o.number) return 1;
  if (!f.inexact && !o.inexact) return 0;
  const std::string d = fact_decimal(f, ctx);
  if (d.empty() || o.decimal.empty()) return 0;
  auto c = compare_decimal_text(d, o.decimal);
  return c ? *c : 0;
}

// Case folding writes into a buffer kept from call to call; one grown past
// kKeepFoldBytes is released when the call is done (review finding: a 200 MB
// text left 1.9 GB held by an idle session).
constexpr size_t kKeepFoldBytes = 1 << 20;
struct ReleaseIfLarge {
  std::string& buffer;
  ~ReleaseIfLarge() {
    if (buffer.capacity() > kKeepFoldBytes) std::string().swap(buffer);
  }
};

// Compares actual text against an operand, folding case when asked.
int compare_text(std::string_view actual, const Operand& o, bool ignore_case) {
  if (ignore_case) {
    static thread_local std::string folded;
    ReleaseIfLarge release{folded};
    fold_case(actual, folded);
    const int c = std::string_view(folded).compare(o.folded);
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  const int c = actual.compare(o.text);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

// Substring search in linear time whatever the input (glibc's memmem is the
// Two-Way algorithm); with ignore_case the text is folded first into a
// buffer that is reused from call to call.
bool find_text(std::string_view hay, std::string_view needle, bool ignore_case,
               EvalContext& ctx) {
  ctx.work(static_cast<uint32_t>(std::min<size_t>(hay.size() / 64, 1u << 20)));
  static thread_local std::string folded;
  ReleaseIfLarge release{folded};
  if (ignore_case) {
    fold_case(hay, folded);
    hay = folded;
  }
  if (needle.size() > hay.size()) return false;
  if (needle.empty()) return true;
  return memmem(hay.data(), hay.size(), needle.data(), needle.size()) != nullptr;
}

// Prefix / suffix, folding case when asked.
bool affix(std::string_view text, const Operand& o, bool ignore_case, bool prefix) {
  static thread_local std::string folded;
  ReleaseIfLarge release{folded};
  if (ignore_case) {
    fold_case(text, folded);
    text = folded;
  }
  const std::string& needle = ignore_case ? o.folded : o.text;
  if (needle.size() > text.size()) return false;
  const size_t pos = prefix ? 0 : text.size() - needle.size();
  return text.compare(pos, needle.size(), needle) == 0;
}

// Three-way order of actual against an operand of the same type (-1, 0, 1),
// or kNoOrder when the two are not comparable (different JSON types, or a
// date against a non-date).  (An int, not an optional: this is the hot path.)
constexpr int kNoOrder = 2;

inline int order(const wf_fact& actual, const Operand& o, bool ignore_case, EvalContext& ctx) {
  if (o.kind == Operand::Kind::Number && actual.kind == WF_FACT_NUMBER) {
    if (actual.number < o.number) return -1;
    if (actual.number > o.number) return 1;
    // Both beyond a double's range on one side: no telling them apart.
    if (std::isinf(actual.number) && (o.decimal.empty() || !actual.inexact)) return kNoOrder;
    return compare_number(actual, o, ctx);
  }
  if (o.kind == Operand::Kind::String && actual.kind == WF_FACT_STRING) {
    if (o.instant) {
      auto seen = parse_instant(fact_text(actual));
      if (!seen) return kNoOrder;
      return *seen < *o.instant ? -1 : (*seen > *o.instant ? 1 : 0);
    }
    return compare_text(fact_text(actual), o, ignore_case);
  }
  return kNoOrder;
}

// JSON equality of a scalar fact and an operand: 1, 0, or -1 on a type
// mismatch (null is comparable with anything: it equals only null), which
// includes a date operand against a string that is no real date
// (kNotADate: "2024-02-30" is neither equal nor unequal to a date).
constexpr int kNotADate = -2;

inline int equals(const wf_fact& actual, const Operand& o, bool ignore_case, EvalContext& ctx) {
  // Plain text against plain text (the common "eq" and "in" leaf): equal
  // bytes, what order() answers 0 for, without its three-way compare.
  if (o.kind == Operand::Kind::String && actual.kind == WF_FACT_STRING && !o.instant && !ignore_case)
    return actual.len == o.text.size() && std::memcmp(actual.str, o.text.data(), actual.len) == 0;
  if (actual.kind == WF_FACT_NULL || o.kind == Operand::Kind::Null)
    return actual.kind == WF_FACT_NULL && o.kind == Operand::Kind::Null;
  if (o.kind == Operand::Kind::Bool)
    return actual.kind == WF_FACT_BOOL ? (actual.boolean != 0) == o.boolean : -1;
  const int c = order(actual, o, ignore_case, ctx);
  if (c == kNoOrder)
    return o.instant && actual.kind == WF_FACT_STRING ? kNotADate : -1;
  return c == 0;
}

// A string fact in NFC: the fact itself when it is already (ASCII, or a
// quick check: no copy), else a copy of it pointing into the thread's leaf
// or element buffer (README: Types and comparison).  Every text a leaf
// compares, searches, matches or measures goes through here once.  The
// buffers are the evaluation's own (leaf_outcome never runs inside itself);
// released when large by release_large_buffers().  Only a non-ASCII text
// touches them: reaching a thread_local from this shared library is a call
// (__tls_get_addr), 2-3% of a one-leaf screening scan when every leaf and
// every evaluation did it (perf, bench/results/screen_index.md).
struct NfcBuffers {
  std::string leaf, element;
  bool counted = false;  // this thread is in threads_with_large_buffers
};
thread_local NfcBuffers nfc_buffers;
// How many threads hold a buffer grown past kKeepFoldBytes: while none
// does, an evaluation has nothing to release and reads no thread_local.
std::atomic<int> threads_with_large_buffers{0};

void note_if_large() {
  NfcBuffers& b = nfc_buffers;
  if (!b.counted && (b.leaf.capacity() > kKeepFoldBytes || b.element.capacity() > kKeepFoldBytes)) {
    b.counted = true;
    threads_with_large_buffers.fetch_add(1, std::memory_order_relaxed);
  }
}

// Is every byte of s below 0x80?  Eight at a time: every text a leaf reads
// is tested once per row.
inline bool all_ascii(const char* s, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, s + i, 8);
    if (w & 0x8080808080808080ull) return false;
  }
  for (; i < n; ++i)
    if (static_cast<unsigned char>(s[i]) >= 0x80) return false;
  return true;
}

inline const wf_fact& nfc_fact(const wf_fact& f, bool element, wf_fact& scratch) {
  if (f.kind != WF_FACT_STRING || all_ascii(f.str, f.len)) return f;
  std::string& buf = element ? nfc_buffers.element : nfc_buffers.leaf;
  const bool normalized = to_nfc(fact_text(f), buf);
  note_if_large();
  if (!normalized) return f;
  scratch = f;
  scratch.str = buf.data();
  scratch.len = buf.size();
  return scratch;
}

}  // namespace

size_t nfc_buffer_bytes() { return nfc_buffers.leaf.capacity() + nfc_buffers.element.capacity(); }

namespace {

void release_large_buffers() {
  // (this thread's own increment is always visible to it)
  if (threads_with_large_buffers.load(std::memory_order_relaxed) == 0) return;
  NfcBuffers& b = nfc_buffers;
  if (!b.counted) return;
  if (b.leaf.capacity() > kKeepFoldBytes) std::string().swap(b.leaf);
  if (b.element.capacity() > kKeepFoldBytes) std::string().swap(b.element);
  b.counted = false;
  threads_with_large_buffers.fetch_sub(1, std::memory_order_relaxed);
}

bool is_scalar(const wf_fact& f) {
  return f.kind == WF_FACT_NULL || f.kind == WF_FACT_BOOL || f.kind == WF_FACT_NUMBER ||
         f.kind == WF_FACT_STRING;
}

// A scalar fact as an operand (fact against fact); false when it is not one.
bool fact_operand(const wf_fact& f, bool ignore_case, Operand& out, EvalContext& ctx) {
  out = Operand();
  switch (f.kind) {
    case WF_FACT_NULL: out.kind = Operand::Kind::Null; return true;
    case WF_FACT_BOOL:
      out.kind = Operand::Kind::Bool;
      out.boolean = f.boolean != 0;
      return true;
    case WF_FACT_NUMBER:
      out.kind = Operand::Kind::Number;
      out.number = f.number;
      out.inexact = f.inexact != 0;
      out.decimal = fact_decimal(f, ctx);
      return true;
    case WF_FACT_STRING:
      out.kind = Operand::Kind::String;
      if (!to_nfc(fact_text(f), out.text)) out.text.assign(f.str, f.len);
      if (ignore_case) fold_case(out.text, out.folded);
      out.instant = parse_instant(out.text);
      return true;
    default:
      return false;
  }
}

// Is actual one of list?  *not_a_date is set when it is text that is no
// real date and some date operand could not be compared with it.
bool in_list(const wf_fact& actual, const std::vector<Operand>& list, bool ignore_case,
             EvalContext& ctx, bool* not_a_date = nullptr) {
  ctx.work(static_cast<uint32_t>(list.size()));
  for (const auto& o : list) {
    const int eq = equals(actual, o, ignore_case, ctx);
    if (eq == 1) return true;
    if (eq == kNotADate && not_a_date) *not_a_date = true;
  }
  return false;
}

Outcome from(bool b) { return b ? Outcome::True : Outcome::False; }

// The operands of a leaf with every {"field": ...} replaced by the fact's
// value; Missing / TypeMismatch when a referenced fact is missing or is not
// a value.  Literal-only leaves use their compiled operands as they are.
struct Operands {
  const std::vector<Operand>* list = nullptr;
  std::vector<Operand> resolved;
  std::optional<Outcome> failure;
  std::vector<wf_fact> seen;  // the referenced facts, for explain
};

Operands operands_of(const Leaf& l, EvalContext& ctx) {
  Operands out;
  if (!l.has_ref) {
    out.list = &l.operands;
    return out;
  }
  const bool list_op = l.op == Op::In || l.op == Op::NotIn;
  for (const auto& o : l.operands) {
    if (!o.ref) {
      out.resolved.push_back(o);
      continue;
    }
    const wf_fact f = resolve(*o.ref, ctx);
    out.seen.push_back(f);
    if (f.kind == WF_FACT_MISSING) {
      out.failure = Outcome::Missing;
      continue;
    }
    if (list_op) {  // the list itself is a fact: an array of values
      if (f.kind != WF_FACT_ARRAY) {
        out.failure = Outcome::TypeMismatch;
        continue;
      }
      for (size_t i = 0; i < f.n_items; ++i) {
        ctx.work();
        Operand e;
        if (fact_operand(item(f, i, ctx), l.ignore_case, e, ctx))
          out.resolved.push_back(std::move(e));
      }
      continue;
    }
    Operand e;
    if (!fact_operand(f, l.ignore_case, e, ctx)) {
      out.failure = Outcome::TypeMismatch;
      continue;
    }
    out.resolved.push_back(std::move(e));
  }
  out.list = &out.resolved;
  if (!out.failure && l.op == Op::Between) {
    const Operand &lo = out.resolved[0], &hi = out.resolved[1];
    if (lo.kind != hi.kind || lo.instant.has_value() != hi.instant.has_value() ||
        (lo.kind != Operand::Kind::Number && lo.kind != Operand::Kind::String))
      out.failure = Outcome::TypeMismatch;
  }
  return out;
}

Outcome compare_size(Op op, double size, const Operand& o) {
  const int c = size < o.number ? -1 : (size > o.number ? 1 : 0);
  switch (op) {
    case Op::SizeEq: return from(c == 0);
    case Op::SizeNe: return from(c != 0);
    case Op::SizeLt: return from(c < 0);
    case Op::SizeLte: return from(c <= 0);
    case Op::SizeGt: return from(c > 0);
    default: return from(c >= 0);
  }
}

Outcome leaf_outcome(const Leaf& l, const wf_fact& given, const std::vector<Operand>& list,
                     EvalContext& ctx) {
  if (l.op == Op::NotExists)
    return from(given.kind == WF_FACT_MISSING || given.kind == WF_FACT_NULL);
  if (given.kind == WF_FACT_MISSING) return Outcome::Missing;
  wf_fact normalized;
  const wf_fact& f = nfc_fact(given, false, normalized);
  const Operand* o = list.empty() ? nullptr : &list[0];
  switch (l.op) {
    case Op::Exists:
      return from(f.kind != WF_FACT_NULL);
    case Op::Eq:
    case Op::Ne: {
      if (!is_scalar(f)) return Outcome::TypeMismatch;
      const int eq = equals(f, *o, l.ignore_case, ctx);
      if (eq < 0) return Outcome::TypeMismatch;
      return from(l.op == Op::Eq ? eq == 1 : eq == 0);
    }
    case Op::Lt:
    case Op::Lte:
    case Op::Gt:
    case Op::Gte: {
      const int c = order(f, *o, l.ignore_case, ctx);
      if (c == kNoOrder) return Outcome::TypeMismatch;
      switch (l.op) {
        case Op::Lt: return from(c < 0);
        case Op::Lte: return from(c <= 0);
        case Op::Gt: return from(c > 0);
        default: return from(c >= 0);
      }
    }
    case Op::Between: {
      if (list[0].instant && f.kind == WF_FACT_STRING) {
        // Dates: parse the field once for both bounds.
        auto seen = parse_instant(fact_text(f));
        if (!seen) return Outcome::TypeMismatch;
        return from(*seen >= *list[0].instant && *seen <= *list[1].instant);
      }
      const int lo = order(f, list[0], l.ignore_case, ctx);
      const int hi = order(f, list[1], l.ignore_case, ctx);
      if (lo == kNoOrder || hi == kNoOrder) return Outcome::TypeMismatch;
      return from(lo >= 0 && hi <= 0);
    }
    case Op::In:
    case Op::NotIn: {
      bool found = false;
      if (f.kind == WF_FACT_ARRAY) {
        wf_fact scratch, element;
        for (size_t i = 0; i < f.n_items && !found; ++i)
          found = in_list(nfc_fact(item(f, i, ctx, scratch), true, element), list,
                          l.ignore_case, ctx);
      } else if (is_scalar(f)) {
        bool not_a_date = false;
        found = in_list(f, list, l.ignore_case, ctx, &not_a_date);
        if (!found && not_a_date) return Outcome::TypeMismatch;
      } else {
        return Outcome::TypeMismatch;
      }
      return from(l.op == Op::In ? found : !found);
    }
    case Op::Contains:
    case Op::NotContains: {
      bool found = false;
      if (f.kind == WF_FACT_ARRAY) {
        wf_fact scratch, element;
        for (size_t i = 0; i < f.n_items && !found; ++i) {
          ctx.work();
          found = equals(nfc_fact(item(f, i, ctx, scratch), true, element), *o,
                         l.ignore_case, ctx) == 1;
        }
      } else if (f.kind == WF_FACT_STRING && o->kind == Operand::Kind::String) {
        found = find_text(fact_text(f), l.ignore_case ? o->folded : o->text, l.ignore_case, ctx);
      } else {
        return Outcome::TypeMismatch;
      }
      return from(l.op == Op::Contains ? found : !found);
    }
    case Op::StartsWith:
    case Op::EndsWith:
      if (f.kind != WF_FACT_STRING || o->kind != Operand::Kind::String)
        return Outcome::TypeMismatch;
      return from(affix(fact_text(f), *o, l.ignore_case, l.op == Op::StartsWith));
    case Op::Matches:
      if (f.kind != WF_FACT_STRING) return Outcome::TypeMismatch;
      // RE2 is linear in the text, but a long text is still long: bounded.
      if (f.len > WF_MAX_MATCH_TEXT_BYTES) return Outcome::TooLong;
      ctx.work(static_cast<uint32_t>(f.len / 64));
      return from(RE2::PartialMatch(re2::StringPiece(f.str, f.len), *l.regex));
    case Op::SizeEq:
    case Op::SizeNe:
    case Op::SizeLt:
    case Op::SizeLte:
    case Op::SizeGt:
    case Op::SizeGte:
      if (f.kind == WF_FACT_ARRAY) return compare_size(l.op, static_cast<double>(f.n_items), *o);
      if (f.kind == WF_FACT_STRING)
        return compare_size(l.op, static_cast<double>(utf8_length(fact_text(f))), *o);
      return Outcome::TypeMismatch;
    case Op::WithinLast:
    case Op::WithinNext:
    case Op::OlderThan: {
      const int64_t at = ctx.at();
      if (f.kind != WF_FACT_STRING) return Outcome::TypeMismatch;
      auto seen = parse_instant(fact_text(f));
      if (!seen) return Outcome::TypeMismatch;
      const Duration d{l.duration_months, l.duration_micros};
      if (l.op == Op::WithinLast) return from(*seen >= shift_instant(at, d, -1) && *seen <= at);
      if (l.op == Op::WithinNext) return from(*seen >= at && *seen <= shift_instant(at, d, 1));
      return from(*seen < shift_instant(at, d, -1));
    }
    case Op::NotExists:
    case Op::Some:
    case Op::Every:
    case Op::None:
      break;
  }
  return Outcome::False;
}

Outcome evaluate_leaf(const Leaf& l, const wf_fact& f, const Operands& ops, EvalContext& ctx) {
  if (ops.failure && l.op != Op::NotExists && f.kind != WF_FACT_MISSING) return *ops.failure;
  return leaf_outcome(l, f, *ops.list, ctx);
}

Outcome evaluate_leaf(const Leaf& l, EvalContext& ctx) {
  wf_fact scratch;
  const wf_fact& f = resolve(l.field, ctx, scratch);
  if (f.kind == WF_FACT_MISSING && l.op != Op::NotExists) return Outcome::Missing;
  if (!l.has_ref) return leaf_outcome(l, f, l.operands, ctx);  // literal operands: no copies
  return evaluate_leaf(l, f, operands_of(l, ctx), ctx);
}

bool eval_node(const Condition& c, uint32_t index, EvalContext& ctx);

// How a quantified group came out: the result, the number of elements, and
// the element that decided it (the first match of some/none, the first
// mismatch of every), or -1.
struct Quantified {
  Outcome outcome = Outcome::False;
  size_t elements = 0;
  long decided_by = -1;
  wf_fact array{};
};

Quantified evaluate_quantified(const Condition& c, const Node& n, EvalContext& ctx) {
  const Quantifier& q = c.quantifiers[n.first];
  Quantified out;
  out.array = resolve(q.field, ctx);
  if (out.array.kind == WF_FACT_MISSING) {
    out.outcome = Outcome::Missing;
    return out;
  }
  if (out.array.kind != WF_FACT_ARRAY) {
    out.outcome = Outcome::TypeMismatch;
    return out;
  }
  out.elements = out.array.n_items;
  const bool want = q.op != Op::Every;  // the element result that decides
  for (size_t i = 0; i < out.array.n_items; ++i) {
    ctx.work();
    ctx.elements.push_back(item(out.array, i, ctx));
    bool r;
    try {
      r = eval_node(c, n.child, ctx);
    } catch (...) {
      ctx.elements.pop_back();
      throw;
    }
    ctx.elements.pop_back();
    if (r == want) {
      out.decided_by = static_cast<long>(i);
      out.outcome = from(q.op == Op::Some);
      return out;
    }
  }
  out.outcome = from(q.op != Op::Some);
  return out;
}

bool eval_node(const Condition& c, uint32_t index, EvalContext& ctx) {
  const Node& n = c.nodes[index];
  switch (n.type) {
    case Node::Type::Leaf:
      return evaluate_leaf(c.leaves[n.first], ctx) == Outcome::True;
    case Node::Type::Quantified:
      return evaluate_quantified(c, n, ctx).outcome == Outcome::True;
    case Node::Type::Not:
      return !eval_node(c, c.children[n.first], ctx);
    case Node::Type::All:
      for (uint32_t i = 0; i < n.count; ++i)
        if (!eval_node(c, c.children[n.first + i], ctx)) return false;
      return true;
    case Node::Type::Any:
      for (uint32_t i = 0; i < n.count; ++i)
        if (eval_node(c, c.children[n.first + i], ctx)) return true;
      return false;
  }
  return false;
}

// Explanations show a fact bounded, whatever its size: every leaf of a
// condition may show the same large fact, and an explanation is built in
// memory PostgreSQL does not account for (review finding: 100 leaves over a
// 100,000-element array took 1.7 GB).  Texts are cut at kExplainTextBytes
// (on a character boundary), arrays after kExplainElements elements, nested
// arrays below kExplainDepth summarized; README "Explaining" states it.
constexpr size_t kExplainTextBytes = 256;
// The whole explanation: past this many bytes of JSON the remaining leaves are
// listed abridged and groups explain no more elements (review finding: 1,000
// leaves in a "some" made a 32 MB DETAIL, logged with every blocked move).
// Entries are explained in full while the explanation is under
// kExplainBudgetBytes, abridged while it stays under kExplainCapBytes; the
// leaves past that are only counted ({"truncated": true, "not_listed": n}),
// so an explanation is at most 64 KB whatever the rule and the facts
// (DESIGN section 6).
constexpr int64_t kExplainBudgetBytes = 32 * 1024;
constexpr int64_t kExplainCapBytes = 60 * 1024;
constexpr size_t kExplainElements = 20;
constexpr int kExplainDepth = 2;
// What an entry copies from the rule's operands ("expected", and the value
// in "reason") is bounded too: a 200,000-string "in" list made a 2.7 MB
// DETAIL (issue 18).
constexpr size_t kExplainOperandBytes = 4096;
constexpr size_t kReasonOperandBytes = 1024;

// The size of an entry as PostgreSQL prints it back (jsonb text puts a space
// after every ',' and ':' outside strings), which is what warnings and
// DETAIL show.
int64_t printed_size(const json& entry) {
  const std::string text = entry.dump();
  int64_t n = static_cast<int64_t>(text.size());
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (in_string) {
      if (ch == '\\') ++i;
      else if (ch == '"') in_string = false;
    } else if (ch == '"') {
      in_string = true;
    } else if (ch == ',' || ch == ':') {
      ++n;
    }
  }
  return n;
}

// The size of v as JSON text when it is at most cap, else something over cap
// (without writing out all of v).
size_t json_size_upto(const nlohmann::json& v, size_t cap) {
  switch (v.type()) {
    case nlohmann::json::value_t::string:
      return v.get_ref<const std::string&>().size() + 2;  // (escapes aside)
    case nlohmann::json::value_t::array: {
      size_t n = 2;
      for (const auto& e : v) {
        n += json_size_upto(e, cap) + 1;
        if (n > cap) return n;
      }
      return n;
    }
    case nlohmann::json::value_t::object: {
      size_t n = 2;
      for (auto it = v.begin(); it != v.end(); ++it) {
        n += it.key().size() + 4 + json_size_upto(it.value(), cap);
        if (n > cap) return n;
      }
      return n;
    }
    default:
      return v.dump().size();
  }
}

// A copy of an operand as written, at most about cap bytes of JSON: a value
// that fits is itself; otherwise a text becomes {"truncated": true, "bytes":
// N, "text": its start}, an array {"truncated": true, "items": k, "of": N,
// "first": [its first k elements, each bounded]}, an object keeps the
// members that fit and says "truncated": true.  Never JSON cut in the middle.
json bounded_operand(const nlohmann::json& v, size_t cap) {
  if (json_size_upto(v, cap) <= cap) return json(v);
  switch (v.type()) {
    case nlohmann::json::value_t::string: {
      const std::string& t = v.get_ref<const std::string&>();
      size_t cut = std::min<size_t>(kExplainTextBytes, cap / 2);
      while (cut > 0 && (static_cast<unsigned char>(t[cut]) & 0xC0) == 0x80) --cut;
      return json{{"truncated", true}, {"bytes", t.size()}, {"text", t.substr(0, cut)}};
    }
    case nlohmann::json::value_t::array: {
      json first = json::array();
      size_t used = 64;
      for (const auto& e : v) {
        if (used >= cap) break;
        json b = bounded_operand(e, cap - used);
        const size_t n = b.dump().size() + 1;
        if (used + n > cap) break;
        used += n;
        first.push_back(std::move(b));
      }
      return json{{"truncated", true}, {"items", first.size()}, {"of", v.size()},
                  {"first", std::move(first)}};
    }
    case nlohmann::json::value_t::object: {
      json out = json::object();
      size_t used = 32;
      bool cut = false;
      for (auto it = v.begin(); it != v.end(); ++it) {
        const size_t room = used < cap ? cap - used : 0;
        json b = room > it.key().size() + 8 ? bounded_operand(it.value(), room - it.key().size() - 8)
                                             : json();
        const size_t n = b.dump().size() + it.key().size() + 4;
        if (b.is_null() || used + n > cap) {
          cut = true;
          continue;
        }
        used += n;
        out[it.key()] = std::move(b);
      }
      if (cut) out["truncated"] = true;
      return out;
    }
    default:
      return json(v);
  }
}

// Which leaves and quantified groups made a condition (or a quantified
// group's "where", for one element) fail: README "Explaining".  A node
// whose value is not the one its parent needed is blamed; in an "all" that
// needed true, its false members; in an "any" that needed true, all of them
// (all false); "not" needs the opposite of its child; under a "not" an "all"
// that held blames every member, an "any" that held the members that held.
// So a member of an "any" that another member satisfied is never blamed.
struct Blame {
  std::vector<uint8_t> leaves;       // by leaf index
  std::vector<uint8_t> quantifiers;  // by quantifier index
  explicit Blame(const Condition& c) : leaves(c.leaves.size()), quantifiers(c.quantifiers.size()) {}
};

bool eval_node(const Condition& c, uint32_t index, EvalContext& ctx);

// Node index was not what it needed to be (needed: its value for the rule to hold).
void blame(const Condition& c, uint32_t index, bool needed, EvalContext& ctx, Blame& out) {
  const Node& n = c.nodes[index];
  switch (n.type) {
    case Node::Type::Leaf: out.leaves[n.first] = 1; return;
    case Node::Type::Quantified: out.quantifiers[n.first] = 1; return;
    case Node::Type::Not: blame(c, c.children[n.first], !needed, ctx, out); return;
    case Node::Type::All:
    case Node::Type::Any:
      for (uint32_t i = 0; i < n.count; ++i) {
        const uint32_t child = c.children[n.first + i];
        if (eval_node(c, child, ctx) != needed) blame(c, child, needed, ctx, out);
      }
      return;
  }
}

json fact_json(const wf_fact& f, EvalContext& ctx, int depth = 0) {
  switch (f.kind) {
    case WF_FACT_NULL: return nullptr;
    case WF_FACT_BOOL: return f.boolean != 0;
    case WF_FACT_NUMBER:
      // JSON has no infinity: say what the fact is (the shim gives +-inf for
      // a number beyond a double's range, e.g. 1e400).
      if (!std::isfinite(f.number))
        return f.number > 0 ? "a number above the range of a double"
                            : "a number below the range of a double";
      // Integral numbers print as integers, as they were most likely written.
      // (Range first: casting a huge double to an integer is undefined.)
      if (f.number > -9e15 && f.number < 9e15 && f.number == std::floor(f.number))
        return static_cast<int64_t>(f.number);
      return f.number;
    case WF_FACT_STRING: {
      if (f.len <= kExplainTextBytes) return std::string(f.str, f.len);
      size_t cut = kExplainTextBytes;
      while (cut > 0 && (static_cast<unsigned char>(f.str[cut]) & 0xC0) == 0x80) --cut;
      return std::string(f.str, cut) + "... (" + std::to_string(f.len) + " bytes)";
    }
    case WF_FACT_ARRAY: {
      if (depth >= kExplainDepth)
        return "an array of " + std::to_string(f.n_items) + " elements";
      json a = json::array();
      const size_t shown = std::min(f.n_items, kExplainElements);
      for (size_t i = 0; i < shown; ++i) {
        ctx.work();
        a.push_back(fact_json(item(f, i, ctx), ctx, depth + 1));
      }
      if (shown < f.n_items) a.push_back("... " + std::to_string(f.n_items - shown) + " more elements");
      return a;
    }
    case WF_FACT_OBJECT: return json::object();
    default: return nullptr;
  }
}

const char* fact_kind(const wf_fact& f) {
  switch (f.kind) {
    case WF_FACT_NULL: return "null";
    case WF_FACT_BOOL: return "a boolean";
    case WF_FACT_NUMBER: return "a number";
    case WF_FACT_STRING: return "a string";
    case WF_FACT_ARRAY: return "an array";
    case WF_FACT_OBJECT: return "an object";
    default: return "missing";
  }
}

// How a reason names a field: as written, and whose when it is not the
// candidate's (a candidate's field reads as it did before sources).
std::string field_label(const FieldRef& r) {
  std::string s = "field \"" + r.text + "\"";
  if (!r.relative && r.source != Source::Candidate)
    s += std::string(" of the ") + source_name(r.source);
  return s;
}

// The start of an explanation entry: path, field and, when not the
// candidate's, its source (so a client sees whose fact it was).
json entry_head(const std::string& path, const FieldRef& field) {
  json entry = {{"path", path}, {"field", field.text}};
  if (!field.relative && field.source != Source::Candidate)
    entry["source"] = source_name(field.source);
  return entry;
}

std::string reason(const Leaf& l, const wf_fact& f, const Operands& ops, Outcome outcome,
                   EvalContext& ctx) {
  switch (outcome) {
    case Outcome::True: return "";
    case Outcome::Missing:
      if (f.kind != WF_FACT_MISSING)
        for (size_t i = 0, r = 0; i < l.operands.size(); ++i)
          if (l.operands[i].ref && r < ops.seen.size() && ops.seen[r++].kind == WF_FACT_MISSING)
            return field_label(*l.operands[i].ref) + " (the value) is missing";
      return field_label(l.field) + " is missing";
    case Outcome::TooLong:
      return "text of " + std::to_string(f.len) + " bytes is longer than the " +
             std::to_string(WF_MAX_MATCH_TEXT_BYTES) + " bytes \"matches\" scans";
    case Outcome::TypeMismatch: {
      if (op_is_size(l.op))
        return "type mismatch: \"" + std::string(op_name(l.op)) +
               "\" measures an array or a string, the field holds " + fact_kind(f);
      if (op_is_relative_time(l.op))
        return "type mismatch: \"" + std::string(op_name(l.op)) +
               "\" compares an ISO-8601 date or timestamp, the field holds " +
               (f.kind == WF_FACT_STRING ? std::string("text that is no date") : fact_kind(f));
      const Operand* o = ops.list && !ops.list->empty() ? &(*ops.list)[0] : nullptr;
      // Fact against fact: say what the value's field holds when it is the odd one.
      for (size_t i = 0, r = 0; i < l.operands.size() && r < ops.seen.size(); ++i) {
        if (!l.operands[i].ref) continue;
        const wf_fact& seen = ops.seen[r++];
        const bool list_op = l.op == Op::In || l.op == Op::NotIn;
        if ((list_op && seen.kind != WF_FACT_ARRAY) ||
            (!list_op && (seen.kind == WF_FACT_NULL || !is_scalar(seen))))
          return "type mismatch: " + field_label(*l.operands[i].ref) + " (the value) holds " +
                 fact_kind(seen);
      }
      std::string wanted = !o                                  ? "a value"
                           : o->kind == Operand::Kind::Number ? "a number"
                           : o->instant                         ? "an ISO-8601 date"
                           : o->kind == Operand::Kind::String ? "a string"
                           : o->kind == Operand::Kind::Bool   ? "a boolean"
                                                               : "a value";
      return "type mismatch: \"" + std::string(op_name(l.op)) + "\" compares " + wanted +
             ", the field holds " + fact_kind(f);
    }
    case Outcome::False:
      break;
  }
  return fact_json(f, ctx).dump() + " " + std::string(op_name(l.op)) + " " +
         bounded_operand(l.value, kReasonOperandBytes).dump() + " is false";
}

// blamed: the leaf made the condition fail (Blame); passed is its negation.
json explain_leaf(const Leaf& l, EvalContext& ctx, bool only_failed, bool blamed, bool* keep) {
  const bool passed = !blamed;
  *keep = !(only_failed && passed);
  if (!*keep) return json();
  const wf_fact f = resolve(l.field, ctx);
  const Operands ops = operands_of(l, ctx);
  const Outcome outcome = f.kind == WF_FACT_MISSING && l.op != Op::NotExists
                              ? Outcome::Missing
                              : evaluate_leaf(l, f, ops, ctx);
  const bool result = outcome == Outcome::True;
  json entry = entry_head(l.path, l.field);
  entry["op"] = std::string(op_name(l.op));
  entry["expected"] = bounded_operand(l.value, kExplainOperandBytes);
  entry["actual"] = f.kind == WF_FACT_MISSING ? json() : fact_json(f, ctx);
  entry["missing"] = f.kind == WF_FACT_MISSING;
  entry["result"] = result;
  entry["negated"] = l.negated;
  entry["passed"] = passed;
  if (!ops.seen.empty()) {  // fact against fact: the other side's value
    json values = json::array();
    for (const wf_fact& s : ops.seen)
      values.push_back(s.kind == WF_FACT_MISSING ? json() : fact_json(s, ctx));
    entry["expected_value"] = values.size() == 1 ? values[0] : values;
  }
  if (!result) entry["reason"] = reason(l, f, ops, outcome, ctx);
  if (l.ignore_case) entry["ignore_case"] = true;
  return entry;
}

// nested: this group is inside an element's explanation.  A failed "some"
// explains its first three elements, a nested one only its first: three per
// level grew 3x per level of nesting (review finding: 31 nested "some" over a
// 3-element array, 62 nodes, took gigabytes); one per level is linear.
json explain_quantified(const Condition& c, const Unit& u, EvalContext& ctx, bool only_failed,
                        bool blamed, bool* keep,
                        bool nested = false) {  // (recursive: groups inside "where")
  const Quantifier& q = c.quantifiers[u.index];
  const bool passed = !blamed;
  *keep = !(only_failed && passed);
  if (!*keep) return json();
  const Quantified r = evaluate_quantified(c, c.nodes[u.node], ctx);
  const bool result = r.outcome == Outcome::True;
  const std::string op(op_name(q.op));
  json entry = entry_head(q.path, q.field);
  entry["op"] = op;
  entry["expected"] = bounded_operand(q.where, kExplainOperandBytes);
  entry["actual"] = r.outcome == Outcome::Missing ? json() : json{{"elements", r.elements}};
  entry["missing"] = r.outcome == Outcome::Missing;
  entry["result"] = result;
  entry["negated"] = q.negated;
  entry["passed"] = passed;
  if (r.decided_by >= 0) entry["element"] = r.decided_by;
  std::string why;
  if (r.outcome == Outcome::Missing) {
    why = field_label(q.field) + " is missing";
  } else if (r.outcome == Outcome::TypeMismatch) {
    why = "type mismatch: \"" + op + "\" needs an array, the field holds " + fact_kind(r.array);
  } else if (q.op == Op::Some) {
    why = result ? "element " + std::to_string(r.decided_by) + " matches"
                 : "none of the " + std::to_string(r.elements) + " elements matches";
  } else if (q.op == Op::Every) {
    why = result ? "all " + std::to_string(r.elements) + " elements match"
                 : "element " + std::to_string(r.decided_by) + " does not match";
  } else {
    why = result ? "none of the " + std::to_string(r.elements) + " elements matches"
                 : "element " + std::to_string(r.decided_by) + " matches";
  }
  entry[result ? "why" : "reason"] = why;
  // Why it failed, element by element: the inner leaves that made "where"
  // fail in the first elements (some), or in the element that did not match
  // (every), or that made it hold in the element that matched (none).
  // (Only when the group itself failed: a group that held under a "not" is
  // blamed as a whole.)
  if (!result && (r.outcome == Outcome::True || r.outcome == Outcome::False)) {
    std::vector<size_t> which;
    if (q.op == Op::Some) {
      for (size_t i = 0; i < r.elements && i < (nested ? 1u : 3u); ++i) which.push_back(i);
    } else if (r.decided_by >= 0) {
      which.push_back(static_cast<size_t>(r.decided_by));
    }
    json elements = json::array();
    for (size_t i : which) {
      if (ctx.explain_left <= 0) break;
      ctx.elements.push_back(item(r.array, i, ctx));
      json inner = json::array();
      try {
        Blame why_element(c);
        const uint32_t where = c.nodes[u.node].child;
        const bool needed = q.op != Op::None;
        if (eval_node(c, where, ctx) != needed) blame(c, where, needed, ctx, why_element);
        for (const Unit& iu : q.inner) {
          if (ctx.explain_left <= 0) break;
          bool keep = false;
          json e = iu.quantifier
                       ? explain_quantified(c, iu, ctx, true, why_element.quantifiers[iu.index] != 0,
                                            &keep, true)
                       : explain_leaf(c.leaves[iu.index], ctx, true,
                                      why_element.leaves[iu.index] != 0, &keep);
          if (keep) {
            ctx.explain_left -= static_cast<int64_t>(e.dump().size());
            inner.push_back(std::move(e));
          }
        }
      } catch (...) {
        ctx.elements.pop_back();
        throw;
      }
      ctx.elements.pop_back();
      elements.push_back(json{{"element", i}, {"leaves", std::move(inner)}});
    }
    if (!elements.empty()) entry["elements_explained"] = std::move(elements);
  }
  return entry;
}

}  // namespace

bool evaluate(const Condition& c, EvalContext& ctx) {
  // The reference instant is settled first, so whether a condition with
  // relative time fails for want of one does not hang on which leaves the
  // cheap-first order happens to reach.
  if (c.uses_relative_time) ctx.at();
  release_large_buffers();
  return eval_node(c, 0, ctx);
}

json explain(const Condition& c, EvalContext& ctx, bool only_failed) {
  const bool result = evaluate(c, ctx);
  Blame blamed(c);
  if (!result) blame(c, 0, true, ctx, blamed);
  json leaves = json::array();
  ctx.explain_left = kExplainBudgetBytes;
  int64_t used = 0;
  size_t not_listed = 0;
  for (const Unit& u : c.units) {
    bool keep = false;
    const bool b = u.quantifier ? blamed.quantifiers[u.index] != 0 : blamed.leaves[u.index] != 0;
    if (used >= kExplainCapBytes) {  // past the cap: counted only
      if (!only_failed || b) ++not_listed;
      continue;
    }
    json entry = u.quantifier ? explain_quantified(c, u, ctx, only_failed, b, &keep)
                              : explain_leaf(c.leaves[u.index], ctx, only_failed, b, &keep);
    if (!keep) continue;
    int64_t size = printed_size(entry);
    if (ctx.explain_left <= 0 || used + size > kExplainBudgetBytes) {
      // Past the budget: what the leaf is and how it came out, not why.
      for (const char* detail : {"expected", "expected_value", "actual", "reason", "why",
                                 "elements_explained", "element"})
        entry.erase(detail);
      entry["abridged"] = true;
      size = printed_size(entry);
    }
    if (used + size > kExplainCapBytes) {
      used = kExplainCapBytes;
      ++not_listed;
      continue;
    }
    used += size + 2;
    ctx.explain_left -= size;
    leaves.push_back(std::move(entry));
  }
  if (not_listed > 0) leaves.push_back(json{{"truncated", true}, {"not_listed", not_listed}});
  return json{{"result", result}, {"leaves", std::move(leaves)}};
}

// The paths of the leaves and groups that made the condition fail (none
// when it holds): what a rule's generated alerts fire for, complete however
// long (the explanation lists them bounded).
std::vector<std::string> failed_paths(const Condition& c, EvalContext& ctx, bool* result) {
  std::vector<std::string> out;
  *result = evaluate(c, ctx);
  if (*result) return out;
  Blame blamed(c);
  blame(c, 0, true, ctx, blamed);
  for (const Unit& u : c.units)
    if (u.quantifier ? blamed.quantifiers[u.index] : blamed.leaves[u.index])
      out.push_back(u.quantifier ? c.quantifiers[u.index].path : c.leaves[u.index].path);
  return out;
}

}  // namespace wf
