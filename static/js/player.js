// Audio players: progress drawn over the server-drawn waveform, and the waveform seeks when
// clicked or used with the keyboard (it becomes a slider). Without this file the native
// controls under it still play, pause and seek.
(function () {
  "use strict";

  var STEP_SECONDS = 5;

  function clock(seconds) {
    if (!isFinite(seconds) || seconds < 0) { return "0:00"; }
    var whole = Math.floor(seconds);
    var h = Math.floor(whole / 3600);
    var m = Math.floor((whole % 3600) / 60);
    var s = whole % 60;
    var mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(s).padStart(2, "0");
  }

  function setUp(figure) {
    var wave = figure.querySelector("[data-player-wave]");
    var media = figure.querySelector("[data-player-media]");
    var drawn = wave && wave.querySelector("svg");
    if (!wave || !media || !drawn) { return; }

    // The played part: a copy of the picture in the accent colour, clipped by CSS to
    // --progress (static/css/contributions.css). Decorative: the slider says the time.
    var copy = drawn.cloneNode(true);
    copy.removeAttribute("role");
    copy.removeAttribute("aria-label");
    copy.setAttribute("aria-hidden", "true");
    var layer = document.createElement("div");
    layer.className = "player__played";
    layer.appendChild(copy);
    wave.appendChild(layer);

    wave.setAttribute("role", "slider");
    wave.setAttribute("tabindex", "0");
    wave.setAttribute("aria-label", (drawn.getAttribute("aria-label") || "Waveform") + ": seek");
    wave.setAttribute("aria-valuemin", "0");
    figure.classList.add("player--live");

    var pending = null; // a seek asked for before the length was known

    function duration() {
      var d = media.duration;
      return isFinite(d) && d > 0 ? d : 0;
    }

    function show() {
      var d = duration();
      var t = Math.min(Math.max(media.currentTime || 0, 0), d || 0);
      var share = d ? t / d : 0;
      figure.style.setProperty("--progress", (share * 100).toFixed(2) + "%");
      wave.setAttribute("aria-valuemax", String(Math.round(d)));
      wave.setAttribute("aria-valuenow", String(Math.round(t)));
      wave.setAttribute("aria-valuetext", clock(t) + " of " + clock(d));
    }

    function seek(share) {
      share = Math.min(Math.max(share, 0), 1);
      var d = duration();
      if (!d) {
        pending = share;
        if (media.preload === "none") { media.preload = "metadata"; }
        media.load();
        return;
      }
      media.currentTime = share * d;
      show();
    }

    function seekBy(seconds) {
      var d = duration();
      if (d) { seek((media.currentTime + seconds) / d); }
    }

    media.addEventListener("loadedmetadata", function () {
      if (pending !== null && duration()) {
        var share = pending;
        pending = null;
        seek(share);
      }
      show();
    });
    ["timeupdate", "durationchange", "seeked", "seeking", "emptied", "ended"].forEach(function (name) {
      media.addEventListener(name, show);
    });

    wave.addEventListener("click", function (event) {
      var box = wave.getBoundingClientRect();
      if (box.width > 0) { seek((event.clientX - box.left) / box.width); }
    });

    wave.addEventListener("keydown", function (event) {
      var d = duration();
      switch (event.key) {
        case "ArrowRight": case "ArrowUp": seekBy(STEP_SECONDS); break;
        case "ArrowLeft": case "ArrowDown": seekBy(-STEP_SECONDS); break;
        case "PageUp": seekBy(d / 10); break;
        case "PageDown": seekBy(-d / 10); break;
        case "Home": seek(0); break;
        case "End": seek(1); break;
        case " ": case "Enter":
          if (media.paused) { media.play().catch(function () {}); } else { media.pause(); }
          break;
        default: return;
      }
      event.preventDefault();
    });

    show();
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-player]"), setUp);
})();
