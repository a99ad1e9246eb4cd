#!/usr/bin/env node
/* The pipeline board in Debian's headless Chromium (puppeteer-core, no
 * downloaded browser), against the server run-board-tests.sh started and the
 * job manage.py board_demo loaded (BOARD_SEED, JSON).  Each check asserts the
 * page (DOM) and, for what changed, the API's own answer; screenshots go to
 * BOARD_RESULTS and must exist and differ.  Ends with "# N passed, M failed". */
"use strict";

const crypto = require("crypto");
const fs = require("fs");
const path = require("path");
const puppeteer = require("puppeteer-core");
const LeafWords = require("../static/board/words.js");

const url = process.env.BOARD_URL;
const seed = JSON.parse(process.env.BOARD_SEED || "{}");
const results = process.env.BOARD_RESULTS || path.join(__dirname, "results");
const chromium = process.env.CHROMIUM || "/usr/bin/chromium";
const job = seed.job_id;
const stages = seed.stages || {};
const c = seed.candidates || {};
const shots = {};
let passed = 0;
let failed = 0;

function assert(cond, what) {
  if (!cond) throw new Error("assertion failed: " + what);
}

async function check(name, fn) {
  try {
    await fn();
    passed++;
    console.log("ok - " + name);
  } catch (e) {
    failed++;
    console.log("not ok - " + name + "\n  # " + String(e && e.stack || e).split("\n").join("\n  # "));
  }
}

async function shot(page, name, element) {
  const file = path.join(results, name);
  if (element) await (await page.$(element)).screenshot({ path: file });
  else await page.screenshot({ path: file, fullPage: true });
  shots[name] = file;
}

/* Where the card stands on the page: its column's stage id, or null. */
function cardStage(page, id) {
  return page.evaluate((id) => {
    const card = document.querySelector('.card[data-candidate-id="' + id + '"]');
    return card ? card.closest(".column").dataset.stageId : null;
  }, String(id));
}

/* The API's own card, read with the page's session. */
function apiCard(page, id) {
  return page.evaluate(async (job, id) => {
    const rows = await BoardApi.all("/jobs/" + job + "/pipeline/?page_size=200");
    return rows.find((r) => String(r.candidate_id) === String(id)) || null;
  }, job, id);
}

/* The candidate's history as the API gives it, oldest first. */
function apiHistory(page, id) {
  return page.evaluate((job, id) => BoardApi.all("/jobs/" + job + "/candidates/" + id + "/history/?page_size=200"),
                       job, id);
}

async function settled(page) {
  await page.waitForFunction(() => document.getElementById("board").dataset.busy !== "1", { timeout: 20000 });
}

/* A drag as a person does it: press on the card, move in steps, release over the column. */
async function drag(page, id, stageId) {
  const card = await page.$('.card[data-candidate-id="' + id + '"] .who');
  const column = await page.$('.column[data-stage-id="' + stageId + '"] .cards');
  const a = await card.boundingBox();
  const b = await column.boundingBox();
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  const tx = b.x + b.width / 2, ty = b.y + 40;
  for (let i = 1; i <= 12; i++) {
    await page.mouse.move(a.x + a.width / 2 + (tx - a.x - a.width / 2) * i / 12,
                          a.y + a.height / 2 + (ty - a.y - a.height / 2) * i / 12);
  }
  await page.evaluate(() => { document.getElementById("board").dataset.busy = "1"; });
  await page.mouse.up();
  await settled(page);
}

