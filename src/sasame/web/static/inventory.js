// The Inventory page's chart: units sold per day against the saved forecasts, with the
// prediction interval as a band and out-of-stock days marked (their sales are not demand).
(function () {
  "use strict";

  var canvas = document.getElementById("inventory-chart");
  var embedded = document.getElementById("inventory-forecast");
  if (!canvas || !embedded || !window.Chart) return;

  var data = JSON.parse(embedded.textContent);
  var labels = data.dates.map(function (iso) {
    var d = new Date(iso + "T00:00:00Z");
    return d.toLocaleDateString("en-US", { month: "short", day: "numeric", timeZone: "UTC" });
  });
  var outOfStock = data.actual.map(function (value, i) {
    return data.stocked_out[i] ? value : null;
  });

  new Chart(canvas, {
    type: "line",
    data: {
      labels: labels,
      datasets: [
        { label: "Interval high", data: data.high, borderWidth: 0, pointRadius: 0, fill: false, backgroundColor: "rgba(37, 99, 235, 0.15)" },
        { label: "Interval", data: data.low, borderWidth: 0, pointRadius: 0, fill: "-1", backgroundColor: "rgba(37, 99, 235, 0.15)" },
        { label: "Forecast", data: data.mean, borderColor: "#2563eb", borderWidth: 2, pointRadius: 0, fill: false },
        { label: "Sold", data: data.actual.map(function (v, i) { return data.stocked_out[i] ? null : v; }), type: "bar", backgroundColor: "#94a3b8", borderWidth: 0 },
        { label: "Out of stock", data: outOfStock, type: "bar", backgroundColor: "#ef4444", borderWidth: 0 }
      ]
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: { duration: 300 },
      interaction: { mode: "index", intersect: false },
      scales: {
        x: { stacked: true, grid: { display: false }, ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 12, color: "#64748b" } },
        y: { beginAtZero: true, grid: { color: "#eef2f7" }, ticks: { color: "#64748b" } }
      },
      plugins: {
        legend: {
          position: "bottom",
          labels: {
            boxWidth: 12, boxHeight: 12, color: "#334155",
            filter: function (item) { return item.text !== "Interval high"; }
          }
        }
      }
    }
  });
})();
