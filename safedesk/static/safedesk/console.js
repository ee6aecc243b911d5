// The agent console's enhancements: bulk selection, the macro picker and the presence
// heartbeat. Every page works without this file (the forms submit normally); nothing here
// builds HTML from text: values go in with .value and .textContent only.
(() => {
  "use strict";

  const csrfToken = () => {
    const field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  };

  // ---- bulk selection on the inbox -------------------------------------------------------------
  const setUpBulk = () => {
    const form = document.getElementById("bulk-form");
    if (!form) return;
    const page = form.querySelector("[data-select-page]");
    const rows = Array.from(form.querySelectorAll("[data-bulk-row]"));
    if (page) {
      page.addEventListener("change", () => {
        for (const row of rows) row.checked = page.checked;
      });
      for (const row of rows) {
        row.addEventListener("change", () => {
          // "Select page" means every ticket of the page: unchecking one row ends it.
          if (!row.checked) page.checked = false;
          else if (rows.every((r) => r.checked)) page.checked = true;
        });
      }
    }
    const action = form.querySelector("[data-bulk-action]");
    const fields = Array.from(form.querySelectorAll("[data-bulk-for]"));
    const showFields = () => {
      for (const field of fields) {
        const wanted = field.dataset.bulkFor.split(" ").includes(action.value);
        field.hidden = !wanted;
        field.disabled = !wanted;
      }
    };
    if (action) {
      action.addEventListener("change", showFields);
      showFields();
    }
  };

  // ---- macros in the reply box -----------------------------------------------------------------
  const insertAtCursor = (box, text) => {
    if (!box.value.trim()) {
      box.value = text;
    } else {
      const start = box.selectionStart ?? box.value.length;
      const end = box.selectionEnd ?? start;
      const before = box.value.slice(0, start);
      const after = box.value.slice(end);
      const gap = before && !before.endsWith("\n") ? "\n\n" : "";
      box.value = before + gap + text + after;
      const cursor = (before + gap + text).length;
      box.setSelectionRange(cursor, cursor);
    }
    box.dispatchEvent(new Event("input", { bubbles: true }));
    box.focus();
  };

  const applyMacro = async (picker) => {
    const option = picker.selectedOptions[0];
    if (!option || !option.dataset.url) return;
    const response = await fetch(option.dataset.url, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    if (!response.ok) return;
    const macro = await response.json();
    const form = document.getElementById("reply-form");
    if (!form) return;
    insertAtCursor(form.querySelector("[data-reply-box]"), String(macro.body || ""));
    form.querySelector("[data-macro-field]").value = String(macro.macro || "");
    const status = form.querySelector("[data-reply-status]");
    if (status && macro.status && Array.from(status.options).some((o) => o.value === macro.status)) {
      status.value = macro.status;
    }
    const tags = form.querySelector("[data-reply-tags]");
    if (tags && Array.isArray(macro.tags) && macro.tags.length) {
      const current = tags.value.split(/[,，]/).map((t) => t.trim()).filter(Boolean);
      for (const tag of macro.tags) if (!current.includes(tag)) current.push(String(tag));
      tags.value = current.join(", ");
    }
    picker.value = "";
  };

  const setUpMacros = () => {
    const picker = document.querySelector("[data-macro-picker]");
    if (!picker) return;
    picker.addEventListener("change", () => applyMacro(picker));
    picker.form.addEventListener("submit", (event) => {
      event.preventDefault();
      applyMacro(picker);
    });
  };

  // ---- presence ("Ada is viewing / is replying") -----------------------------------------------
  const setUpPresence = () => {
    const panel = document.getElementById("presence");
    if (!panel || !panel.dataset.presenceUrl) return;
    const url = panel.dataset.presenceUrl;
    const every = Math.max(5, Number(panel.dataset.heartbeat) || 10) * 1000;
    const list = panel.querySelector(".presence-list");
    const box = document.querySelector("[data-reply-box]");
    let lastTyped = 0;
    let sentState = "";

    const state = () => (Date.now() - lastTyped < every * 1.5 ? "replying" : "viewing");

    const show = (others) => {
      list.replaceChildren();
      for (const other of others) {
        const item = document.createElement("li");
        item.className = other.state === "replying" ? "presence-replying" : "presence-viewing";
        item.textContent = String(other.text || "");
        list.append(item);
      }
    };

    const beat = async () => {
      const body = new FormData();
      sentState = state();
      body.append("state", sentState);
      try {
        const response = await fetch(url, {
          method: "POST",
          body,
          headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
          credentials: "same-origin",
        });
        if (response.ok) show((await response.json()).others || []);
      } catch (error) {
        // Offline for a moment: the next beat tries again.
      }
    };

    if (box) {
      box.addEventListener("input", () => {
        lastTyped = Date.now();
        if (sentState !== "replying") beat();
      });
    }
    window.addEventListener("pagehide", () => {
      const body = new FormData();
      body.append("state", "left");
      body.append("csrfmiddlewaretoken", csrfToken());
      navigator.sendBeacon(url, body);
    });
    beat();
    window.setInterval(beat, every);
  };

  document.addEventListener("DOMContentLoaded", () => {
    setUpBulk();
    setUpMacros();
    setUpPresence();
  });
})();
