// A person picker with type-ahead over a plain <select data-picker>: a combobox whose list
// shows the options matching every word typed (name, organisation, table: whatever the option
// says). The select stays in the form, hidden, and is what is sent; without JavaScript it is
// the picker itself.
(function () {
  "use strict";
  const SHOWN = 40; // a list longer than this is typed into, not read

  let count = 0;

  function enhance(select) {
    if (select.dataset.pickerReady) return;
    select.dataset.pickerReady = "true";
    count += 1;
    const id = select.id || "picker-" + count;
    const listId = id + "-options";
    const input = document.createElement("input");
    input.type = "text";
    input.id = id;
    input.className = "picker-input";
    input.autocomplete = "off";
    input.spellcheck = false;
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);
    for (const name of ["aria-describedby", "aria-invalid"]) {
      if (select.hasAttribute(name)) input.setAttribute(name, select.getAttribute(name));
    }
    const label = document.querySelector('label[for="' + id + '"]');
    select.id = id + "-select";
    select.hidden = true;
    select.tabIndex = -1;

    const list = document.createElement("ul");
    list.id = listId;
    list.className = "picker-options";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", label ? label.textContent.trim() : "Choices");
    list.hidden = true;
    const status = document.createElement("span");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");

    const box = document.createElement("div");
    box.className = "picker";
    select.after(box);
    box.append(input, list, status);
    const hint = document.createElement("span");
    hint.className = "hint picker-hint";
    hint.id = id + "-picker-hint";
    hint.textContent = "Type part of a name, organisation or table.";
    box.append(hint);
    input.setAttribute(
      "aria-describedby",
      ((input.getAttribute("aria-describedby") || "") + " " + hint.id).trim(),
    );

    const options = [...select.options].map((option) => ({
      value: option.value,
      label: option.label,
      search: option.label.toLowerCase(),
    }));
    let shown = [];
    let active = -1;

    function selectedLabel() {
      const option = select.selectedOptions[0];
      return option ? option.label : "";
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function matches() {
      const words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      return options.filter((o) => words.every((w) => o.search.includes(w)));
    }

    function open() {
      const found = matches();
      shown = found.slice(0, SHOWN);
      list.replaceChildren(
        ...shown.map((o, i) => {
          const item = document.createElement("li");
          item.id = listId + "-" + i;
          item.setAttribute("role", "option");
          item.setAttribute("aria-selected", "false");
          item.textContent = o.label;
          item.addEventListener("mousedown", (event) => event.preventDefault());
          item.addEventListener("click", () => choose(o));
          return item;
        }),
      );
      if (!found.length) {
        status.textContent = "No one matches.";
      } else if (found.length > shown.length) {
        status.textContent = found.length + " matches; the first " + shown.length + " are listed.";
      } else {
        status.textContent = found.length === 1 ? "1 match." : found.length + " matches.";
      }
      list.hidden = !shown.length;
      input.setAttribute("aria-expanded", String(shown.length > 0));
      highlight(shown.length === 1 ? 0 : -1);
    }

    function highlight(index) {
      const items = list.children;
      if (active >= 0 && items[active]) items[active].setAttribute("aria-selected", "false");
      active = index;
      if (active >= 0 && items[active]) {
        items[active].setAttribute("aria-selected", "true");
        input.setAttribute("aria-activedescendant", items[active].id);
        items[active].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function choose(option) {
      select.value = option.value;
      select.dispatchEvent(new Event("change", { bubbles: true }));
      input.value = option.label;
      close();
    }

    input.value = selectedLabel();
    input.addEventListener("focus", () => input.select());
    input.addEventListener("input", open);
    input.addEventListener("keydown", (event) => {
      const listOpen = !list.hidden;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (!listOpen) open();
        else highlight(Math.min(active + 1, shown.length - 1));
      } else if (event.key === "ArrowUp" && listOpen) {
        event.preventDefault();
        highlight(Math.max(active - 1, 0));
      } else if (event.key === "Enter" && listOpen && active >= 0) {
        event.preventDefault(); // choosing is not sending the form
        choose(shown[active]);
      } else if (event.key === "Escape" && listOpen) {
        event.preventDefault();
        input.value = selectedLabel();
        close();
      }
    });
    input.addEventListener("blur", () => {
      // What was typed stands if it names exactly one person; otherwise the choice is kept.
      const found = matches();
      if (input.value !== selectedLabel() && found.length === 1) choose(found[0]);
      else input.value = selectedLabel();
      close();
    });
  }

  function enhanceAll(root) {
    root.querySelectorAll("select[data-picker]").forEach(enhance);
  }

  window.ConvenePicker = { enhanceAll };
  enhanceAll(document);
})();
