// Hand-drawn SVG charts for the page: no library to vendor, nothing fetched from elsewhere.
//
// Amounts arrive as the API's decimal strings and are shown exactly as given (with thousands
// separators); they are turned into numbers only to place bars on the screen.
"use strict";

const TariffCharts = (() => {
  const SVG = "http://www.w3.org/2000/svg";

  function el(name, attrs, text) {
    const node = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /** "1234567.5" -> "1,234,567.5": the API's digits, grouped, nothing rounded. */
  function grouped(amount) {
    if (amount === undefined || amount === null || amount === "") return "0";
    const s = String(amount);
    const neg = s.startsWith("-");
    const [int, frac] = (neg ? s.slice(1) : s).split(".");
    const withCommas = int.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return (neg ? "-" : "") + withCommas + (frac !== undefined ? "." + frac : "");
  }

  /** A signed label for a change: "+315.00", "-4.20", "0.00". */
  function signed(amount) {
    const s = grouped(amount);
    return s.startsWith("-") || Number(amount) === 0 ? s : "+" + s;
  }

  /** A linear scale from [lo, hi] (always containing 0) onto [x0, x1] pixels. */
  function scale(values, x0, x1) {
    let lo = Math.min(0, ...values);
    let hi = Math.max(0, ...values);
    if (hi === lo) hi = lo + 1;
    const pad = (hi - lo) * 0.04;
    lo = lo < 0 ? lo - pad : lo;
    hi += pad;
    return (v) => x0 + ((v - lo) / (hi - lo)) * (x1 - x0);
  }

  function clear(container) {
    while (container.firstChild) container.removeChild(container.firstChild);
  }

  function svgIn(container, width, height, title) {
    clear(container);
    const svg = el("svg", {
      viewBox: `0 0 ${width} ${height}`,
      width: "100%",
      role: "img",
      "aria-label": title,
    });
    svg.appendChild(el("title", {}, title));
    container.appendChild(svg);
    return svg;
  }

  function empty(container, text) {
    clear(container);
    const p = document.createElement("p");
    p.className = "hint";
    p.textContent = text;
    container.appendChild(p);
  }

  /**
   * A waterfall: `steps` are {key, label, amount, total} where a total bar stands on zero and a
   * change floats from the running sum. Each amount's label carries `data-step` and
   * `data-amount` (the API's string), so a test can read what is shown.
   */
  function waterfall(container, steps, currency) {
    const width = 760, height = 345, top = 28, bottom = 270, left = 70, right = 20;
    const svg = svgIn(container, width, height, "Unit cost waterfall, " + currency);
    let running = 0;
    const spans = steps.map((s) => {
      const v = Number(s.amount);
      const from = s.total ? 0 : running;
      const to = s.total ? v : running + v;
      running = to;
      return { ...s, from, to };
    });
    // When the changes are small next to the totals, the axis starts above zero (and says
    // so), or every change would be a hairline on top of two tall bars.
    const ends = spans.flatMap((s) => (s.total ? [s.to] : [s.from, s.to]));
    const lo = Math.min(...ends), hi = Math.max(...ends);
    const cut = lo > 0 && hi - lo < lo * 0.5 ? Math.max(0, lo - (hi - lo || lo * 0.1) * 1.5) : 0;
    const y = scale(spans.flatMap((s) => [s.total ? cut : s.from, s.to]).map((v) => v - cut), bottom, top);
    const yOf = (v) => y(v - cut);
    svg.appendChild(el("line", { x1: left, x2: width - right, y1: y(0), y2: y(0), class: "axis" }));
    if (cut > 0) {
      svg.appendChild(
        el("text", { x: left, y: bottom + 40, class: "unit" },
          `axis starts at ${Math.floor(cut).toLocaleString("en-US")} ${currency}, not zero`),
      );
    }
    const slot = (width - left - right) / spans.length;
    spans.forEach((s, i) => {
      const x = left + i * slot + slot * 0.18;
      const w = slot * 0.64;
      const from = s.total ? cut : s.from;
      const yTop = Math.min(yOf(from), yOf(s.to));
      const h = Math.max(1, Math.abs(yOf(from) - yOf(s.to)));
      const kind = s.total ? "total" : Number(s.amount) < 0 ? "down" : "up";
      svg.appendChild(el("rect", { x, y: yTop, width: w, height: h, class: "bar " + kind }));
      if (i + 1 < spans.length) {
        const yEnd = yOf(s.to);
        svg.appendChild(
          el("line", { x1: x + w, x2: x + slot, y1: yEnd, y2: yEnd, class: "connector" }),
        );
      }
      const label = s.total ? grouped(s.amount) : signed(s.amount);
      svg.appendChild(
        el(
          "text",
          {
            x: x + w / 2,
            y: yTop - 6,
            class: "value",
            "text-anchor": "middle",
            "data-step": s.key,
            "data-amount": s.amount,
          },
          label,
        ),
      );
      svg.appendChild(
        el("text", { x: x + w / 2, y: bottom + 22, class: "label", "text-anchor": "middle" }, s.label),
      );
    });
    svg.appendChild(
      el("text", { x: 4, y: 16, class: "unit" }, currency + " per unit"),
    );
  }

  /**
   * Horizontal bars, one group per row: `rows` are {label, values: [{series, amount}]},
   * `series` names each value's class (e.g. "baseline", "scenario", "delta"). Values may be
   * negative; the zero line is drawn.
   */
  function bars(container, rows, title, legend) {
    if (!rows.length) return empty(container, "Nothing to show.");
    const per = rows[0].values.length;
    const barH = 14, gap = 10, left = 250, right = 120, width = 760, top = legend ? 26 : 8;
    const height = top + rows.length * (per * barH + gap) + 8;
    const svg = svgIn(container, width, height, title);
    const x = scale(rows.flatMap((r) => r.values.map((v) => Number(v.amount))), left, width - right);
    if (legend) {
      legend.forEach((name, i) => {
        svg.appendChild(el("rect", { x: left + i * 130, y: 6, width: 12, height: 12, class: "bar " + name }));
        svg.appendChild(el("text", { x: left + i * 130 + 18, y: 17, class: "label" }, name));
      });
    }
    rows.forEach((r, i) => {
      const y0 = top + i * (per * barH + gap);
      const text = el("text", { x: left - 8, y: y0 + (per * barH) / 2 + 4, class: "label", "text-anchor": "end" }, clip(r.label, 34));
      text.appendChild(el("title", {}, r.label));
      svg.appendChild(text);
      r.values.forEach((v, j) => {
        const a = Number(v.amount);
        const x0 = Math.min(x(0), x(a));
        const w = Math.max(1, Math.abs(x(a) - x(0)));
        const yb = y0 + j * barH;
        svg.appendChild(el("rect", { x: x0, y: yb + 1, width: w, height: barH - 2, class: "bar " + v.series }));
        svg.appendChild(
          el(
            "text",
            {
              x: Math.max(x(0), x(a)) + 4,
              y: yb + barH - 3,
              class: "value small",
              "data-row": r.label,
              "data-series": v.series,
              "data-amount": v.amount,
            },
            v.series === "delta" ? signed(v.amount) : grouped(v.amount),
          ),
        );
      });
    });
    svg.appendChild(el("line", { x1: x(0), x2: x(0), y1: top - 2, y2: height - 4, class: "axis" }));
  }

  /**
   * A tornado: each input's delta at its low and high value, around the base delta; the
   * widest swing on top, as the API orders them.
   */
  function tornado(container, rows, base, title) {
    if (!rows.length) return empty(container, "No inputs.");
    const barH = 22, gap = 8, left = 250, right = 80, width = 760, top = 22, room = 80;
    const height = top + rows.length * (barH + gap) + 24;
    const svg = svgIn(container, width, height, title);
    const values = rows.flatMap((r) => [Number(r.low), Number(r.high)]).concat([Number(base)]);
    const lo = Math.min(...values), hi = Math.max(...values);
    const span = hi - lo || 1;
    const x = (v) => left + room + ((v - lo + span * 0.05) / (span * 1.1)) * (width - left - room - right);
    rows.forEach((r, i) => {
      const yb = top + i * (barH + gap);
      const a = Number(r.low), b = Number(r.high);
      const text = el("text", { x: left - 8, y: yb + barH / 2 + 4, class: "label", "text-anchor": "end" }, clip(r.name, 34));
      text.appendChild(el("title", {}, r.name));
      svg.appendChild(text);
      svg.appendChild(el("rect", { x: Math.min(x(a), x(Number(base))), y: yb, width: Math.max(1, Math.abs(x(a) - x(Number(base)))), height: barH, class: "bar low" }));
      svg.appendChild(el("rect", { x: Math.min(x(b), x(Number(base))), y: yb, width: Math.max(1, Math.abs(x(b) - x(Number(base)))), height: barH, class: "bar high" }));
      const lowLeft = a <= b;
      svg.appendChild(el("text", { x: x(Math.min(a, b)) - 4, y: yb + barH / 2 + 4, class: "value small", "text-anchor": "end", "data-row": r.name, "data-series": lowLeft ? "low" : "high", "data-amount": lowLeft ? r.low : r.high }, grouped(lowLeft ? r.low : r.high)));
      svg.appendChild(el("text", { x: x(Math.max(a, b)) + 4, y: yb + barH / 2 + 4, class: "value small", "data-row": r.name, "data-series": lowLeft ? "high" : "low", "data-amount": lowLeft ? r.high : r.low }, grouped(lowLeft ? r.high : r.low)));
    });
    const xb = x(Number(base));
    svg.appendChild(el("line", { x1: xb, x2: xb, y1: top - 8, y2: height - 18, class: "axis" }));
    svg.appendChild(el("text", { x: xb, y: height - 4, class: "label", "text-anchor": "middle", "data-series": "base", "data-amount": base }, "delta at base " + grouped(base)));
    svg.appendChild(el("rect", { x: 4, y: 4, width: 12, height: 12, class: "bar low" }));
    svg.appendChild(el("text", { x: 20, y: 15, class: "label" }, "input at low"));
    svg.appendChild(el("rect", { x: 110, y: 4, width: 12, height: 12, class: "bar high" }));
    svg.appendChild(el("text", { x: 126, y: 15, class: "label" }, "input at high"));
  }

  function clip(text, n) {
    return text.length > n ? text.slice(0, n - 1) + "\u2026" : text;
  }

  return { waterfall, bars, tornado, grouped, signed, empty };
})();
