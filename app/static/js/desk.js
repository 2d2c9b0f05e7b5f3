// The registration desk: the list narrows as you type (no Enter needed), Enter checks in the
// one person left, and checking in or undoing happens in place, with focus back in the search.
// Without this script the page works as plain forms (search by GET, check in by POST).
(function () {
  "use strict";
  const search = document.getElementById("desk-q");
  const list = document.getElementById("desk-list");
  if (!search || !list) return;
  const form = document.getElementById("desk-search");
  const status = document.getElementById("desk-status");
  const count = document.getElementById("desk-count");
  const none = document.getElementById("desk-none");
  const people = Array.from(list.querySelectorAll(".desk-person"));

  // As app/services/registration/desk.py folds: lower case, no accents, single spaces.
  function fold(text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase().split(/\s+/).filter(Boolean).join(" ");
  }

  function say(message, urgent) {
    status.setAttribute("role", urgent ? "alert" : "status");
    status.textContent = message;
  }

  function visible() {
    return people.filter((person) => !person.hidden);
  }

  function filter() {
    const wanted = fold(search.value);
    for (const person of people) {
      person.hidden = wanted !== "" && !person.dataset.search.includes(wanted);
    }
    const shown = visible().length;
    if (none) none.hidden = shown > 0 || people.length === 0;
    if (wanted) say(shown + (shown === 1 ? " person matches." : " people match."));
    else say("");
  }

  async function send(action) {
    const person = action.closest(".desk-person");
    const name = person.querySelector(".desk-name").textContent;
    let reply;
    try {
      const response = await fetch(action.action, {
        method: "POST",
        body: new FormData(action),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      // A refusal says why as JSON; anything else (an expired form, a lost connection) does not.
      reply = await response.json().catch(() => ({ error: "Reload the page and try again." }));
      if (!response.ok || reply.error) throw new Error(reply.error);
    } catch (error) {
      say("Could not change " + name + "'s check-in. " + (error.message || "Check the connection and try again."), true);
      return;
    }
    person.querySelector(".desk-check-in").hidden = reply.checked_in;
    person.querySelector(".desk-undo").hidden = !reply.checked_in;
    person.querySelector(".desk-time").textContent = reply.time;
    count.textContent = reply.arrived + " of " + reply.confirmed + (reply.confirmed === 1 ? " person" : " people") + " checked in.";
    say(reply.message);
    search.focus();
    search.select();
  }

  search.addEventListener("input", filter);

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    filter();
    const shown = visible();
    const waiting = shown.map((p) => p.querySelector(".desk-check-in")).filter((f) => f && !f.hidden);
    if (shown.length === 1 && waiting.length === 1) {
      send(waiting[0]);
    } else if (shown.length === 1) {
      say(shown[0].querySelector(".desk-name").textContent + " cannot be checked in again: they are already checked in, or not confirmed.");
    } else if (shown.length > 1) {
      say(shown.length + " people match: keep typing, or choose Check in beside the right one.");
    }
  });

  list.addEventListener("submit", (event) => {
    const action = event.target;
    if (!action.matches(".desk-check-in, .desk-undo")) return;
    event.preventDefault();
    send(action);
  });

  if (search.value) filter();
})();
