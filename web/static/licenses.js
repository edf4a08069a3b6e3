// licenses.js makes Billing › Licenses smoother; every page works without it.
//
// In the Assign licenses to users pane it turns the search box into a
// typeahead (the ARIA combobox pattern): typing asks GET /api/v1/users,
// which takes the browser's session cookie, and choosing a result adds the
// person to the list in the same hidden "user" inputs that the form posts,
// without a page load. The list holds at most data-max users. Every text
// comes translated in the form's data attributes. On the list of holders it
// adds a box that ticks them all.
(() => {
  "use strict";

  const form = document.getElementById("assign-form");
  if (form) typeahead(form);
  const all = document.getElementById("select-all");
  if (all) selectAll(all);

  function typeahead(form) {
    const text = form.dataset;
    const max = Number(text.max);
    const holders = new Set(text.holders.split(" ").filter(Boolean));
    const input = document.getElementById("user-search");
    const results = document.getElementById("user-results");
    const chosen = document.getElementById("chosen-users");
    const count = document.getElementById("chosen-count");
    const empty = document.getElementById("chosen-empty");
    const message = document.getElementById("assign-message");
    const template = document.getElementById("chosen-user-template");
    let found = [];
    let active = -1;
    let timer = 0;
    let pending = null;

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", results.id);
    input.setAttribute("aria-expanded", "false");

    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(search, 150);
    });
    input.addEventListener("keydown", (e) => {
      const open = !results.hidden && found.length > 0;
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        if (!open) return;
        e.preventDefault();
        move(e.key === "ArrowDown" ? 1 : -1);
      } else if (e.key === "Enter" && open && active >= 0) {
        e.preventDefault();
        pick(document.getElementById("user-option-" + active));
      } else if (e.key === "Escape" && !results.hidden) {
        e.preventDefault();
        close();
      }
    });
    // Leaving the box closes the results, unless the focus came back
    // meanwhile (Remove gives it back at once).
    input.addEventListener("blur", () =>
      setTimeout(() => {
        if (document.activeElement !== input) close();
      }, 200),
    );
    // A click on a result, or on Remove, must not take the focus from the
    // box first.
    results.addEventListener("mousedown", (e) => e.preventDefault());
    chosen.addEventListener("mousedown", (e) => {
      if (e.target.closest('button[name="remove"]')) e.preventDefault();
    });
    results.addEventListener("click", (e) => {
      const option = e.target.closest("[role=option]");
      if (option) pick(option);
    });
    chosen.addEventListener("click", (e) => {
      const button = e.target.closest('button[name="remove"]');
      if (!button) return;
      e.preventDefault();
      button.closest("li").remove();
      say("");
      update();
      input.focus();
    });

    function ids() {
      return [...chosen.querySelectorAll('input[name="user"]')].map((i) => i.value);
    }

    async function search() {
      const q = input.value.trim();
      if (pending) pending.abort();
      if (q === "") {
        close();
        return;
      }
      pending = new AbortController();
      try {
        const resp = await fetch("/api/v1/users?limit=10&search=" + encodeURIComponent(q), {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
          signal: pending.signal,
        });
        if (!resp.ok) throw new Error("status " + resp.status);
        show((await resp.json()).data, q);
      } catch (err) {
        if (err.name !== "AbortError") show(null, q);
      }
    }

    // show lists the users found for q, or says that the search failed
    // (null). Each result keeps its user, so that a click picks the one
    // shown under it even if newer results replace it meanwhile.
    function show(users, q) {
      found = users || [];
      active = -1;
      results.replaceChildren();
      results.dataset.query = q;
      input.removeAttribute("aria-activedescendant");
      const taken = new Set(ids());
      found.forEach((u, i) => {
        const li = document.createElement("li");
        li.id = "user-option-" + i;
        Object.assign(li.dataset, { id: u.id, name: u.name, email: u.email, type: u.type });
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        const name = span("person-name", u.name);
        li.append(name);
        if (u.type === "guest") li.append(" ", span("tag", text.guest));
        li.append(" ", span("person-email", u.email));
        const why = holders.has(u.id) ? text.hasLicense : taken.has(u.id) ? text.inList : "";
        if (why) {
          li.setAttribute("aria-disabled", "true");
          li.append(" ", span("status", why));
        }
        results.append(li);
      });
      if (found.length === 0) {
        const li = document.createElement("li");
        li.className = "typeahead-empty";
        li.textContent = users ? text.none : text.failed;
        results.append(li);
      }
      results.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function span(cls, s) {
      const e = document.createElement("span");
      e.className = cls;
      e.textContent = s;
      return e;
    }

    function close() {
      results.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    // move makes the next (1) or previous (-1) result that can be chosen
    // the active one.
    function move(step) {
      const options = [...results.querySelectorAll("[role=option]")];
      let i = active;
      for (let n = 0; n < options.length; n++) {
        i = (i + step + options.length) % options.length;
        if (options[i].getAttribute("aria-disabled") !== "true") break;
      }
      options.forEach((o, j) => o.setAttribute("aria-selected", String(j === i)));
      if (options[i] && options[i].getAttribute("aria-disabled") !== "true") {
        active = i;
        input.setAttribute("aria-activedescendant", options[i].id);
        options[i].scrollIntoView({ block: "nearest" });
      }
    }

    function pick(option) {
      if (!option || option.getAttribute("aria-disabled") === "true") return;
      const u = option.dataset;
      if (ids().includes(u.id)) {
        close();
        return;
      }
      if (ids().length >= max) {
        say(text.limit);
        close();
        return;
      }
      // A search still under way must not open the results again.
      clearTimeout(timer);
      if (pending) pending.abort();
      const li = template.content.firstElementChild.cloneNode(true);
      li.querySelector('input[name="user"]').value = u.id;
      li.querySelector(".person-name").textContent = u.name;
      li.querySelector(".person-email").textContent = u.email;
      if (u.type !== "guest") li.querySelector(".tag").remove();
      const remove = li.querySelector('button[name="remove"]');
      remove.value = u.id;
      remove.querySelector(".visually-hidden").textContent = " " + u.name;
      chosen.append(li);
      say("");
      update();
      input.value = "";
      close();
      input.focus();
    }

    function update() {
      const n = ids().length;
      count.textContent = String(n);
      empty.hidden = n > 0;
    }

    function say(s) {
      message.textContent = s;
      message.hidden = s === "";
    }
  }

  function selectAll(all) {
    const boxes = [...document.querySelectorAll('table.holders input[name="user"]')];
    const sync = () => {
      boxes.forEach((b) => b.closest("tr").classList.toggle("current", b.checked));
      const n = boxes.filter((b) => b.checked).length;
      all.checked = n === boxes.length;
      all.indeterminate = n > 0 && n < boxes.length;
    };
    all.hidden = false;
    all.addEventListener("change", () => {
      boxes.forEach((b) => (b.checked = all.checked));
      sync();
    });
    boxes.forEach((b) => b.addEventListener("change", sync));
    sync();
  }
})();
