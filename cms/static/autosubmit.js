/* A <select data-autosubmit> submits its form when it changes (the calendar's channel filter).
   A static file, not an inline onchange: the Content-Security-Policy allows no inline script. */
(function () {
  "use strict";
  document.querySelectorAll("select[data-autosubmit]").forEach(function (el) {
    el.addEventListener("change", function () {
      if (el.form) { el.form.submit(); }
    });
  });
})();
