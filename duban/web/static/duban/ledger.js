// The ledger page: "全选本页" ticks every row of the page (without the script, rows are
// ticked one by one).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var all = document.querySelector("[data-select-all]");
    if (!all) {
      return;
    }
    var rows = document.querySelectorAll('#ledger-table input[name="items"]');
    all.hidden = false;
    all.addEventListener("change", function () {
      rows.forEach(function (box) {
        box.checked = all.checked;
      });
    });
  });
})();
