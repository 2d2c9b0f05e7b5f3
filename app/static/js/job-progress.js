// Polls a solve job's JSON status and updates the page; reloads once the job has finished.
(function () {
  "use strict";
  const box = document.getElementById("job");
  if (!box) return;
  const url = box.dataset.statusUrl;
  const state = document.getElementById("job-state");
  const progress = document.getElementById("job-progress");
  const finished = ["succeeded", "failed", "cancelled"];
  if (finished.includes(state.textContent.trim())) return;

  function text(tag, content) {
    const element = document.createElement(tag);
    element.textContent = content;
    return element;
  }

  function show(job) {
    state.textContent = job.state;
    const p = job.progress || {};
    progress.replaceChildren();
    if (p.elapsed !== undefined) progress.append(text("p", "Elapsed: " + p.elapsed + " s"));
    if (p.metrics) {
      const m = p.metrics;
      const list = document.createElement("ul");
      list.append(
        text("li", "Same-organisation tablemates: " + m.same_org_pairs.value + " (bound " + m.same_org_pairs.bound + ")"),
        text("li", "Repeated encounters: " + m.repeat_pairs.value + " (bound " + m.repeat_pairs.bound + ")"),
        text("li", "Sector mix: " + Number(m.sector_mix.value).toFixed(3) + " of 1.000"),
        text("li", "Profession mix: " + Number(m.profession_mix.value).toFixed(3) + " of 1.000"),
      );
      progress.append(text("p", "Best plan so far: objective " + p.objective + " (bound " + p.bound + ")"), list);
    } else if (p.stage) {
      progress.append(text("p", "Stage " + p.stage_number + " of " + p.stage_count + ": " + p.stage));
    }
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
  window.setTimeout(poll, 500);
})();
