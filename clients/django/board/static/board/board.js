/* The pipeline board of one job (/jobs/<job_id>/board/): the job's stages as
 * columns, its candidates as cards (time in stage, open alerts), a card
 * dragged to another column is a move (POST .../candidates/<id>/move/ with
 * the stage it was seen in as expected_stage_id), a bulk selection moves
 * (POST .../move/) or rejects with a reason code of the catalogue
 * (POST .../candidates/<id>/reject/), and the funnel (GET .../funnel/) is
 * drawn as SVG.  Everything goes through the REST API; nothing is decided
 * here that the extension decides (rules, rights, reasons). */
"use strict";

(() => {
  const root = document.getElementById("board");
  const jobId = root.dataset.jobId;
  const base = "/jobs/" + jobId + "/";
  const $ = (sel, el) => (el || document).querySelector(sel);
  const state = { job: null, cards: [], reasons: [], funnel: [], selected: new Set(), showClosed: false };
  const CLOSED = ["rejected", "withdrawn", "transferred"];

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else if (k === "dataset") Object.assign(node.dataset, v);
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (v !== false && v !== null && v !== undefined) node.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c);
    return node;
  }

  /* ---- formatting ------------------------------------------------------ */

  function duration(seconds) {
    if (seconds === null || seconds === undefined || isNaN(seconds)) return "–";
    const s = Math.max(0, Math.floor(seconds));
    const d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
    if (d) return d + "d " + h + "h";
    if (h) return h + "h " + m + "m";
    if (m) return m + "m";
    return "<1m";
  }

  /* An interval as the API gives it: seconds, "D HH:MM:SS[.f]" (DRF), "HH:MM:SS",
   * "N days HH:MM:SS" (PostgreSQL) or ISO 8601 "P1DT2H" — as seconds, or null. */
  function intervalSeconds(v) {
    if (v === null || v === undefined) return null;
    if (typeof v === "number") return v;
    if (/^-?\d+(\.\d+)?$/.test(String(v).trim())) return parseFloat(v);       // DRF's timedelta: seconds
    let m = /^(?:(-?\d+)\s*(?:days?)?,?\s*)?(-?\d+):(\d+):(\d+(?:\.\d+)?)$/.exec(String(v).trim());
    if (m) return (+m[1] || 0) * 86400 + (+m[2]) * 3600 + (+m[3]) * 60 + (+m[4]);
    m = /^(-?\d+) days?$/.exec(String(v).trim());
    if (m) return +m[1] * 86400;
    m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(String(v));
    if (m) return (+m[1] || 0) * 86400 + (+m[2] || 0) * 3600 + (+m[3] || 0) * 60 + (+m[4] || 0);
    return null;
  }

  function stageName(id) {
    const s = (state.job.stages || []).find((x) => String(x.id) === String(id));
    return s ? s.name : "stage " + id;
  }

  function alertCount(card) {
    const a = card.open_alerts;
    return Array.isArray(a) ? a.length : (+a || 0);
  }

  /* ---- messages ------------------------------------------------------- */

  function say(kind, title, lines) {
    const box = $("#message");
    box.className = "message " + kind;
    box.replaceChildren(el("strong", { class: "title" }, title),
                        el("ul", {}, (lines || []).map((l) => el("li", {}, l))),
                        el("button", { type: "button", class: "close", "aria-label": "dismiss",
                                       onclick: () => { box.className = "message hidden"; } }, "×"));
  }

  /* What an error body says, in words: the failed leaves of a blocked move. */
  function errorLines(body) {
    const lines = [];
    if (body && Array.isArray(body.failed) && body.failed.length) lines.push(...LeafWords.describe(body.failed));
    else if (body && body.reason) lines.push(reasonWords(body));
    return lines;
  }

  function reasonWords(body) {
    switch (body.reason) {
      case "not_active": return "the candidate is " + (body.status || "not active");
      case "stale_expected_stage": return "the candidate was moved meanwhile (the board is reloaded)";
      case "already_in_stage": return "the candidate is already in that stage";
      case "stage_archived": return "that stage is archived";
      case "last_stage": return "the candidate is in the last stage";
      case "unknown_reason_code": return "that reason code is not an active code of the catalogue";
      case "reason_code_required": return "this workflow needs a reason code";
      default: return body.reason.replace(/_/g, " ");
    }
  }

  /* ---- loading -------------------------------------------------------- */

  async function load() {
    const [job, cards, funnel] = await Promise.all([
      BoardApi.get(base),
      BoardApi.all(base + "pipeline/?page_size=200"),
      BoardApi.get(base + "funnel/").catch((e) => ({ results: [], error: e })),
    ]);
    state.job = job;
    state.cards = cards;
    state.funnel = funnel.results || funnel || [];
    for (const id of [...state.selected]) {
      if (!cards.some((c) => String(c.candidate_id) === id && !CLOSED.includes(c.status))) state.selected.delete(id);
    }
    render();
  }

  async function loadReasons() {
    try {
      const reasons = await BoardApi.all("/rejection-reasons/?page_size=200");
      state.reasons = reasons.filter((r) => !r.kind || r.kind === "rejected").filter((r) => r.active !== false);
    } catch (e) {
      state.reasons = [];
    }
    const select = $("#bulk-reason-code");
    select.replaceChildren(el("option", { value: "" }, "no reason code"),
                           ...state.reasons.map((r) => el("option", { value: r.code }, r.label ? r.label + " (" + r.code + ")" : r.code)));
  }

  /* ---- rendering ------------------------------------------------------ */

  function render() {
    const name = state.job.name || state.job.workflow_name;
    $("#job-title").textContent = "Job " + jobId + (name ? " — " + name : "");
    const stages = [...(state.job.stages || [])].sort((a, b) => a.position - b.position);
    const columns = $("#columns");
    const closed = state.cards.filter((c) => CLOSED.includes(c.status));
    $("#closed-count").textContent = String(closed.length);
    columns.replaceChildren(...stages
      .filter((s) => !s.archived || state.cards.some((c) => String(c.stage_id) === String(s.id)))
      .map((s) => column(s)));
    const target = $("#bulk-stage");
    const chosen = target.value;
    target.replaceChildren(el("option", { value: "" }, "each to its next stage"),
                           ...stages.filter((s) => !s.archived).map((s) => el("option", { value: s.id }, s.name)));
    target.value = [...target.options].some((o) => o.value === chosen) ? chosen : "";
    updateBulk();
    drawFunnel();
  }

  function column(stage) {
    const cards = state.cards
      .filter((c) => String(c.stage_id) === String(stage.id))
      .filter((c) => state.showClosed || !CLOSED.includes(c.status))
      .sort((a, b) => (b.time_in_stage_seconds || 0) - (a.time_in_stage_seconds || 0));
    return el("section", { class: "column" + (stage.archived ? " archived" : ""), dataset: { stageId: stage.id } },
      el("header", {},
        el("h2", {}, stage.name),
        el("span", { class: "count", title: "candidates shown" }, String(cards.length))),
      el("div", { class: "cards" }, cards.map(card)));
  }

  function card(c) {
    const id = String(c.candidate_id);
    const alerts = alertCount(c);
    const closed = CLOSED.includes(c.status);
    const alertTitle = Array.isArray(c.open_alerts)
      ? c.open_alerts.map((a) => (a.severity ? a.severity + ": " : "") + (a.message || "")).join("\n") : "";
    return el("article", { class: "card" + (closed ? " closed" : "") + (alerts ? " has-alerts" : ""),
                           dataset: { candidateId: id, stageId: c.stage_id, status: c.status } },
      el("label", { class: "select", title: "select for a bulk move or rejection" },
        el("input", { type: "checkbox", disabled: closed, checked: state.selected.has(id),
                      onchange: (e) => { e.target.checked ? state.selected.add(id) : state.selected.delete(id); updateBulk(); } })),
      el("div", { class: "who" }, "Candidate " + id),
      el("div", { class: "meta" },
        el("span", { class: "time", title: "in this stage since " + (c.entered_stage_at || "?") },
           "in stage " + duration(c.time_in_stage_seconds)),
        c.status !== "active" ? el("span", { class: "status" }, c.status) : null,
        alerts ? el("span", { class: "alerts", title: alertTitle }, "⚠ " + alerts + " alert" + (alerts === 1 ? "" : "s")) : null));
  }

  function updateBulk() {
    const n = state.selected.size;
    $("#bulk-count").textContent = n + " selected";
    $("#bulk-move").disabled = n === 0;
    $("#bulk-reject").disabled = n === 0;
  }

  /* ---- moves ----------------------------------------------------------- */

  /* An action: the board is busy (data-busy, what a test waits on) until it has reloaded. */
  function action(fn) {
    return async (...args) => {
      root.dataset.busy = "1";
      try { await fn(...args); } finally { root.dataset.busy = "0"; }
    };
  }

  const moveOne = action(async (candidateId, fromStageId, toStageId) => {
    const who = "Candidate " + candidateId;
    try {
      const r = await BoardApi.post(base + "candidates/" + candidateId + "/move/",
                                    { to_stage_id: +toStageId, expected_stage_id: +fromStageId });
      const warnings = LeafWords.describe(r.warnings || []).map((w) => "warning: " + w);
      say(warnings.length ? "warn" : "ok", who + " moved to " + stageName(r.to_stage_id), warnings);
    } catch (e) {
      if (!(e instanceof BoardApi.ApiError)) throw e;
      say("error", who + " cannot move to " + stageName(toStageId) + ": " + (e.body.detail || e.message), errorLines(e.body));
    }
    await load();
  });

  const bulkMove = action(async () => {
    const ids = [...state.selected].map(Number);
    const to = $("#bulk-stage").value;
    const body = { candidate_ids: ids };
    if (to) body.to_stage_id = +to;
    try {
      const r = await BoardApi.post(base + "move/", body);
      const results = r.results || [];
      const moved = results.filter((x) => x.outcome === "moved");
      const lines = results.filter((x) => x.outcome !== "moved").map((x) => {
        const why = errorLines(x.detail || {});
        return "Candidate " + x.candidate_id + ": " + x.outcome.replace(/_/g, " ") + (why.length ? " — " + why.join("; ") : "");
      });
      say(lines.length ? "warn" : "ok", moved.length + " of " + results.length + " moved", lines);
      for (const x of moved) state.selected.delete(String(x.candidate_id));
    } catch (e) {
      if (!(e instanceof BoardApi.ApiError)) throw e;
      say("error", "Bulk move refused: " + (e.body.detail || e.message), errorLines(e.body));
    }
    await load();
  });

  const bulkReject = action(async () => {
    const ids = [...state.selected];
    const code = $("#bulk-reason-code").value;
    const reason = $("#bulk-reason").value.trim();
    const body = {};
    if (code) body.reason_code = code;
    if (reason) body.reason = reason;
    const failed = [];
    let done = 0;
    for (const id of ids) {
      try {
        await BoardApi.post(base + "candidates/" + id + "/reject/", body);
        state.selected.delete(id);
        done++;
      } catch (e) {
        if (!(e instanceof BoardApi.ApiError)) throw e;
        const why = errorLines(e.body);
        failed.push("Candidate " + id + ": " + (e.body.detail || e.message) + (why.length ? " — " + why.join("; ") : ""));
      }
    }
    say(failed.length ? "warn" : "ok", done + " of " + ids.length + " rejected" + (code ? " (" + code + ")" : ""), failed);
    await load();
  });

  /* ---- dragging: pointer events, so a mouse, a pen and a finger all work - */

  let drag = null;

  function columnAt(x, y) {
    const hit = document.elementFromPoint(x, y);
    return hit ? hit.closest(".column") : null;
  }

  root.addEventListener("pointerdown", (e) => {
    const c = e.target.closest(".card");
    if (!c || c.classList.contains("closed") || e.target.closest(".select") || e.button !== 0) return;
    drag = { card: c, x: e.clientX, y: e.clientY, ghost: null, over: null };
  });

  document.addEventListener("pointermove", (e) => {
    if (!drag) return;
    if (!drag.ghost) {
      if (Math.hypot(e.clientX - drag.x, e.clientY - drag.y) < 6) return;
      const r = drag.card.getBoundingClientRect();
      drag.dx = drag.x - r.left;
      drag.dy = drag.y - r.top;
      drag.ghost = drag.card.cloneNode(true);
      drag.ghost.classList.add("ghost");
      drag.ghost.style.width = r.width + "px";
      document.body.append(drag.ghost);
      drag.card.classList.add("dragging");
    }
    drag.ghost.style.left = e.clientX - drag.dx + "px";
    drag.ghost.style.top = e.clientY - drag.dy + "px";
    const over = columnAt(e.clientX, e.clientY);
    if (over !== drag.over) {
      if (drag.over) drag.over.classList.remove("drop-target");
      if (over && over.dataset.stageId !== drag.card.dataset.stageId) over.classList.add("drop-target");
      drag.over = over;
    }
  });

  function endDrag(e, cancelled) {
    if (!drag) return;
    const d = drag;
    drag = null;
    if (!d.ghost) return;                          // a click, not a drag
    d.ghost.remove();
    d.card.classList.remove("dragging");
    if (d.over) d.over.classList.remove("drop-target");
    const target = cancelled ? null : columnAt(e.clientX, e.clientY);
    if (target && target.dataset.stageId !== d.card.dataset.stageId) {
      d.card.classList.add("pending");
      target.querySelector(".cards").append(d.card);   // shown where it goes; load() puts it where it is
      moveOne(d.card.dataset.candidateId, d.card.dataset.stageId, target.dataset.stageId);
    }
  }
  document.addEventListener("pointerup", (e) => endDrag(e, false));
  document.addEventListener("pointercancel", (e) => endDrag(e, true));

  /* ---- the funnel, as SVG ---------------------------------------------- */

  const SVG = "http://www.w3.org/2000/svg";
  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function drawFunnel() {
    const holder = $("#funnel");
    const rows = [...state.funnel].sort((a, b) => a.position - b.position);
    if (!rows.length) {
      holder.replaceChildren(el("p", { class: "empty" }, "No funnel for this job yet."));
      return;
    }
    const rowH = 34, labelW = 150, barW = 360, textX = labelW + barW + 16, width = textX + 600;
    const chart = svg("svg", { viewBox: "0 0 " + width + " " + (rows.length * rowH + 8), width: "100%",
                               role: "img", "aria-label": "funnel of job " + jobId });
    const most = Math.max(1, ...rows.map((r) => +r.entered || 0));
    rows.forEach((r, i) => {
      const y = 4 + i * rowH;
      const w = Math.max(2, (+r.entered || 0) / most * barW);
      const cw = (+r.current || 0) / most * barW;
      const x = labelW + (barW - w) / 2;
      chart.append(
        svg("text", { x: labelW - 10, y: y + rowH / 2 + 4, "text-anchor": "end", class: "label" }, r.stage_name),
        svg("rect", { x, y: y + 3, width: w, height: rowH - 8, rx: 4, class: "funnel-bar", "data-stage-id": r.stage_id }),
        svg("rect", { x: labelW + (barW - cw) / 2, y: y + 3, width: cw, height: rowH - 8, rx: 4, class: "funnel-current" }),
        svg("text", { x: labelW + barW / 2, y: y + rowH / 2 + 4, "text-anchor": "middle", class: "bar-text" },
            String(r.entered || 0)));
      const conv = r.conversion === null || r.conversion === undefined ? "–" : Math.round(r.conversion * 100) + "%";
      // times in seconds (median_time_in_stage_seconds), or as an interval the API gives
      const med = r.median_time_in_stage_seconds ?? intervalSeconds(r.median_time_in_stage);
      const p90 = r.p90_time_in_stage_seconds ?? intervalSeconds(r.p90_time_in_stage);
      chart.append(svg("text", { x: textX, y: y + rowH / 2 + 4, class: "numbers" },
        "now " + (r.current || 0) + " · advanced " + (r.advanced || 0) + " · rejected " + (r.rejected || 0) +
        (r.hired ? " · hired " + r.hired : "") + " · conversion " + conv +
        " · median " + (med === null ? (r.median_time_in_stage || "–") : duration(med)) +
        " · p90 " + (p90 === null ? (r.p90_time_in_stage || "–") : duration(p90))));
    });
    holder.replaceChildren(chart, el("p", { class: "legend" },
      el("span", { class: "swatch entered" }), " entered (visits begun in the stage)  ",
      el("span", { class: "swatch current" }), " there now"));
  }

  /* ---- wiring ---------------------------------------------------------- */

  $("#bulk-move").addEventListener("click", () => bulkMove());
  $("#bulk-reject").addEventListener("click", () => bulkReject());
  $("#show-closed").addEventListener("change", (e) => { state.showClosed = e.target.checked; render(); });
  $("#reload").addEventListener("click", action(load));

  Promise.all([loadReasons(), load()])
    .then(() => { root.dataset.ready = "1"; })
    .catch((e) => {
      say("error", "The board could not load: " + (e.body && e.body.detail || e.message), errorLines(e.body));
      root.dataset.ready = "error";
    });
})();
