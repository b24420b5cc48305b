// The Inventory page's chart: units sold per day against the saved forecasts, with the
// prediction interval as a band, out-of-stock days marked (their sales are not demand), promotion
// days marked (their sales carry an uplift) and changes of list price as triangles.
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
  var promoted = data.promoted || [];
  var priceChanges = data.price_changes || [];
  var sold = data.actual.map(function (v, i) { return data.stocked_out[i] || promoted[i] ? null : v; });
  var soldOnPromotion = data.actual.map(function (v, i) { return promoted[i] && !data.stocked_out[i] ? v : null; });
  var repriced = data.actual.map(function (v, i) { return priceChanges[i] ? (v || 0) : null; });
  var datasets = [
    { label: "Interval high", data: data.high, borderWidth: 0, pointRadius: 0, fill: false, backgroundColor: "rgba(37, 99, 235, 0.15)" },
    { label: "Interval", data: data.low, borderWidth: 0, pointRadius: 0, fill: "-1", backgroundColor: "rgba(37, 99, 235, 0.15)" },
    { label: "Forecast", data: data.mean, borderColor: "#2563eb", borderWidth: 2, pointRadius: 0, fill: false },
    { label: "Sold", data: sold, type: "bar", backgroundColor: "#94a3b8", borderWidth: 0 },
    { label: "Out of stock", data: outOfStock, type: "bar", backgroundColor: "#ef4444", borderWidth: 0 }
  ];
  // Only what the SKU's days hold gets a legend entry.
  if (soldOnPromotion.some(function (v) { return v !== null; })) {
    datasets.push({ label: "Sold on promotion", data: soldOnPromotion, type: "bar", backgroundColor: "#f59e0b", borderWidth: 0 });
  }
  if (repriced.some(function (v) { return v !== null; })) {
    datasets.push({ label: "Price changed", data: repriced, showLine: false, pointStyle: "triangle", pointRadius: 7, pointHoverRadius: 8, borderColor: "#7c3aed", backgroundColor: "#7c3aed", stack: "price" });
  }

  new Chart(canvas, {
    type: "line",
    data: {
      labels: labels,
      datasets: datasets
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
        tooltip: {
          callbacks: {
            label: function (item) {
              if (item.dataset.label === "Price changed") return "Price changed: " + priceChanges[item.dataIndex];
              return item.dataset.label + ": " + item.formattedValue;
            }
          }
        },
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

// The chart's SKU search box on a big catalogue: as the owner types, the datalist is refilled with
// the matches of /api/inventory/skus (SKU or title). Without JavaScript the box still works: the
// server charts the typed SKU, or its first match.
(function () {
  "use strict";

  var input = document.getElementById("chart-sku");
  var list = document.getElementById("chart-skus");
  if (!input || !list || !input.getAttribute("data-search")) return;

  var url = input.getAttribute("data-search");
  var busiest = list.innerHTML; // what the page offered: shown again when the box is emptied
  var timer = null;
  var asked = "";

  function fill(skus) {
    list.textContent = "";
    skus.forEach(function (s) {
      var option = document.createElement("option");
      option.value = s.sku;
      option.textContent = s.sku + " · " + s.title;
      list.appendChild(option);
    });
  }

  function search() {
    var text = input.value.trim();
    if (text === asked) return;
    asked = text;
    if (!text) { list.innerHTML = busiest; return; }
    fetch(url + "?q=" + encodeURIComponent(text), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 401) { window.location.href = "/login"; throw new Error("logged out"); }
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        if (input.value.trim() === text) fill(data.skus); // an older answer must not replace a newer one
      })
      .catch(function (error) { console.error("sasame: could not search SKUs", error); });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 200);
  });
  // Focused with the chart's SKU in it, the whole value is selected so typing replaces it.
  input.addEventListener("focus", function () { input.select(); });
})();
