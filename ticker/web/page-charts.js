/*
 * soiree, the live page: the charts (SVG, built node by node): scores over the count (with the
 * same as a table for screen readers) and voters over the day. Text only (textContent).
 */
"use strict";

(function () {
  const page = window.soireePage;
  const {
    clear,
    el,
    els,
    fmt,
    pct,
    sharesText,
    state,
    timeOf,
  } = page;

  const SVG = "http://www.w3.org/2000/svg";

  function svg(tag, attributes, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, String(value));
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function timeValue(iso) {
    const value = Date.parse(iso);
    return Number.isNaN(value) ? null : value;
  }

  function chartFrame(node, title, description) {
    clear(node);
    const titleId = `${node.id}-title`;
    const descId = `${node.id}-desc`;
    node.setAttribute("role", "img");
    node.setAttribute("aria-labelledby", `${titleId} ${descId}`);
    node.appendChild(svg("title", { id: titleId }, title));
    node.appendChild(svg("desc", { id: descId }, description));
  }

  function axisLine(node, x1, y1, x2, y2) {
    node.appendChild(svg("line", { x1, y1, x2, y2, class: "axis" }));
  }

  function renderShareChart() {
    const board = state.board;
    const progress = board && board.progress ? board.progress : [];
    // One count is a bar chart already (above): the curve needs at least two.
    els.shareFigure.hidden = progress.length < 2;
    if (progress.length < 2) return;
    const W = 320;
    const H = 140;
    const pad = { l: 34, r: 12, t: 10, b: 22 };
    const names = [];
    for (const point of progress) for (const name of Object.keys(point.figures.shares)) if (!names.includes(name)) names.push(name);
    // Counts at even steps (they come hours apart, or minutes): each labelled with its time.
    const times = progress.map((point, index) => index);
    const x = (i) => pad.l + 14 + (i / (progress.length - 1)) * (W - pad.l - pad.r - 28);
    const y = (v) => pad.t + (1 - v / 100) * (H - pad.t - pad.b);
    const text = progress
      .map((point) => `${timeOf(point.at)} : ${sharesText(point.figures.shares)}`)
      .join(" ; ");
    chartFrame(els.shareChart, "Score de chaque candidat au fil du dépouillement", text);
    els.shareChart.setAttribute("viewBox", `0 0 ${W} ${H}`);
    for (const v of [0, 50, 100]) {
      els.shareChart.appendChild(svg("line", { x1: pad.l, x2: W - pad.r, y1: y(v), y2: y(v), class: "grid" }));
      els.shareChart.appendChild(svg("text", { x: pad.l - 4, y: y(v) + 4, class: "tick", "text-anchor": "end" }, `${v} %`));
    }
    axisLine(els.shareChart, pad.l, H - pad.b, W - pad.r, H - pad.b);
    names.forEach((name, index) => {
      const points = progress
        .map((point, i) => [times[i], point.figures.shares[name]])
        .filter(([, value]) => typeof value === "number");
      const series = svg("g", { class: `series series-${index % 6}` });
      series.appendChild(svg("polyline", { points: points.map(([t, v]) => `${x(t)},${y(v)}`).join(" ") }));
      for (const [t, v] of points) series.appendChild(svg("circle", { cx: x(t), cy: y(v), r: 3 }));
      const [tl, vl] = points[points.length - 1];
      series.appendChild(svg("text", { x: Math.min(x(tl), W - pad.r), y: y(vl) - 6, class: "label", "text-anchor": "end" }, name.split(" ").slice(-1)[0]));
      els.shareChart.appendChild(series);
    });
    progress.forEach((point, i) => {
      els.shareChart.appendChild(svg("text", { x: x(times[i]), y: H - 6, class: "tick", "text-anchor": "middle" }, timeOf(point.at)));
    });
    clear(els.shareTable);
    const head = el("tr");
    head.appendChild(el("th", "", "Heure"));
    for (const name of names) head.appendChild(el("th", "", name));
    head.appendChild(el("th", "", "Dépouillés"));
    els.shareTable.appendChild(head);
    for (const point of progress) {
      const row = el("tr");
      row.appendChild(el("td", "", timeOf(point.at)));
      for (const name of names) {
        const value = point.figures.shares[name];
        row.appendChild(el("td", "", typeof value === "number" ? pct(value) : "–"));
      }
      const counted = point.figures.counted_pct;
      row.appendChild(el("td", "", typeof counted === "number" ? pct(counted) : "–"));
      els.shareTable.appendChild(row);
    }
  }

  function renderTurnoutChart() {
    const board = state.board;
    const points = (board && board.turnout ? board.turnout : []).filter((p) => typeof p.figures.voters === "number");
    els.turnoutFigure.hidden = points.length === 0;
    if (!points.length) return;
    const W = 320;
    const H = 150;
    const pad = { l: 54, r: 12, t: 10, b: 22 };
    const tonight = points.map((p) => [timeValue(p.at), p.figures.voters]);
    const before = points
      .filter((p) => p.figures.previous && typeof p.figures.previous.voters === "number")
      .map((p) => [timeValue(p.at), p.figures.previous.voters]);
    const all = tonight.concat(before);
    const day = new Date(tonight[0][0]);
    const t0 = Math.min(...all.map(([t]) => t), day.setHours(8, 0, 0, 0));
    const t1 = Math.max(...all.map(([t]) => t), new Date(tonight[0][0]).setHours(19, 0, 0, 0));
    const vmax = Math.max(...all.map(([, v]) => v)) * 1.1;
    const x = (t) => pad.l + ((t - t0) / (t1 - t0 || 1)) * (W - pad.l - pad.r);
    const y = (v) => pad.t + (1 - v / vmax) * (H - pad.t - pad.b);
    const roundLabel = before.length ? " contre le premier tour" : "";
    const description = points
      .map((p) => {
        const prev = p.figures.previous && typeof p.figures.previous.voters === "number"
          ? ` (1er tour : ${fmt(p.figures.previous.voters)})`
          : "";
        return `${p.figures.as_of ? p.figures.as_of.replace(":", "h") : timeOf(p.at)} : ${fmt(p.figures.voters)} votants${prev}`;
      })
      .join(" ; ");
    chartFrame(els.turnoutChart, `Votants au fil de la journée${roundLabel}`, description);
    els.turnoutChart.setAttribute("viewBox", `0 0 ${W} ${H}`);
    for (const v of [0, vmax / 2, vmax]) {
      els.turnoutChart.appendChild(svg("line", { x1: pad.l, x2: W - pad.r, y1: y(v), y2: y(v), class: "grid" }));
      els.turnoutChart.appendChild(
        svg("text", { x: pad.l - 4, y: y(v) + 4, class: "tick", "text-anchor": "end" }, fmt(Math.round(v / 1000) * 1000)),
      );
    }
    axisLine(els.turnoutChart, pad.l, H - pad.b, W - pad.r, H - pad.b);
    for (const [series, name, label] of [[before, "previous", "1er tour"], [tonight, "tonight", "ce soir"]]) {
      if (!series.length) continue;
      const group = svg("g", { class: `series ${name}` });
      group.appendChild(svg("polyline", { points: series.map(([t, v]) => `${x(t)},${y(v)}`).join(" ") }));
      for (const [t, v] of series) group.appendChild(svg("circle", { cx: x(t), cy: y(v), r: 3 }));
      const [tl, vl] = series[series.length - 1];
      group.appendChild(svg("text", { x: x(tl) + 6, y: y(vl) + 4, class: "label" }, label));
      els.turnoutChart.appendChild(group);
    }
    for (const [t] of tonight) {
      els.turnoutChart.appendChild(svg("text", { x: x(t), y: H - 6, class: "tick", "text-anchor": "middle" }, timeOf(new Date(t).toISOString())));
    }
  }

  Object.assign(page, {
    renderShareChart,
    renderTurnoutChart,
  });
})();