async function main() {
  fs.mkdirSync(results, { recursive: true });

  await check("failed leaves in plain words (words.js)", async () => {
    const lines = LeafWords.describe([
      { path: "$.all[0]", field: "years_experience", op: "gte", expected: 3, actual: 1, missing: false, negated: false },
      { path: "$.all[1]", field: "location", op: "in", expected: ["Berlin", "Remote"], actual: "Paris", negated: false },
      { path: "$.all[2]", field: "portfolio_url", op: "exists", missing: true, negated: false },
      { path: "$.all[3]", field: "min_years", source: "job", op: "lte", expected: 5, negated: false },
      { path: "$.all[4].not", field: "flagged", op: "eq", expected: true, actual: true, negated: true },
      { truncated: true, not_listed: 4 },
    ]);
    const want = ["years_experience must be at least 3 (is 1)",
                  "location must be one of Berlin, Remote (is Paris)",
                  "portfolio_url must be on file (not on file)",
                  "job min_years must be at most 5",
                  "flagged must not be true (is true)",
                  "and 4 more not listed"];
    assert(JSON.stringify(lines) === JSON.stringify(want), JSON.stringify(lines));
  });

  const browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--lang=en-US"],
  });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1400, height: 900 });
    const pageErrors = [];
    page.on("pageerror", (e) => pageErrors.push(String(e)));

    await check("a browser without a session is sent to DRF's login page, logs in, gets the jobs", async () => {
      await page.goto(url + "/board/", { waitUntil: "networkidle0" });
      assert(page.url().startsWith(url + "/api-auth/login/"), "at the login page, not " + page.url());
      await page.type("#id_username", process.env.BOARD_USER);
      await page.type("#id_password", process.env.BOARD_PASSWORD);
      await Promise.all([page.waitForNavigation({ waitUntil: "networkidle0" }),
                         page.click('input[type="submit"], button[type="submit"]')]);
      assert(new URL(page.url()).pathname === "/board/", "back at /board/: " + page.url());
      await page.waitForSelector('#jobs-page[data-ready="1"]', { timeout: 15000 });
      const href = await page.$eval('#jobs a[href="/jobs/' + job + '/board/"]', (a) => a.textContent);
      assert(href.includes(String(job)), "the job is listed: " + href);
    });

    await check("the board: stages as columns, candidates as cards with time in stage and open alerts", async () => {
      await Promise.all([page.waitForNavigation({ waitUntil: "networkidle0" }),
                         page.click('#jobs a[href="/jobs/' + job + '/board/"]')]);
      await page.waitForSelector('#board[data-ready="1"]', { timeout: 15000 });
      const columns = await page.$$eval(".column h2", (h) => h.map((x) => x.textContent));
      assert(JSON.stringify(columns) === JSON.stringify(Object.keys(stages)), "columns " + JSON.stringify(columns));
      assert(await cardStage(page, c.passes) === String(stages.Applied), "candidate in Applied");
      assert(await cardStage(page, c.in_onsite) === String(stages.Onsite), "candidate in Onsite");
      const cards = await page.$$eval(".card", (x) => x.length);
      assert(cards === 7, "7 cards, not " + cards);
      const alerts = await page.$eval('.card[data-candidate-id="' + c.passes + '"] .alerts', (x) => x.textContent);
      assert(/1 alert/.test(alerts), "an open alert on the card: " + alerts);
      const time = await page.$eval('.card[data-candidate-id="' + c.passes + '"] .time', (x) => x.textContent);
      assert(/(<1m|\d+m)/.test(time), "time in stage: " + time);
      assert(await page.$$eval("#funnel rect.funnel-bar", (r) => r.length) === 5, "a funnel bar per stage");
      const codes = await page.$$eval("#bulk-reason-code option", (o) => o.map((x) => x.value));
      assert(codes.includes("skills") && codes.includes("location"), "reason codes: " + codes);
      await shot(page, "01-board.png");
    });

    await check("dragging a card to the next column moves the candidate (the API and its history agree)", async () => {
      await drag(page, c.passes, stages["Phone screen"]);
      const msg = await page.$eval("#message", (m) => ({ cls: m.className, text: m.textContent }));
      assert(/\bok\b/.test(msg.cls) && msg.text.includes("moved to Phone screen"), JSON.stringify(msg));
      assert(await cardStage(page, c.passes) === String(stages["Phone screen"]), "the card is in Phone screen");
      const api = await apiCard(page, c.passes);
      assert(api && String(api.stage_id) === String(stages["Phone screen"]) && api.status === "active",
             "the API: " + JSON.stringify(api));
      const last = (await apiHistory(page, c.passes)).pop();
      assert(String(last.from_stage_id) === String(stages.Applied) &&
             String(last.to_stage_id) === String(stages["Phone screen"]) && /^user:\d+$/.test(last.actor),
             "the history: " + JSON.stringify(last));
      await shot(page, "02-after-move.png");
    });

    await check("dragging a card a rule blocks: the failed leaves in plain words, the card stays", async () => {
      await drag(page, c.blocked, stages["Phone screen"]);
      const msg = await page.$eval("#message", (m) => ({ cls: m.className, text: m.textContent,
        items: [...m.querySelectorAll("li")].map((li) => li.textContent) }));
      assert(/\berror\b/.test(msg.cls), "an error message: " + JSON.stringify(msg));
      assert(msg.text.includes("cannot move to Phone screen"), msg.text);
      assert(msg.items.includes("years_experience must be at least 3 (is 1)"), JSON.stringify(msg.items));
      assert(msg.items.includes("location must be one of Berlin, Remote (is Paris)"), JSON.stringify(msg.items));
      assert(await cardStage(page, c.blocked) === String(stages.Applied), "the card is back in Applied");
      const api = await apiCard(page, c.blocked);
      assert(String(api.stage_id) === String(stages.Applied), "the API: " + JSON.stringify(api));
      const history = await apiHistory(page, c.blocked);
      assert(history.length === 1 && history[0].from_stage_id === null, "no history row but the entry: " +
             JSON.stringify(history));
      await shot(page, "03-blocked-move.png");
    });

    await check("bulk move to each one's next stage: one moves, one is blocked with its leaves", async () => {
      for (const id of [c.in_screen, c.blocked_years]) {
        await page.click('.card[data-candidate-id="' + id + '"] .select input');
      }
      assert((await page.$eval("#bulk-count", (x) => x.textContent)) === "2 selected", "2 selected");
      await page.select("#bulk-stage", "");
      await page.evaluate(() => { document.getElementById("board").dataset.busy = "1"; });
      await page.click("#bulk-move");
      await settled(page);
      const msg = await page.$eval("#message", (m) => ({ text: m.textContent,
        items: [...m.querySelectorAll("li")].map((li) => li.textContent) }));
      assert(msg.text.startsWith("1 of 2 moved"), msg.text);
      assert(msg.items.some((i) => i.startsWith("Candidate " + c.blocked_years + ": blocked") &&
                                   i.includes("years_experience must be at least 3 (is 2)")), JSON.stringify(msg.items));
      assert(await cardStage(page, c.in_screen) === String(stages.Onsite), "moved to Onsite");
      assert(await cardStage(page, c.blocked_years) === String(stages.Applied), "stayed in Applied");
      assert((await page.$eval("#bulk-count", (x) => x.textContent)) === "1 selected", "the blocked one stays selected");
      await page.click('.card[data-candidate-id="' + c.blocked_years + '"] .select input');
    });

    await check("bulk reject with a reason code: the cards leave the board, the API says rejected, the history has the code", async () => {
      for (const id of c.reject) await page.click('.card[data-candidate-id="' + id + '"] .select input');
      assert((await page.$eval("#bulk-count", (x) => x.textContent)) === "2 selected", "2 selected");
      const chosen = await page.select("#bulk-reason-code", "skills");
      assert(chosen[0] === "skills", "the code is offered: " + chosen);
      await page.type("#bulk-reason", "not enough Go");
      await page.evaluate(() => { document.getElementById("board").dataset.busy = "1"; });
      await page.click("#bulk-reject");
      await settled(page);
      const text = await page.$eval("#message", (m) => m.textContent);
      assert(text.startsWith("2 of 2 rejected (skills)"), text);
      for (const id of c.reject) {
        assert(await cardStage(page, id) === null, "card " + id + " is off the board");
        const api = await apiCard(page, id);
        assert(api.status === "rejected", "the API: " + JSON.stringify(api));
        const last = (await apiHistory(page, id)).pop();
        assert(last.to_status === "rejected" && last.reason_code === "skills" && last.reason === "not enough Go",
               "the history: " + JSON.stringify(last));
      }
      assert((await page.$eval("#closed-count", (x) => x.textContent)) === "2", "2 closed");
      await page.click("#show-closed");
      assert(await page.$$eval(".card.closed", (x) => x.length) === 2, "shown greyed when asked");
      await page.click("#show-closed");
      await shot(page, "04-after-bulk.png");
    });

    await check("the funnel as a chart: bars from the API's funnel", async () => {
      const funnel = await page.evaluate((job) => BoardApi.get("/jobs/" + job + "/funnel/"), job);
      const rows = funnel.results;
      const applied = rows.find((r) => String(r.stage_id) === String(stages.Applied));
      assert(applied && applied.entered === 7 && applied.rejected === 2, "Applied: " + JSON.stringify(applied));
      const widths = await page.$$eval("#funnel rect.funnel-bar", (r) => r.map((x) => [x.dataset.stageId, +x.getAttribute("width")]));
      const w = Object.fromEntries(widths);
      assert(w[stages.Applied] > w[stages["Phone screen"]] && w[stages["Phone screen"]] > w[stages.Offer],
             "bars narrow down the funnel: " + JSON.stringify(widths));
      const text = await page.$eval("#funnel", (f) => f.textContent);
      assert(text.includes("Applied") && text.includes("rejected 2"), text.slice(0, 200));
      await shot(page, "05-funnel.png", ".funnel-box");
    });

    await check("no script error on the page", async () => {
      assert(pageErrors.length === 0, pageErrors.join("; "));
    });
  } finally {
    await browser.close();
  }

  await check("the screenshots exist and differ from each other", async () => {
    const want = ["01-board.png", "02-after-move.png", "03-blocked-move.png", "04-after-bulk.png", "05-funnel.png"];
    const hashes = {};
    for (const name of want) {
      const file = path.join(results, name);
      assert(fs.existsSync(file) && fs.statSync(file).size > 1000, name + " exists");
      const data = fs.readFileSync(file);
      assert(data.subarray(1, 4).toString() === "PNG", name + " is a PNG");
      hashes[name] = crypto.createHash("sha256").update(data).digest("hex");
    }
    assert(new Set(Object.values(hashes)).size === want.length, "all differ: " + JSON.stringify(hashes));
  });
}

main()
  .catch((e) => { failed++; console.log("not ok - the run\n  # " + String(e && e.stack || e)); })
  .finally(() => {
    console.log("# screenshots in " + results);
    console.log("# " + passed + " passed, " + failed + " failed");
    process.exitCode = failed ? 1 : 0;
  });
