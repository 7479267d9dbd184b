// Small progressive helpers; every page works without this file.
(function () {
  "use strict";
  // Confirm destructive actions marked with data-confirm.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // Lineage pictures open centred on "you are here" rather than scrolled to the far left.
  document.addEventListener("DOMContentLoaded", function () {
    var boxes = document.querySelectorAll(".lineage__scroll");
    Array.prototype.forEach.call(boxes, function (box) {
      var svg = box.querySelector("svg[data-focus-x]");
      if (!svg || box.scrollWidth <= box.clientWidth) { return; }
      var scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
      box.scrollLeft = Number(svg.dataset.focusX) * scale - box.clientWidth / 2;
    });
  });
})();
