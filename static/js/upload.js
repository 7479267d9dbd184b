// Upload with a progress bar showing the bytes sent. Without this file the form posts as usual.
// In the S3 mode (data-direct-upload), the file goes straight to the store with a presigned
// POST first, and the form is then submitted with the returned upload key.
// Before anything is sent, the fields the server would refuse are checked here with the same
// rules and words (contributions/forms.py, services.parse_weight and _validate_fields), so a
// large file is not uploaded only to hear that a weight or the title is missing.
(function () {
  "use strict";

  var WEIGHT_MAX = 10;
  var WEIGHT_PLACES = 1000; // at most 3 decimal places

  function weightError(input) {
    var raw = input.value.trim();
    if (input.validity && input.validity.badInput) { return "A weight must be a number."; }
    if (raw === "") { return ""; } // empty is the default (1); a required one is checked apart
    var weight = Number(raw);
    if (!isFinite(weight)) { return "A weight must be a number; got '" + raw + "'."; }
    if (weight <= 0 || weight > WEIGHT_MAX) { return "A weight must be more than 0 and at most 10."; }
    var scaled = weight * WEIGHT_PLACES;
    if (Math.abs(scaled - Math.round(scaled)) > 1e-6) { return "A weight may have at most 3 decimal places."; }
    return "";
  }

  function clearErrors(form) {
    Array.prototype.forEach.call(form.querySelectorAll(".field__error"), function (p) { p.remove(); });
    Array.prototype.forEach.call(form.querySelectorAll(".field--error"), function (box) {
      box.classList.remove("field--error");
    });
    Array.prototype.forEach.call(form.querySelectorAll("[aria-invalid]"), function (input) {
      input.removeAttribute("aria-invalid");
    });
  }

  function addError(input, message) {
    var box = input.closest(".field") || input.parentNode;
    if (box.classList.contains("field--error")) { return; } // one message a field
    var p = document.createElement("p");
    p.className = "field__error";
    p.setAttribute("role", "alert");
    p.textContent = message;
    box.appendChild(p);
    box.classList.add("field--error");
    input.setAttribute("aria-invalid", "true");
  }

  function isMissing(input) {
    if (input.type === "checkbox") { return !input.checked; }
    if (input.type === "radio") {
      return !input.form.querySelector("input[name='" + input.name + "']:checked");
    }
    return input.value.trim() === "" && !(input.validity && input.validity.badInput);
  }

  // Returns the first field in error, or null when the form may be sent.
  function check(form) {
    clearErrors(form);
    var first = null;
    function fail(input, message) {
      addError(input, message);
      first = first || input;
    }
    Array.prototype.forEach.call(form.querySelectorAll("[data-required-message]"), function (input) {
      if (!input.closest("[hidden]") && isMissing(input)) {
        fail(input, input.getAttribute("data-required-message"));
      }
    });
    var kindInput = form.querySelector("input[name=kind]:checked");
    var kind = kindInput ? kindInput.value : "";
    var text = form.querySelector("textarea[name=text]");
    if (kind === "text" && text && text.value.trim() === "") {
      fail(text, "Write the text of your contribution.");
    }
    var fileInput = form.querySelector("input[type=file]");
    var key = form.querySelector("input[name=upload_key]");
    var hasFile = fileInput && fileInput.files && fileInput.files.length > 0;
    if (kind && kind !== "text" && fileInput && !hasFile && !(key && key.value)) {
      fail(fileInput, "Attach the " + kind + " file.");
    }
    Array.prototype.forEach.call(form.querySelectorAll("input[name^=weight_]"), function (input) {
      var message = weightError(input);
      if (message) { fail(input, message); }
    });
    return first;
  }

  function formatBytes(n) {
    if (n >= 1048576) { return (n / 1048576).toFixed(1) + " MB"; }
    if (n >= 1024) { return (n / 1024).toFixed(0) + " KB"; }
    return n + " bytes";
  }

  function showProgress(form, sent, total) {
    var box = form.querySelector(".upload-progress");
    var bar = form.querySelector(".progress__bar");
    var meter = form.querySelector("[role=progressbar]");
    var text = form.querySelector(".upload-progress__text");
    var percent = total ? Math.floor((sent / total) * 100) : 0;
    box.hidden = false;
    bar.style.width = percent + "%";
    meter.setAttribute("aria-valuenow", String(percent));
    text.textContent = formatBytes(sent) + " of " + formatBytes(total) + " sent (" + percent + "%)";
  }

  function replacePage(html, url) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    document.title = doc.title;
    document.body.replaceWith(doc.body);
    if (url) { window.history.replaceState(null, "", url); }
    wire();
    var error = document.querySelector(".field--error input, .field--error select, .field--error textarea");
    if (error) { error.focus(); }
  }

  function send(form, data) {
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action || window.location.href);
    xhr.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) { showProgress(form, event.loaded, event.total); }
    });
    // Asked for JSON, the view answers a success with the address to open; the
    // confirmation waits there (following a redirect here would show it to no one).
    xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    xhr.addEventListener("load", function () {
      var type = xhr.getResponseHeader("Content-Type") || "";
      if (xhr.status === 200 && type.indexOf("application/json") === 0) {
        window.location.assign(JSON.parse(xhr.responseText).redirect);
      } else if (xhr.status === 200 && xhr.responseURL && xhr.responseURL !== window.location.href) {
        window.location.assign(xhr.responseURL); // sent elsewhere, e.g. to sign in again
      } else {
        replacePage(xhr.responseText, null);
      }
    });
    xhr.addEventListener("error", function () {
      var text = form.querySelector(".upload-progress__text");
      text.textContent = "The upload failed: check your connection and try again.";
      form.querySelector("button[type=submit]").disabled = false;
    });
    xhr.send(data);
  }

  function csrfToken(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function directUpload(form, file, kind, done) {
    var ask = new XMLHttpRequest();
    ask.open("POST", form.getAttribute("data-direct-upload"));
    ask.setRequestHeader("Content-Type", "application/json");
    ask.setRequestHeader("X-CSRFToken", csrfToken(form));
    ask.addEventListener("load", function () {
      if (ask.status !== 201) { done(null); return; }
      var post = JSON.parse(ask.responseText);
      var data = new FormData();
      Object.keys(post.fields).forEach(function (name) { data.append(name, post.fields[name]); });
      data.append("file", file);
      var up = new XMLHttpRequest();
      up.open("POST", post.url);
      up.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) { showProgress(form, event.loaded, event.total); }
      });
      up.addEventListener("load", function () { done(up.status < 300 ? post.upload_key : null); });
      up.addEventListener("error", function () { done(null); });
      up.send(data);
    });
    ask.send(JSON.stringify({ kind: kind }));
  }

  function onSubmit(event) {
    var form = event.target;
    var invalid = check(form);
    if (invalid) {
      event.preventDefault();
      invalid.focus();
      return;
    }
    var fileInput = form.querySelector("input[type=file]");
    var file = fileInput && fileInput.files && fileInput.files[0];
    var kindInput = form.querySelector("input[name=kind]:checked");
    var kind = kindInput ? kindInput.value : "";
    if (!file || kind === "text" || !window.FormData) { return; }
    event.preventDefault();
    form.querySelector("button[type=submit]").disabled = true;
    showProgress(form, 0, file.size);
    if (form.hasAttribute("data-direct-upload")) {
      directUpload(form, file, kind, function (key) {
        var data = new FormData(form);
        if (key) {
          data.delete("file");
          data.set("upload_key", key);
        }
        send(form, data);
      });
    } else {
      send(form, new FormData(form));
    }
  }

  function toggleKind(form) {
    var checked = form.querySelector("input[name=kind]:checked");
    var kind = checked ? checked.value : "";
    var text = form.querySelector(".kind-text");
    var file = form.querySelector(".kind-file");
    if (text) { text.hidden = kind !== "" && kind !== "text"; }
    if (file) { file.hidden = kind === "text"; }
  }

  function wire() {
    var forms = document.querySelectorAll("form[data-upload-progress]");
    Array.prototype.forEach.call(forms, function (form) {
      form.addEventListener("submit", onSubmit);
      form.addEventListener("change", function () { toggleKind(form); });
      toggleKind(form);
    });
  }

  document.addEventListener("DOMContentLoaded", wire);
})();
