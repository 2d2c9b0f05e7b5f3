// Polls a solve job's JSON status and updates the page (its words come from the server:
// app/services/planning/summaries.py); the time so far ticks every second between polls.
// Reloads once the job has finished, to show the plan it made.
(function () {
  "use strict";
  const box = document.getElementById("job");
  if (!box) return;
  const url = box.dataset.statusUrl;
  const state = document.getElementById("job-state");
  const elapsed = document.getElementById("job-elapsed");
  const progress = document.getElementById("job-progress");
  const finished = ["succeeded", "failed", "cancelled"];
  if (finished.includes(box.dataset.state)) return;

  // The server's seconds at the last poll, and when (by this page's clock) they arrived.
  let seconds = Number(elapsed.dataset.seconds) || 0;
  let at = performance.now();
  let running = box.dataset.state === "running";

  function text(tag, content, id) {
    const element = document.createElement(tag);
    element.textContent = content;
    if (id) element.id = id;
    return element;
  }

  function tick() {
    const now = running ? seconds + (performance.now() - at) / 1000 : seconds;
    elapsed.textContent = now.toFixed(1);
  }

  function show(job) {
    if (state.textContent !== job.state_text) state.textContent = job.state_text;
    seconds = job.elapsed;
    at = performance.now();
    running = job.state === "running";
    tick();
    const items = job.figures.map(function (f) {
      let line = f.text;
      if (f.best) line += " (best possible: " + f.best + ")";
      if (f.first_come) line += " (first come, first served: " + f.first_come + ")";
      return text("li", line);
    });
    const list = text("ul", "", "job-figures");
    list.append(...items);
    progress.replaceChildren();
    if (job.heading) progress.append(text("h2", job.heading, "job-heading"));
    progress.append(list);
  }

  async function poll() {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (response.ok) {
        const job = await response.json();
        show(job);
        if (finished.includes(job.state)) {
          window.location.reload();
          return;
        }
      }
    } catch (error) {
      // A dropped request is retried on the next tick.
    }
    window.setTimeout(poll, 1000);
  }
  window.setInterval(tick, 1000);
  window.setTimeout(poll, 500);
})();
