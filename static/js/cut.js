// The director's curation page, progressively enhanced. Without this file every button
// posts the form and the page comes back with the edited (unsaved) items and the split.
// With it: weights and reordering update the projected split in place, asking the API's
// preview, which writes nothing (POST /api/projects/<slug>/final-cut/split/); move up /
// move down / remove / add happen in the page; only "Save draft" still posts the form.
(function () {
  "use strict";
  var form = document.querySelector("[data-cut-form]");
  if (!form || !window.fetch || !window.BigInt) { return; }

  var list = form.querySelector("[data-cut-list]");
  var splitUrl = form.getAttribute("data-split-url");
  var tokenInput = form.querySelector("input[name=csrfmiddlewaretoken]");
  var errorsBox = form.querySelector("[data-cut-errors]");
  var emptyNote = form.querySelector("[data-cut-empty]");
  var status = form.querySelector("[data-cut-dirty]");
  var quiet = form.querySelector("[data-cut-quiet]");
  var amountInput = form.querySelector("input[name=amount]");
  var template = document.getElementById("cut-item-template");
  var split = form.querySelector("[data-cut-split]");
  var DEBOUNCE_MS = 350;
  var timer = null;
  var sequence = 0;
  var dirty = false;
  var submitting = false;

  function rows() { return Array.prototype.slice.call(list.querySelectorAll("[data-cut-item]")); }

  function say(message) {
    var unsaved = dirty ? "Unsaved changes: Save draft to keep them." : "";
    status.textContent = message ? message + " " + unsaved : unsaved;
  }

  function changed(message) {
    dirty = true;
    say(message || "");
    schedule();
  }

  // --- numbers, formatted exactly as the server formats them (no float near a share) ---

  function amountMinor() {
    var raw = (amountInput.value || "").trim().replace(/,/g, "");
    if (raw === "") { return 100000; }
    var match = /^(\d{1,13})(?:\.(\d{1,2}))?$/.exec(raw);
    if (!match) { return null; }
    return Number(match[1]) * 100 + Number(((match[2] || "") + "00").slice(0, 2));
  }

  function money(minor) {
    var whole = Math.floor(minor / 100);
    var cents = String(minor % 100).padStart(2, "0");
    return String(whole).replace(/\B(?=(\d{3})+(?!\d))/g, ",") + "." + cents;
  }

  function percent(share) {
    // "0.333333333333" (12 places) -> "33.33", rounded half-even like the server.
    var match = /^(\d+)\.(\d{12})$/.exec(share);
    if (!match) { return share; }
    var scaled = BigInt(match[1] + match[2]);
    var unit = BigInt(100000000);
    var two = BigInt(2);
    var hundredths = scaled / unit;
    var rest = scaled % unit;
    if (rest * two > unit || (rest * two === unit && hundredths % two === BigInt(1))) {
      hundredths += BigInt(1);
    }
    var text = hundredths.toString().padStart(3, "0");
    return text.slice(0, -2) + "." + text.slice(-2);
  }

  // --- the preview ---------------------------------------------------------------------

  function items() {
    return rows().map(function (row) {
      var share = row.querySelector("[data-cut-share]").value.trim();
      return {
        contribution: Number(row.getAttribute("data-id")),
        weight: row.querySelector("[data-cut-weight]").value.trim(),
        upstream_share: share === "" ? null : share
      };
    });
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(preview, DEBOUNCE_MS);
  }

  function note(text) {
    quiet.textContent = text;
    quiet.hidden = !text;
  }

  function show(element, visible) { element.hidden = !visible; }

  function showNoSplit(text) {
    show(split.querySelector("[data-cut-split-table]"), false);
    show(split.querySelector("[data-cut-pool]"), false);
    var empty = split.querySelector("[data-cut-split-note]");
    empty.textContent = text;
    show(empty, true);
  }

  function renderSplit(data) {
    var body = split.querySelector("[data-cut-lines]");
    body.textContent = "";
    data.lines.forEach(function (line) {
      var tr = document.createElement("tr");
      var who = document.createElement("td");
      var name = line.user.username;
      if (name === "former member") {
        who.textContent = name;
      } else {
        var link = document.createElement("a");
        link.href = "/u/" + encodeURIComponent(name) + "/";
        link.textContent = name;
        who.appendChild(link);
      }
      var share = document.createElement("td");
      share.className = "num";
      share.title = line.share_exact;
      share.textContent = percent(line.share) + "%";
      var amount = document.createElement("td");
      amount.className = "num";
      amount.textContent = money(line.amount_minor);
      tr.appendChild(who);
      tr.appendChild(share);
      tr.appendChild(amount);
      body.appendChild(tr);
    });
    var pool = split.querySelector("[data-cut-pool]");
    pool.textContent = "";
    pool.appendChild(document.createTextNode("Contributors share "));
    var strong = document.createElement("strong");
    strong.textContent = money(data.pool_minor);
    pool.appendChild(strong);
    pool.appendChild(document.createTextNode(
      " of " + money(data.amount_minor) + "; the house keeps " + money(data.house_minor) + "."
    ));
    show(split.querySelector("[data-cut-split-note]"), false);
    show(split.querySelector("[data-cut-split-table]"), true);
    show(pool, true);
  }

  function clearErrors() {
    errorsBox.textContent = "";
    errorsBox.hidden = true;
    Array.prototype.forEach.call(form.querySelectorAll("[data-cut-error-for]"), function (p) {
      p.textContent = "";
      p.hidden = true;
      p.parentNode.classList.remove("field--error");
    });
  }

  function fieldError(row, which, message) {
    var p = row.querySelector("[data-cut-error-for=" + which + "]");
    p.textContent = message;
    p.hidden = false;
    p.parentNode.classList.add("field--error");
  }

  // DRF answers {"items": ["Item 2: ..."]} (the services' parser) or, for shapes,
  // {"items": [{}, {"weight": ["..."]}]}; anything else is shown as it comes.
  function showErrors(data) {
    clearErrors();
    var loose = [];
    var all = rows();
    function place(index, field, message) {
      var row = all[index];
      if (!row) { loose.push(message); return; }
      var which = field || (/upstream share/i.test(message) ? "share" : "weight");
      fieldError(row, which, message);
    }
    function walk(value, key) {
      if (typeof value === "string") {
        var numbered = /^Item (\d+):/.exec(value);
        if (numbered) { place(Number(numbered[1]) - 1, null, value); } else { loose.push(value); }
      } else if (Array.isArray(value)) {
        value.forEach(function (entry, index) {
          if (key === "items" && entry && typeof entry === "object" && !Array.isArray(entry)) {
            Object.keys(entry).forEach(function (field) {
              var which = field === "upstream_share" ? "share" : field === "weight" ? "weight" : null;
              [].concat(entry[field]).forEach(function (message) {
                var text = "Item " + (index + 1) + ": " + message;
                if (which) { place(index, which, text); } else { loose.push(text); }
              });
            });
          } else {
            walk(entry, key);
          }
        });
      } else if (value && typeof value === "object") {
        Object.keys(value).forEach(function (name) { walk(value[name], name); });
      }
    }
    walk(data, "");
    if (loose.length) {
      loose.forEach(function (message) {
        var p = document.createElement("p");
        p.textContent = message;
        errorsBox.appendChild(p);
      });
      errorsBox.hidden = false;
    }
  }

  function preview() {
    window.clearTimeout(timer);
    var amount = amountMinor();
    var amountError = amountInput.parentNode.querySelector("[data-cut-amount-error]");
    if (amount === null) {
      if (!amountError) {
        amountError = document.createElement("p");
        amountError.className = "field__error";
        amountError.setAttribute("data-cut-amount-error", "");
        amountInput.insertAdjacentElement("afterend", amountError);
      }
      amountError.textContent = "Enter an amount such as 1000.00 (digits, up to 2 decimals).";
      return;
    }
    if (amountError) { amountError.remove(); }
    var body = { amount_minor: amount, items: items() };
    var mine = ++sequence;
    if (!body.items.length) {
      clearErrors();
      showNoSplit("Add contributions to the cut to see how a revenue would be split.");
      return;
    }
    window.fetch(splitUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRFToken": tokenInput ? tokenInput.value : ""
      },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { code: response.status, data: data };
      });
    }).then(function (answer) {
      if (mine !== sequence) { return; }  // a newer edit is on its way
      if (answer.code === 200) {
        clearErrors();
        note("");
        renderSplit(answer.data);
      } else if (answer.code === 429) {
        note("Previews pause for a moment after many quick edits; the split updates on your next change.");
      } else if (answer.code === 400) {
        note("");
        showErrors(answer.data);
        showNoSplit("Fix the items on the left to see the split.");
      } else {
        note("The preview is unavailable right now (" + answer.code + "); Preview split reloads the page with it.");
      }
    }).catch(function () {
      if (mine === sequence) { note("The preview could not be reached; Preview split reloads the page with it."); }
    });
  }

  // --- editing the list ----------------------------------------------------------------

  function refreshButtons() {
    var all = rows();
    all.forEach(function (row, index) {
      row.querySelector("[data-cut-move=up]").disabled = index === 0;
      row.querySelector("[data-cut-move=down]").disabled = index === all.length - 1;
    });
    emptyNote.hidden = all.length > 0;
  }

  function titleOf(row) { return row.querySelector(".cut-item__title a").textContent; }

  function setAddButtons(id, inCut) {
    var buttons = form.querySelectorAll('[data-cut-add="' + id + '"]');
    Array.prototype.forEach.call(buttons, function (button) {
      button.disabled = inCut;
      button.firstChild.nodeValue = inCut ? "In the cut" : "Add";
    });
  }

  function move(row, button) {
    var up = button.getAttribute("data-cut-move") === "up";
    // Move the neighbour, not the row: the focused button stays where it is in the DOM.
    if (up && row.previousElementSibling) {
      list.insertBefore(row.previousElementSibling, row.nextElementSibling);
    } else if (!up && row.nextElementSibling) {
      list.insertBefore(row.nextElementSibling, row);
    } else {
      return;
    }
    refreshButtons();
    var target = button.disabled
      ? row.querySelector("[data-cut-move=" + (up ? "down" : "up") + "]")
      : button;
    if (!target.disabled) { target.focus(); }
    var all = rows();
    changed("Moved “" + titleOf(row) + "” to position " + (all.indexOf(row) + 1) + " of " + all.length + ".");
  }

  function remove(row) {
    var next = row.nextElementSibling || row.previousElementSibling;
    var title = titleOf(row);
    setAddButtons(row.getAttribute("data-id"), false);
    row.remove();
    refreshButtons();
    if (next) { next.querySelector("[data-cut-remove]").focus(); }
    changed("Removed “" + title + "” from the cut.");
  }

  function add(button) {
    var id = button.getAttribute("data-cut-add");
    if (list.querySelector('[data-cut-item][data-id="' + id + '"]')) { return; }
    var row = template.content.firstElementChild.cloneNode(true);
    var title = button.getAttribute("data-title");
    row.setAttribute("data-id", id);
    row.querySelector("input[name=item]").value = id;
    [["weight", "[data-cut-weight]"], ["share", "[data-cut-share]"]].forEach(function (pair) {
      var input = row.querySelector(pair[1]);
      var name = pair[0] + "-" + id;
      input.id = name;
      input.name = name;
      input.setAttribute("aria-describedby", name + "-error");
      row.querySelector("[data-slot=" + pair[0] + "-label]").htmlFor = name;
      row.querySelector("[data-cut-error-for=" + pair[0] + "]").id = name + "-error";
    });
    var kind = row.querySelector("[data-slot=kind]");
    kind.classList.add("kind--" + button.getAttribute("data-kind"));
    kind.textContent = button.getAttribute("data-kind-label");
    var link = row.querySelector("[data-slot=title]");
    link.href = button.getAttribute("data-url");
    link.textContent = title;
    var from = button.getAttribute("data-from");
    row.querySelector("[data-slot=meta]").textContent =
      "by " + button.getAttribute("data-author") + (from ? " · from " + from : "");
    var thumb = button.closest(".candidate").querySelector("[data-cut-thumb]");
    if (thumb) { row.querySelector("[data-slot=thumb]").innerHTML = thumb.innerHTML; }
    Array.prototype.forEach.call(row.querySelectorAll("button"), function (b) { b.value = id; });
    Array.prototype.forEach.call(row.querySelectorAll("[data-slot=name]"), function (span) {
      span.textContent = " “" + title + "”";
    });
    list.appendChild(row);
    refreshButtons();
    row.querySelector("[data-cut-weight]").focus();
    setAddButtons(id, true);
    changed("Added “" + title + "” to the cut, at position " + rows().length + ".");
  }

  form.addEventListener("click", function (event) {
    var button = event.target.closest("button");
    if (!button || !form.contains(button)) { return; }
    var row = button.closest("[data-cut-item]");
    if (row && button.hasAttribute("data-cut-move")) {
      event.preventDefault();
      move(row, button);
    } else if (row && button.hasAttribute("data-cut-remove")) {
      event.preventDefault();
      remove(row);
    } else if (button.hasAttribute("data-cut-add")) {
      event.preventDefault();
      if (!button.disabled) { add(button); }
    } else if (button.hasAttribute("data-cut-preview")) {
      event.preventDefault();
      preview();
    }
  });

  form.addEventListener("input", function (event) {
    var target = event.target;
    if (target.matches("[data-cut-weight], [data-cut-share]")) {
      changed("");
    } else if (target === amountInput) {
      schedule();
    }
  });

  form.addEventListener("keydown", function (event) {
    if (event.key !== "Enter") { return; }
    var target = event.target;
    if (target.matches("[data-cut-weight], [data-cut-share]") || target === amountInput) {
      event.preventDefault();  // Enter previews now; it never submits
      preview();
    } else if (target.name === "q") {
      event.preventDefault();
      var search = form.querySelector("[data-cut-search]");
      submitting = true;
      if (form.requestSubmit) { form.requestSubmit(search); } else { search.click(); }
    }
  });

  form.addEventListener("submit", function () { submitting = true; });

  window.addEventListener("beforeunload", function (event) {
    if (dirty && !submitting) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  var lockLink = document.querySelector("[data-cut-lock]");
  if (lockLink) {
    lockLink.addEventListener("click", function (event) {
      if (dirty && !window.confirm("You have unsaved changes. Locking uses the saved draft, without them. Continue?")) {
        event.preventDefault();
      } else {
        submitting = true;  // asked already: no second "leave the page?" question
      }
    });
  }
})();
