/* A blocked move's failed leaves in plain words.  A leaf is an entry of the
 * extension's explanation (README "Explaining"; a blocked move's DETAIL
 * "failed", a warn rule's "warnings"): {path, field, source?, op, expected,
 * expected_value?, actual?, missing?, negated, reason?, elements_explained?};
 * the last entry may be {"truncated": true, "not_listed": n}.  A mover of
 * another tenant gets the leaves without the facts (no actual, missing or
 * reason): the sentence then says what was needed and not what was seen. */
"use strict";

const LeafWords = (() => {
  const SAY = {
    eq: "must be", ne: "must not be",
    lt: "must be less than", lte: "must be at most",
    gt: "must be more than", gte: "must be at least",
    between: "must be between", in: "must be one of", not_in: "must not be one of",
    contains: "must contain", not_contains: "must not contain",
    starts_with: "must start with", ends_with: "must end with", matches: "must match",
    exists: "must be on file", not_exists: "must not be on file",
    size_eq: "must have a size of", size_ne: "must not have a size of",
    size_lt: "must have a size less than", size_lte: "must have a size of at most",
    size_gt: "must have a size more than", size_gte: "must have a size of at least",
    within_last: "must be within the last", within_next: "must be within the next",
    older_than: "must be older than",
    some: "must have at least one element matching", every: "must have every element matching",
    none: "must have no element matching",
  };
  // the opposite, for a leaf under an odd number of "not"s (it held and must not have)
  const NEGATED = {
    eq: "must not be", ne: "must be", lt: "must be at least", lte: "must be more than",
    gt: "must be at most", gte: "must be less than", in: "must not be one of",
    not_in: "must be one of", contains: "must not contain", not_contains: "must contain",
    exists: "must not be on file", not_exists: "must be on file",
    some: "must have no element matching", none: "must have at least one element matching",
  };

  function value(v) {
    if (v === null || v === undefined) return "nothing";
    if (typeof v === "string") return v;
    if (Array.isArray(v)) return v.map(value).join(", ");
    if (typeof v === "object") {
      if (Object.keys(v).length === 1 && typeof v.field === "string") return "the " + v.field;
      if (v.truncated) return JSON.stringify(v.first || v.text || "…") + " (shortened)";
      if (typeof v.elements === "number") return v.elements + " element" + (v.elements === 1 ? "" : "s");
      if (v.field && v.op) return sentence(v, false).replace(/ \(is .*\)$/, "");   // a "where"
      return JSON.stringify(v);
    }
    return String(v);
  }

  function fieldName(leaf) {
    const source = leaf.source && leaf.source !== "candidate" ? leaf.source + " " : "";
    return source + (leaf.field || "the condition");
  }

  function sentence(leaf, withActual) {
    if (leaf.truncated) return "and " + (leaf.not_listed || "more") + " more not listed";
    const op = leaf.op || "";
    const verb = (leaf.negated ? NEGATED[op] : SAY[op]) || (leaf.negated ? "must not satisfy " : "must satisfy ") + op;
    let expected = "";
    if (op === "between" && Array.isArray(leaf.expected)) {
      expected = " " + value(leaf.expected[0]) + " and " + value(leaf.expected[1]);
    } else if (!["exists", "not_exists"].includes(op) && leaf.expected !== undefined) {
      expected = " " + value(leaf.expected);
      if (leaf.expected_value !== undefined && typeof leaf.expected === "object") {
        expected += " (" + value(leaf.expected_value) + ")";
      }
    }
    let seen = "";
    if (withActual !== false) {
      if (leaf.missing === true) seen = " (not on file)";
      else if (leaf.actual !== undefined) seen = " (is " + value(leaf.actual) + ")";
    }
    return fieldName(leaf) + " " + verb + expected + seen;
  }

  /* One sentence per leaf; a quantified group's elements_explained adds its inner leaves. */
  function describe(leaves) {
    const lines = [];
    for (const leaf of leaves || []) {
      lines.push(sentence(leaf));
      for (const el of leaf.elements_explained || []) {
        for (const inner of el.leaves || []) {
          lines.push("  element " + el.element + ": " + sentence(inner));
        }
      }
    }
    return lines;
  }

  return { describe, sentence };
})();

if (typeof module !== "undefined") module.exports = LeafWords;
