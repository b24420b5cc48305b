// The Finance page's daily P&L chart: net revenue as bars, contribution after fulfilment and net
// operating income as lines. Money arrives as decimal strings; they become numbers only to draw,
// and the tooltip shows the exact strings.
(function () {
  "use strict";

  var canvas = document.getElementById("finance-chart");
  var embedded = document.getElementById("finance-daily");
  if (!canvas || !embedded || !window.Chart) return;
  var data = JSON.parse(embedded.textContent);
  var exact = {};

  function series(key, label, color, type) {
    exact[label] = data[key];
    return {
      type: type,
      label: label,
      data: data[key].map(Number),
      backgroundColor: color,
      borderColor: color,
      borderWidth: type === "line" ? 2 : 0,
      pointRadius: 0,
      tension: 0.2
    };
  }

  new Chart(canvas, {
    data: {
      labels: data.days,
      datasets: [
        series("net_revenue", "Net revenue", "#93c5fd", "bar"),
        series("contribution_after_fulfilment", "Contribution after fulfilment", "#10b981", "line"),
        series("net_operating_income", "Net operating income", "#ef4444", "line")
      ]
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: { duration: 300 },
      interaction: { mode: "index", intersect: false },
      scales: {
        x: { grid: { display: false }, ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 12, color: "#64748b" } },
        y: { ticks: { color: "#64748b" } }
      },
      plugins: {
        tooltip: {
          callbacks: {
            label: function (context) {
              var label = context.dataset.label;
              return label + ": " + exact[label][context.dataIndex] + " " + data.currency;
            }
          }
        }
      }
    }
  });
})();
