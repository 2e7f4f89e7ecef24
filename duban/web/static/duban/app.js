// 督办系统 — the little script the pages need; everything works without it too.
(function () {
  "use strict";

  // On a phone the header's menu folds behind its 菜单 button (without the script it
  // simply stays open: the stylesheet folds it only when this class is set).
  document.documentElement.classList.add("js");
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-menu-toggle]");
    if (!toggle) {
      return;
    }
    var menu = document.getElementById(toggle.getAttribute("aria-controls"));
    var open = menu.classList.toggle("is-open");
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  });

  // The establish form: show the fieldset of the chosen source kind, and offer only
  // the source bodies that fit it.
  function showSourceKind(form) {
    var checked = form.querySelector('input[name="source_kind"]:checked');
    var kind = checked ? checked.value : "";
    form.querySelectorAll("fieldset[data-kind]").forEach(function (fieldset) {
      fieldset.hidden = kind !== "" && fieldset.dataset.kind !== kind;
    });
    var select = form.querySelector('select[name="source_body"]');
    if (!select || !select.dataset.bodies) {
      return;
    }
    var allowed = JSON.parse(select.dataset.bodies)[kind] || null;
    var firstFitting = null;
    Array.prototype.forEach.call(select.options, function (option) {
      var fits = !allowed || allowed.indexOf(option.value) !== -1;
      option.hidden = !fits;
      option.disabled = !fits;
      if (fits && firstFitting === null) {
        firstFitting = option.value;
      }
    });
    select.querySelectorAll("optgroup").forEach(function (group) {
      group.hidden = !Array.prototype.some.call(group.children, function (option) {
        return !option.disabled;
      });
    });
    var selected = select.options[select.selectedIndex];
    if ((!selected || selected.disabled) && firstFitting !== null) {
      select.value = firstFitting;
    }
  }

  // The work plan: one more milestone row, numbered after the last one.
  function addMilestoneRow(list) {
    var rows = list.querySelectorAll("[data-milestone-row]");
    var last = rows[rows.length - 1];
    var next = parseInt(last.dataset.milestoneRow, 10) + 1;
    var row = last.cloneNode(true);
    row.dataset.milestoneRow = String(next);
    row.querySelectorAll("input").forEach(function (input) {
      input.name = input.name.replace(/_\d+$/, "_" + next);
      input.id = input.id.replace(/_\d+$/, "_" + next);
      input.value = "";
    });
    list.appendChild(row);
    row.querySelector("input").focus();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-source-kinds]").forEach(function (form) {
      form.addEventListener("change", function (event) {
        if (event.target.name === "source_kind") {
          showSourceKind(form);
        }
      });
      showSourceKind(form);
    });
    document.querySelectorAll("[data-add-milestone]").forEach(function (button) {
      button.addEventListener("click", function () {
        addMilestoneRow(document.getElementById(button.dataset.addMilestone));
      });
    });
  });
})();
