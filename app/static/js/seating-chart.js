// The plan review's seating chart: drag a person onto an empty seat to move them, onto another
// person to swap them (SortableJS, swap mode); or with the keyboard, pick a person up with
// Space or Enter, choose a seat with the arrows, put them down with Space or Enter. Each change
// goes to the server, which checks it against the hard rules, saves it or refuses it, and sends
// back the round and the measures drawn again (the reason or the effects beside the person).
(function () {
  "use strict";
  const chart = document.getElementById("chart");
  if (!chart || !window.Sortable) return;
  const announcer = document.getElementById("chart-announce");
  const measures = document.getElementById("plan-measures");
  const urls = { move: chart.dataset.moveUrl, swap: chart.dataset.swapUrl };
  let carrying = null; // { round, chip, target }
  let busy = false;
  let dragged = false; // the click that ends a drag is not a pick-up
  const EXPIRED =
    "Not changed: the page had expired or could not reach the site. Reload it and try again.";

  chart.hidden = false;

  function announce(text) {
    // Emptied first, so saying the same words twice is still heard.
    announcer.textContent = "";
    window.setTimeout(() => {
      announcer.textContent = text;
    }, 50);
  }

  function describe(seat) {
    const table = seat.closest(".group").dataset.label;
    if (seat.classList.contains("empty")) return "an empty seat at " + table;
    const org = seat.querySelector(".org");
    return nameOf(seat) + " (" + (org ? org.textContent.trim() + ", " : "") + table + ")";
  }

  function nameOf(chip) {
    return chip.querySelector(".name").textContent.trim();
  }

  function setUp(round) {
    if (round.dataset.editable !== "true") return;
    if (window.ConvenePicker) window.ConvenePicker.enhanceAll(round);
    round.querySelectorAll(".seat.chip").forEach((chip) => {
      const name = chip.querySelector(".name");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "name chip-handle";
      button.textContent = name.textContent;
      button.setAttribute("aria-describedby", "chart-help");
      button.addEventListener("keydown", (event) => key(event, round, chip));
      button.addEventListener("click", () => {
        if (!carrying && !dragged) pickUp(round, chip);
      });
      button.addEventListener("blur", () => {
        if (carrying && carrying.chip === chip && !busy) putBack("Put back.");
      });
      name.replaceWith(button);
    });
    round.querySelectorAll("ul.seats").forEach((list) => {
      window.Sortable.create(list, {
        group: "round-" + round.dataset.session,
        draggable: ".seat",
        filter: ".empty, form",
        preventOnFilter: false,
        swap: true,
        swapClass: "drop-target",
        ghostClass: "dragging",
        forceFallback: true, // mouse events, not the browser's own drag: the same everywhere
        fallbackOnBody: true,
        // A seat at the person's own table changes nothing.
        onMove: (event) => event.related.closest("ul") !== event.from,
        onStart: () => {
          dragged = true;
        },
        onEnd: (event) => {
          window.setTimeout(() => {
            dragged = false;
          }, 0);
          const target = event.swapItem;
          // Sortable has already exchanged the two: the person now stands where they were put.
          const table = event.item.closest("ul").dataset.group;
          if (target && target !== event.item) drop(round, event.item, target, table);
        },
      });
    });
  }

  // ---- keyboard -------------------------------------------------------------------------

  function seatsOf(round) {
    return [...round.querySelectorAll(".group")].map((group) => [
      ...group.querySelectorAll(".seat"),
    ]);
  }

  function key(event, round, chip) {
    if (!carrying) {
      if (event.key === " " || event.key === "Enter") {
        event.preventDefault();
        pickUp(round, chip);
      }
      return;
    }
    const moves = {
      ArrowLeft: [-1, 0],
      ArrowRight: [1, 0],
      ArrowUp: [0, -1],
      ArrowDown: [0, 1],
    };
    if (moves[event.key]) {
      event.preventDefault();
      aim(...moves[event.key]);
    } else if (event.key === " " || event.key === "Enter") {
      event.preventDefault();
      const { chip: carried, target } = carrying;
      if (!target) {
        putBack("Choose a seat at another table first; Escape puts them back.");
        return;
      }
      mark(null);
      carrying = null;
      drop(round, carried, target, target.closest("ul").dataset.group);
    } else if (event.key === "Escape") {
      event.preventDefault();
      putBack(nameOf(chip) + " is back at " + chip.closest(".group").dataset.label + ".");
    }
  }

  function pickUp(round, chip) {
    carrying = { round, chip, target: null, table: -1, seat: -1 };
    chip.classList.add("carried");
    chip.querySelector(".chip-handle").setAttribute("aria-pressed", "true");
    announce(
      "Picked up " +
        nameOf(chip) +
        " from " +
        chip.closest(".group").dataset.label +
        ". Left and Right go from table to table, Up and Down from seat to seat.",
    );
    const tables = seatsOf(round);
    carrying.table = tables.findIndex((seats) => seats.includes(chip));
  }

  function aim(dx, dy) {
    const tables = seatsOf(carrying.round);
    let { table, seat } = carrying;
    if (dx) {
      table = (table + dx + tables.length) % tables.length;
      // Arriving at a table: its first empty seat, else its first person.
      const seats = tables[table];
      seat = Math.max(
        seats.findIndex((s) => s.classList.contains("empty")),
        0,
      );
    } else {
      const seats = tables[table];
      seat = seat < 0 ? 0 : (seat + dy + seats.length) % seats.length;
    }
    carrying.table = table;
    carrying.seat = seat;
    const target = tables[table][seat];
    if (!target || target === carrying.chip || target.closest(".group") === carrying.chip.closest(".group")) {
      mark(null);
      announce(carrying.round.querySelectorAll(".group")[table].dataset.label + ": their own table.");
      return;
    }
    mark(target);
    const verb = target.classList.contains("empty") ? "Move to " : "Swap with ";
    announce(verb + describe(target) + "?");
  }

  function mark(target) {
    if (carrying && carrying.target) carrying.target.classList.remove("drop-target");
    if (carrying) carrying.target = target;
    if (target) {
      target.classList.add("drop-target");
      target.scrollIntoView({ block: "nearest" });
    }
  }

  function putBack(message) {
    if (!carrying) return;
    mark(null);
    carrying.chip.classList.remove("carried");
    const handle = carrying.chip.querySelector(".chip-handle");
    if (handle) handle.removeAttribute("aria-pressed");
    carrying = null;
    announce(message);
  }

  // ---- saving ---------------------------------------------------------------------------

  function drop(round, chip, target, table) {
    const data = new FormData();
    data.append("csrf_token", chart.dataset.csrf);
    data.append("session_id", round.dataset.session);
    let kind;
    if (target.classList.contains("empty")) {
      kind = "move";
      data.append("registration_id", chip.dataset.person);
      data.append("target_id", table);
    } else {
      kind = "swap";
      data.append("first_id", chip.dataset.person);
      data.append("second_id", target.dataset.person);
    }
    busy = true;
    round.setAttribute("aria-busy", "true");
    announce("Checking…");
    fetch(urls[kind], {
      method: "POST",
      body: data,
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then((response) => {
        const json = (response.headers.get("Content-Type") || "").includes("json");
        return json ? response.json() : { message: EXPIRED };
      })
      .then((answer) => show(round, answer))
      .catch(() => show(round, { message: EXPIRED }))
      .finally(() => {
        busy = false;
      });
  }

  function show(round, answer) {
    if (!answer.round_html) {
      // Nothing drawn to put in place (the page had expired, the site could not be reached):
      // say so visibly at the round, whose chart may now show a change that was not saved.
      const note = document.createElement("p");
      note.className = "flash flash-error";
      note.textContent = answer.message;
      round.querySelector("h2").after(note);
      announce(answer.message);
      round.removeAttribute("aria-busy");
      return;
    }
    const template = document.createElement("template");
    template.innerHTML = answer.round_html;
    const fresh = template.content.firstElementChild;
    round.replaceWith(fresh);
    setUp(fresh);
    if (answer.measures_html !== undefined) measures.innerHTML = answer.measures_html;
    const seat = document.getElementById(answer.focus);
    const handle = seat && seat.querySelector(".chip-handle");
    if (handle) handle.focus();
    announce([answer.message, ...answer.effects].join(" "));
  }

  document.querySelectorAll("section.round").forEach(setUp);
})();
