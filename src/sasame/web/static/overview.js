// The overview chart: orders or revenue per channel over time, stacked, from /api/overview/sales.
// Money arrives as decimal strings; they are turned into numbers only to draw, and the tooltip
// shows the exact strings.
(function () {
  "use strict";

  var canvas = document.getElementById("overview-chart");
  var embedded = document.getElementById("overview-sales");
  if (!canvas || !embedded || !window.Chart) return;

  var PALETTE = ["#2563eb", "#f59e0b", "#10b981", "#8b5cf6", "#ef4444", "#06b6d4", "#84cc16", "#ec4899"];
  var sales = JSON.parse(embedded.textContent);
  var metric = "revenue";

  var currencySymbol = (function () {
    try {
      var parts = new Intl.NumberFormat("en-US", { style: "currency", currency: sales.currency }).formatToParts(0);
      var symbol = parts.find(function (p) { return p.type === "currency"; });
      return symbol ? symbol.value : sales.currency + " ";
    } catch (e) {
      return sales.currency + " ";
    }
  })();
  var axisMoney = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });

  function groupThousands(text) {
    var negative = text.charAt(0) === "-";
    var parts = (negative ? text.slice(1) : text).split(".");
    parts[0] = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return (negative ? "−" : "") + currencySymbol + parts.join(".");
  }

  function periodLabel(iso) {
    var d = new Date(iso + "T00:00:00Z");
    var opts = sales.grain === "month" ? { month: "short", year: "numeric" } : { month: "short", day: "numeric", year: "2-digit" };
    opts.timeZone = "UTC";
    return d.toLocaleDateString("en-US", opts);
  }

  function datasets() {
    return sales.channels.map(function (channel, i) {
      return {
        label: channel.name,
        data: metric === "revenue" ? channel.revenue.map(Number) : channel.orders.slice(),
        exact: metric === "revenue" ? channel.revenue : null,
        backgroundColor: PALETTE[i % PALETTE.length],
        borderWidth: 0,
        stack: "channels",
        barPercentage: 0.9,
        categoryPercentage: 0.9
      };
    });
  }

  var chart = new Chart(canvas, {
    type: "bar",
    data: { labels: sales.periods.map(periodLabel), datasets: datasets() },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: { duration: 300 },
      interaction: { mode: "index", intersect: false },
      scales: {
        x: { stacked: true, grid: { display: false }, ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 12, color: "#64748b" } },
        y: {
          stacked: true,
          beginAtZero: true,
          grid: { color: "#eef2f7" },
          ticks: {
            color: "#64748b",
            callback: function (value) { return metric === "revenue" ? currencySymbol + axisMoney.format(value) : axisMoney.format(value); }
          }
        }
      },
      plugins: {
        legend: { position: "bottom", labels: { boxWidth: 12, boxHeight: 12, color: "#334155" } },
        tooltip: {
          callbacks: {
            label: function (item) {
              var exact = item.dataset.exact;
              var shown = exact ? groupThousands(exact[item.dataIndex]) : item.raw.toLocaleString("en-US") + " orders";
              return " " + item.dataset.label + ": " + shown;
            },
            footer: function (items) {
              if (!items.length) return "";
              var i = items[0].dataIndex;
              return metric === "revenue"
                ? "Total: " + groupThousands(sales.totals.revenue[i])
                : "Total: " + sales.totals.orders[i].toLocaleString("en-US") + " orders";
            }
          }
        }
      }
    }
  });

  function redraw() {
    chart.data.labels = sales.periods.map(periodLabel);
    chart.data.datasets = datasets();
    chart.update();
  }

  function select(buttons, chosen) {
    buttons.forEach(function (b) {
      var on = b === chosen;
      b.classList.toggle("selected", on);
      b.setAttribute("aria-pressed", on ? "true" : "false");
    });
  }

  var metricButtons = Array.prototype.slice.call(document.querySelectorAll("[data-metric]"));
  metricButtons.forEach(function (button) {
    button.addEventListener("click", function () {
      metric = button.getAttribute("data-metric");
      select(metricButtons, button);
      redraw();
    });
  });

  var grainButtons = Array.prototype.slice.call(document.querySelectorAll("[data-grain]"));
  grainButtons.forEach(function (button) {
    button.addEventListener("click", function () {
      var grain = button.getAttribute("data-grain");
      fetch("/api/overview/sales?grain=" + encodeURIComponent(grain), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (response.status === 401) { window.location.href = "/login"; throw new Error("logged out"); }
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.json();
        })
        .then(function (data) {
          sales = data;
          select(grainButtons, button);
          redraw();
        })
        .catch(function (error) { console.error("sasame: could not load sales", error); });
    });
  });
})();
