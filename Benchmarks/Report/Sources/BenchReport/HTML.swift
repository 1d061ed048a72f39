extension Report {
    /// The report as one self-contained HTML page (no network): the figures as JSON in the page,
    /// and a script that draws, per module, throughput against size for Maimo (solid) and its
    /// reference (dashed) as SVG, and a table of every figure. Every drawn value carries a
    /// `data-value` attribute, so a browser test can read the page back.
    public func html() throws -> String {
        let data = String(decoding: try json(), as: UTF8.self)
        return """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>maimo-bench: Maimo against the tools a user would otherwise pick</title>
        <style>
        body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; padding: 0 1em; }
        h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ddd; }
        table { border-collapse: collapse; width: 100%; margin: .5em 0 1em; }
        th, td { padding: .25em .5em; border-bottom: 1px solid #eee; text-align: right; white-space: nowrap; }
        th:nth-child(-n+2), td:nth-child(-n+2), td.reference { text-align: left; }
        td.reference, td:first-child { white-space: normal; }
        td.better { color: #176a1d; font-weight: 600; } td.worse { color: #a3261b; font-weight: 600; }
        .machine, .note { color: #666; } svg.chart { display: block; margin: .5em 0; }
        svg text { font: 11px system-ui, sans-serif; fill: #444; }
        .legend span { display: inline-block; margin-right: 1.2em; }
        </style>
        </head>
        <body>
        <h1>maimo-bench</h1>
        <p id="summary" class="machine"></p>
        <noscript><p>This page draws its charts and tables with a script; the same figures are in maimo-bench.json.</p></noscript>
        <div id="modules"></div>
        <script type="application/json" id="maimo-bench-data">
        \(data)
        </script>
        <script>
        \(Self.script)
        </script>
        </body>
        </html>

        """
    }

    /// Draws the page from the embedded JSON.
    static let script = #"""
    "use strict";
    const report = JSON.parse(document.getElementById("maimo-bench-data").textContent);
    const svgNS = "http://www.w3.org/2000/svg";
    const colors = ["#1f5fbf", "#d2691e", "#2e8b57", "#8b3a8b", "#b8860b", "#4682b4", "#c0392b", "#556b2f"];
    function median(values) {
      const s = values.slice().sort((a, b) => a - b);
      if (s.length === 0) return 0;
      const m = Math.floor(s.length / 2);
      return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
    }
    function fmt(v) {
      if (!isFinite(v)) return "–";
      const a = Math.abs(v);
      if (a >= 100) return v.toFixed(0);
      if (a >= 10) return v.toFixed(1);
      if (a >= 1) return v.toFixed(2);
      return a === 0 ? "0" : v.toPrecision(3);
    }
    function size(bytes) {
      const units = ["B", "KiB", "MiB", "GiB"];
      let v = bytes, u = 0;
      while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
      return (Number.isInteger(v) ? v : fmt(v)) + " " + units[u];
    }
    function ratio(f) {
      if (!f.theirs) return null;
      const o = median(f.ours.values), t = median(f.theirs.values);
      if (!(o > 0 && t > 0)) return null;
      return f.higherIsBetter ? o / t : t / o;
    }
    function el(name, attributes, text) {
      const node = document.createElement(name);
      for (const [k, v] of Object.entries(attributes || {})) node.setAttribute(k, v);
      if (text !== undefined) node.textContent = text;
      return node;
    }
    function svg(name, attributes) {
      const node = document.createElementNS(svgNS, name);
      for (const [k, v] of Object.entries(attributes || {})) node.setAttribute(k, v);
      return node;
    }
    function chart(module, unit, figures) {
      // One line per operation and side: x is the size on a log scale, y the median.
      const width = 760, height = 300, left = 64, right = 48, top = 16, bottom = 40;
      const sizes = figures.map(f => f.size);
      const lo = Math.log2(Math.min(...sizes)), hi = Math.log2(Math.max(...sizes));
      const values = figures.flatMap(f => [median(f.ours.values)].concat(f.theirs ? [median(f.theirs.values)] : []));
      const top_ = Math.max(...values) * 1.1 || 1;
      const x = s => left + (hi === lo ? (width - left - right) / 2 : (Math.log2(s) - lo) / (hi - lo) * (width - left - right));
      const y = v => top + (1 - v / top_) * (height - top - bottom);
      const root = svg("svg", { class: "chart", width, height, viewBox: `0 0 ${width} ${height}`, "data-module": module, "data-unit": unit });
      root.appendChild(svg("line", { x1: left, y1: y(0), x2: width - right, y2: y(0), stroke: "#999" }));
      root.appendChild(svg("line", { x1: left, y1: top, x2: left, y2: y(0), stroke: "#999" }));
      for (let i = 0; i <= 4; i++) {
        const v = top_ * i / 4, t = svg("text", { x: left - 6, y: y(v) + 4, "text-anchor": "end" });
        t.textContent = fmt(v); root.appendChild(t);
      }
      for (const s of [...new Set(sizes)]) {
        const t = svg("text", { x: x(s), y: height - bottom + 16, "text-anchor": "middle" });
        t.textContent = size(s); root.appendChild(t);
      }
      const label = svg("text", { x: 4, y: 12 }); label.textContent = unit; root.appendChild(label);
      const names = [...new Set(figures.map(f => f.name))];
      names.forEach((name, index) => {
        const color = colors[index % colors.length];
        const series = figures.filter(f => f.name === name).sort((a, b) => a.size - b.size);
        for (const side of ["ours", "theirs"]) {
          const points = series.filter(f => f[side]);
          if (points.length === 0) continue;
          const d = points.map((f, i) => (i ? "L" : "M") + x(f.size).toFixed(1) + " " + y(median(f[side].values)).toFixed(1)).join(" ");
          root.appendChild(svg("path", { d, fill: "none", stroke: color, "stroke-width": 2, "stroke-dasharray": side === "ours" ? "" : "5 4" }));
          for (const f of points) {
            const v = median(f[side].values);
            const dot = svg("circle", { cx: x(f.size), cy: y(v), r: 3, fill: side === "ours" ? color : "white", stroke: color,
              "data-series": side, "data-name": name, "data-size": f.size, "data-value": v });
            const tip = svg("title"); tip.textContent = `${name}, ${size(f.size)}: ${side === "ours" ? "Maimo" : f.reference} ${fmt(v)} ${unit}`;
            dot.appendChild(tip); root.appendChild(dot);
          }
        }
      });
      const legend = el("div", { class: "legend" });
      names.forEach((name, index) => {
        const reference = figures.find(f => f.name === name && f.reference);
        legend.appendChild(el("span", { style: `color:${colors[index % colors.length]}` },
          `— ${name}: Maimo` + (reference ? `   - - ${reference.reference}` : "")));
      });
      return [root, legend];
    }
    function table(figures) {
      const t = el("table");
      const head = el("tr");
      for (const h of ["operation", "size", "Maimo median", "min–max", "reference", "reference median", "min–max", "ratio"]) head.appendChild(el("th", {}, h));
      t.appendChild(head);
      for (const f of figures) {
        const row = el("tr", { class: "figure", "data-module": f.module, "data-name": f.name, "data-size": f.size ?? "" });
        row.appendChild(el("td", {}, f.name + (f.note ? ` (${f.note})` : "")));
        row.appendChild(el("td", {}, f.size == null ? "" : size(f.size)));
        const o = median(f.ours.values);
        row.appendChild(el("td", { class: "ours", "data-value": o }, `${fmt(o)} ${f.unit}`));
        row.appendChild(el("td", {}, `${fmt(Math.min(...f.ours.values))}–${fmt(Math.max(...f.ours.values))}`));
        row.appendChild(el("td", { class: "reference" }, f.reference ?? "–"));
        if (f.theirs) {
          const v = median(f.theirs.values);
          row.appendChild(el("td", { class: "theirs", "data-value": v }, `${fmt(v)} ${f.unit}`));
          row.appendChild(el("td", {}, `${fmt(Math.min(...f.theirs.values))}–${fmt(Math.max(...f.theirs.values))}`));
        } else {
          row.appendChild(el("td", { class: "theirs" }, "–")); row.appendChild(el("td", {}, ""));
        }
        const r = ratio(f);
        row.appendChild(el("td", { class: "ratio" + (r == null ? "" : r >= 1 ? " better" : " worse"), "data-value": r ?? "" }, r == null ? "–" : r.toFixed(2) + "×"));
        t.appendChild(row);
      }
      return t;
    }
    const m = report.machine;
    document.getElementById("summary").textContent =
      `${report.command} (${report.mode}), ${report.started}. ` +
      ["cpu", "cores", "memory", "os", "swift", "build"].filter(k => m[k]).map(k => `${k}: ${m[k]}`).join("; ") +
      ". Ratio: Maimo against the reference from the medians, pair by pair in the same run; above 1 Maimo is better.";
    const container = document.getElementById("modules");
    const modules = [...new Set(report.figures.map(f => f.module))];
    for (const module of modules) {
      const section = el("section", { "data-module": module });
      section.appendChild(el("h2", {}, module));
      const figures = report.figures.filter(f => f.module === module);
      const sized = figures.filter(f => f.size != null);
      for (const unit of [...new Set(sized.map(f => f.unit))]) {
        for (const node of chart(module, unit, sized.filter(f => f.unit === unit))) section.appendChild(node);
      }
      section.appendChild(table(figures));
      container.appendChild(section);
    }
    document.body.setAttribute("data-rendered", report.figures.length);
    """#
}
