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

  // A wide lineage picture starts at its first node; only when "you are here" is out of
  // sight there does it open centred on it (the faded edges show what is cut).
  document.addEventListener("DOMContentLoaded", function () {
    var boxes = document.querySelectorAll(".lineage__scroll");
    Array.prototype.forEach.call(boxes, function (box) {
      var here = box.querySelector("[aria-current=page] rect");
      if (!here || box.scrollWidth <= box.clientWidth) { return; }
      var view = box.getBoundingClientRect(), node = here.getBoundingClientRect();
      var fade = 16; // the faded edges of lineage.css
      if (node.left >= view.left + fade && node.right <= view.right - fade) { return; }
      box.scrollLeft += node.left + node.width / 2 - (view.left + view.width / 2);
    });
  });
})();
