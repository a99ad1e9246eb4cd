/* /board/: the jobs the user sees (GET /jobs/, every page), each a link to its board. */
"use strict";

(async () => {
  const list = document.getElementById("jobs");
  try {
    const jobs = await BoardApi.all("/jobs/?page_size=200");
    list.replaceChildren(...jobs.map((j) => {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = "/jobs/" + j.id + "/board/";
      a.textContent = "Job " + j.id + (j.name ? " — " + j.name : "");
      const small = document.createElement("span");
      small.className = "wf";
      small.textContent = (j.workflow_name || "workflow " + j.workflow_id) +
        (j.candidates !== undefined ? " · " + j.candidates + " candidate" + (j.candidates === 1 ? "" : "s") : "");
      li.append(a, " ", small);
      return li;
    }));
    if (!jobs.length) list.append(Object.assign(document.createElement("li"), { textContent: "No jobs yet." }));
    document.getElementById("jobs-page").dataset.ready = "1";
  } catch (e) {
    const box = document.getElementById("message");
    box.className = "message error";
    box.textContent = "The jobs could not load: " + (e.body && e.body.detail || e.message);
    document.getElementById("jobs-page").dataset.ready = "error";
  }
})();
