#include "evaluation_order.hpp"

#include <algorithm>

namespace wf {
namespace {

int leaf_cost(const Leaf& l) {
  if (l.op == Op::Exists || l.op == Op::NotExists) return 0;
  if (l.op == Op::Matches) return 5;
  if (op_is_relative_time(l.op)) return 4;
  int cost = 1;
  for (const Operand& o : l.operands) {
    if (o.instant) return 4;
    if (o.kind == Operand::Kind::String) cost = std::max(cost, 2);
  }
  if (op_is_size(l.op)) return 1;
  if (l.ignore_case || l.has_ref || l.op == Op::Contains || l.op == Op::NotContains) return 3;
  if (l.op == Op::StartsWith || l.op == Op::EndsWith || l.op == Op::In || l.op == Op::NotIn)
    cost = std::max(cost, 2);
  return cost;
}

}  // namespace

int cost_class(const Condition& c, uint32_t index) {
  const Node& n = c.nodes[index];
  switch (n.type) {
    case Node::Type::Leaf: return leaf_cost(c.leaves[n.first]);
    case Node::Type::Quantified: return 6;
    case Node::Type::Not:
    case Node::Type::All:
    case Node::Type::Any: {
      int cost = 0;
      for (uint32_t i = 0; i < n.count; ++i)
        cost = std::max(cost, cost_class(c, c.children[n.first + i]));
      return cost;
    }
  }
  return 6;
}

void order_cheap_first(Condition& c) {
  for (const Node& n : c.nodes) {
    if ((n.type != Node::Type::All && n.type != Node::Type::Any) || n.count < 2) continue;
    auto begin = c.children.begin() + n.first;
    std::vector<std::pair<int, uint32_t>> keyed;
    keyed.reserve(n.count);
    for (auto it = begin; it != begin + n.count; ++it) keyed.emplace_back(cost_class(c, *it), *it);
    std::stable_sort(keyed.begin(), keyed.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (uint32_t i = 0; i < n.count; ++i) begin[i] = keyed[i].second;
  }
}

}  // namespace wf
