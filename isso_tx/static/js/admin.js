// isso-tx admin panel: a "select all" box for the bulk actions. The panel
// works without this script; it only saves clicks.
(function () {
  "use strict";
  function ready() {
    var all = document.getElementById("select-all");
    var boxes = document.querySelectorAll('input[type=checkbox][name=id][form=bulk]');
    if (!all || !boxes.length) return;
    all.parentNode.hidden = false;
    function sync() {
      var checked = 0;
      boxes.forEach(function (box) { if (box.checked) checked++; });
      all.checked = checked == boxes.length;
      all.indeterminate = checked > 0 && checked < boxes.length;
    }
    all.addEventListener("change", function () {
      boxes.forEach(function (box) { box.checked = all.checked; });
    });
    boxes.forEach(function (box) { box.addEventListener("change", sync); });
    document.getElementById("bulk").addEventListener("submit", function (event) {
      var any = false;
      boxes.forEach(function (box) { if (box.checked) any = true; });
      if (!any) {
        event.preventDefault();
        var note = document.getElementById("bulk-note");
        if (note) note.hidden = false;
      }
    });
    sync();
  }
  if (document.readyState == "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
