/* The figures page's charts (cms/templates/followers/figures.html), drawn with the Chart.js served
   from static/vendor/chartjs (no CDN: intranets have no internet). The figures come in the
   data-chart attribute of #charts: a static file, not inline script (the CSP allows none). */
(function () {
  "use strict";
  function draw() {
    var box = document.getElementById("charts");
    if (!box || typeof window.Chart === "undefined") { return; }
    var data = JSON.parse(box.getAttribute("data-chart") || "{}");
    var names = JSON.parse(box.getAttribute("data-labels") || "{}");
    var labels = data.labels || [];
    function chart(id, kind, sets) {
      var el = document.getElementById(id);
      if (!el) { return; }
      el.chart = new window.Chart(el, {
        type: kind,
        data: {labels: labels, datasets: sets},
        options: {responsive: true, animation: false, scales: {y: {beginAtZero: true}}}
      });
    }
    chart("chart-reads", "line", [
      {label: names.reads, data: data.reads || [], borderColor: "#0d6efd", backgroundColor: "#0d6efd"},
      {label: names.shares, data: data.shares || [], borderColor: "#198754", backgroundColor: "#198754"}
    ]);
    chart("chart-users", "bar", [
      {label: names.new_user, data: data.new_user || [], backgroundColor: "#0d6efd"},
      {label: names.cancel_user, data: data.cancel_user || [], backgroundColor: "#dc3545"}
    ]);
    box.setAttribute("data-drawn", "1");
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
