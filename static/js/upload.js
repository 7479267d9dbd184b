// Upload with a progress bar showing the bytes sent. Without this file the form posts as usual.
// In the S3 mode (data-direct-upload), the file goes straight to the store with a presigned
// POST first, and the form is then submitted with the returned upload key.
(function () {
  "use strict";

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
  }

  function send(form, data) {
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action || window.location.href);
    xhr.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) { showProgress(form, event.loaded, event.total); }
    });
    xhr.addEventListener("load", function () {
      if (xhr.status >= 200 && xhr.status < 300 && xhr.responseURL && xhr.responseURL !== window.location.href) {
        window.location.assign(xhr.responseURL);
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
