// The Support page chart: tickets per week by decision (auto, draft, escalate), stacked.
(function () {
  "use strict";
  var canvas = document.getElementById("support-chart");
  var embedded = document.getElementById("support-weekly");
  if (!canvas || !embedded || !window.Chart) return;
  var weeks = JSON.parse(embedded.textContent);
  var series = [
    ["auto", "Answered automatically", "#10b981"],
    ["draft", "Drafted for approval", "#f59e0b"],
    ["escalate", "Escalated", "#ef4444"]
  ];
  new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: weeks.map(function (w) { return w.week; }),
      datasets: series.map(function (s) {
        return { label: s[1], backgroundColor: s[2], data: weeks.map(function (w) { return w[s[0]]; }) };
      })
    },
    options: {
      maintainAspectRatio: false,
      scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } }
    }
  });
})();
