/*
 * soiree, the live page: the board as the server computed it (ticker/board/night_board.py):
 * scoreboard, turnout, seats, territories, speeches, and the sources' health.
 * Text from sources is set with textContent only.
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
    turnoutText,
    renderGroups,
    renderHeader,
    renderShareChart,
    renderTurnoutChart,
  } = page;

  const ROUNDS = { 1: "premier tour", 2: "second tour" };

  function listOf(name) {
    // The night's list or candidate of that name ({name, head, label}), from `hello`; or null.
    const lists = state.night && Array.isArray(state.night.lists) ? state.night.lists : [];
    return lists.find((list) => list && list.name === name) || null;
  }

  function colourOf(name) {
    // The night file's colour of a candidate ("#3a6ea5", from `hello`), checked again here: only
    // a six-digit hex colour is ever set, and only as a bar's fill (never under text); else null.
    const list = listOf(name);
    const colour = list && list.colour;
    return typeof colour === "string" && /^#[0-9a-f]{6}$/.test(colour) ? colour : null;
  }

  function headText(name) {
    // "Claire Vasseur · DVG": a list's head and party label, as the night file gives them.
    const list = listOf(name);
    if (!list) return "";
    return [list.head, list.label].filter((part) => typeof part === "string" && part).join(" · ");
  }

  function shortName(name) {
    // A candidate by what follows the first given name ("Hamon"); a list keeps its name.
    const list = listOf(name);
    if (list && (list.head || list.label)) return name;
    return name.includes(" ") ? name.slice(name.indexOf(" ") + 1) : name;
  }

  function shortShares(shares) {
    // "Hamon 60,8 %, Valls 39,2 %".
    return Object.entries(shares || {})
      .sort((a, b) => b[1] - a[1])
      .map(([name, value]) => `${shortName(name)} ${pct(value)}`)
      .join(", ");
  }

  function scoresText(figures) {
    // Shares (with votes when stated); a count without shares shows its votes, else its seats.
    if (!figures) return "–";
    const votes = figures.votes || {};
    if (figures.shares && Object.keys(figures.shares).length) {
      // "Montlaur en commun 44,2 % (3 912 voix)": the votes beside the share when stated.
      return Object.entries(figures.shares)
        .sort((a, b) => b[1] - a[1])
        .map(([name, value]) => {
          const stated = typeof votes[name] === "number" ? ` (${fmt(votes[name])} voix)` : "";
          return `${shortName(name)} ${pct(value)}${stated}`;
        })
        .join(", ");
    }
    for (const [counts, unit] of [[figures.votes, "voix"], [figures.seats, "sièges"]]) {
      const entries = Object.entries(counts || {}).sort((a, b) => b[1] - a[1]);
      if (entries.length) return entries.map(([name, n]) => `${shortName(name)} ${fmt(n)} ${unit}`).join(", ");
    }
    return "–";
  }

  function renderBoards() {
    renderHeader();
    renderScoreboard();
    renderShareChart();
    renderTurnout();
    renderTurnoutChart();
    renderSeats();
    renderScopes();
    renderSpeeches();
    renderGroups();
  }

  function renderSpeeches() {
    // The night's key speeches, as the board keeps them (newest first): the latest few.
    const speeches = state.board && state.board.speeches ? state.board.speeches.slice(0, 5) : [];
    els.speechesPanel.hidden = speeches.length === 0;
    clear(els.speechesList);
    for (const speech of speeches) {
      const row = el("li", "speech");
      row.dataset.uid = speech.uid;
      const head = el("span", "speech-head", timeOf(speech.at));
      if (speech.speaker) head.textContent += ` · ${speech.speaker}`;
      row.appendChild(head);
      row.appendChild(el("span", "speech-text", speech.text));
      els.speechesList.appendChild(row);
    }
  }

  function renderScoreboard() {
    const board = state.board;
    const current = board && board.current;
    clear(els.bars);
    clear(els.scoreNote);
    const round = board && ROUNDS[board.round];
    els.scoreRound.textContent = round ? `· ${round}` : "";
    els.scoreRound.dataset.round = board && board.round ? String(board.round) : "";
    const history = board && board.history && board.history.length ? board.history : [];
    els.scoreHistory.hidden = history.length === 0;
    els.scoreHistory.textContent = history
      .map((point) => `Rappel, ${point.round === 1 ? "1er" : "2d"} tour : ${sharesText(point.figures.shares)}`)
      .join(" · ");
    if (!current) {
      els.scoreLabel.hidden = true;
      els.counted.hidden = true;
      els.scoreNote.hidden = true;
      const names = state.night && Array.isArray(state.night.candidates) ? state.night.candidates : [];
      els.scoreMeta.textContent = "En attente des premiers résultats…" +
        (names.length ? ` Candidats : ${names.map(String).join(" · ")}` : "");
      return;
    }
    const f = current.figures;
    const estimate = current.kind === "estimate";
    els.scoreLabel.hidden = false;
    els.scoreLabel.textContent = estimate
      ? current.institute
        ? `Estimation · ${current.institute}`
        : "Estimation"
      : current.final
        ? "Résultats définitifs"
        : "Résultats partiels";
    els.scoreLabel.dataset.kind = current.kind;
    const several = current.sources.length > 1 ? ` · ${current.sources.length} sources` : "";
    els.scoreMeta.textContent = `${timeOf(current.at)} · ${current.sources.join(", ")}${several}`;
    current.rows.forEach((row, index) => {
      const line = el("li", index === 0 ? "bar leading" : "bar");
      line.dataset.candidate = row.name;
      line.dataset.share = String(row.pct);
      const label = el("div", "bar-label");
      const who = el("span", "bar-name", row.name);
      const head = headText(row.name);
      if (head) who.appendChild(el("span", "bar-head", head));
      label.appendChild(who);
      const value = el("span", "bar-value", pct(row.pct));
      if (typeof row.delta === "number" && row.delta !== 0) {
        value.appendChild(el("span", "bar-delta", ` ${row.delta > 0 ? "+" : "−"}${fmt(Math.abs(row.delta))}`));
      }
      label.appendChild(value);
      line.appendChild(label);
      const track = el("div", "track");
      const fill = el("div", "fill");
      fill.style.width = `${Math.max(0, Math.min(100, row.pct))}%`;
      const colour = colourOf(row.name);
      if (colour) {
        fill.style.backgroundColor = colour;
        line.dataset.colour = colour;
      }
      track.appendChild(fill);
      line.appendChild(track);
      els.bars.appendChild(line);
    });
    if (typeof f.counted_pct === "number") {
      els.counted.hidden = false;
      els.countedValue.textContent = pct(f.counted_pct);
      els.countedFill.style.width = `${Math.max(0, Math.min(100, f.counted_pct))}%`;
    } else {
      els.counted.hidden = true;
    }
    const notes = [];
    if (estimate) notes.push(["", "Estimation, avant les premiers résultats dépouillés"]);
    else if (current.compared_to) {
      const counted = current.compared_to.figures.counted_pct;
      const detail = typeof counted === "number" ? ` (${pct(counted)} dépouillés)` : "";
      notes.push(["", `Écart depuis le point de ${timeOf(current.compared_to.at)}${detail}`]);
    }
    if (current.corrected) notes.push(["corrected", `Corrigé (avant : ${sharesText(current.corrected.shares)})`]);
    if (current.variants && current.variants.length > 1) {
      const each = current.variants.map((v) => `${v.sources.join(", ")} : ${sharesText(v.figures.shares)}`);
      notes.push(["disputed", `⚠ Les sources divergent — ${each.join(" ; ")}`]);
    }
    for (const [kind, text] of notes) els.scoreNote.appendChild(el("span", `note ${kind}`, text));
    els.scoreNote.hidden = notes.length === 0;
  }

  function renderTurnout() {
    const board = state.board;
    const checkpoints = board && board.turnout ? board.turnout : [];
    clear(els.turnoutList);
    els.turnoutEmpty.hidden = checkpoints.length > 0;
    checkpoints.forEach((point, index) => {
      const f = point.figures;
      const row = el("li", index === checkpoints.length - 1 ? "checkpoint latest" : "checkpoint");
      row.dataset.uid = point.uids[0];
      row.dataset.at = point.at;
      row.dataset.voters = typeof f.voters === "number" ? String(f.voters) : "";
      row.appendChild(el("span", "checkpoint-time", f.as_of ? f.as_of.replace(":", "h") : timeOf(point.at)));
      const body = el("div", "checkpoint-body");
      body.appendChild(el("span", "checkpoint-main", turnoutText(Object.assign({}, f, { as_of: null }))));
      const previous = f.previous;
      if (previous && (typeof previous.voters === "number" || typeof previous.stations_pct === "number"
          || typeof previous.rate_pct === "number")) {
        const bits = [];
        if (typeof previous.voters === "number") bits.push(`${fmt(previous.voters)} votants`);
        if (typeof previous.rate_pct === "number") bits.push(pct(previous.rate_pct));
        if (typeof previous.stations_pct === "number") bits.push(`${pct(previous.stations_pct)} des bureaux`);
        const year = typeof previous.year === "number" ? ` en ${previous.year}` : "";
        const round = (previous.round ? ` au ${previous.round === 1 ? "1er" : "2d"} tour` : "") + year;
        body.appendChild(el("span", "checkpoint-previous", `contre ${bits.join(", ")}${round}`));
      }
      const sources = point.sources.length > 1 ? `${point.sources.length} sources : ` : "";
      body.appendChild(el("span", "checkpoint-sources", `${sources}${point.sources.join(", ")}`));
      if (point.corrected) body.appendChild(el("span", "note corrected", `corrigé (avant : ${turnoutText(point.corrected)})`));
      if (point.variants && point.variants.length > 1) {
        const each = point.variants.map((v) => `${v.sources.join(", ")} : ${turnoutText(v.figures)}`);
        body.appendChild(el("span", "note disputed", `⚠ Les sources divergent — ${each.join(" ; ")}`));
      }
      row.appendChild(body);
      els.turnoutList.appendChild(row);
    });
  }

  function renderSeats() {
    // The board's seats: a bar of the council or assembly, one segment per list with its number
    // written in it, and the same as a list (text: nothing is told by colour alone).
    const point = state.board && state.board.seats;
    const seats = point && point.figures && point.figures.seats ? Object.entries(point.figures.seats) : [];
    els.seatsPanel.hidden = seats.length === 0;
    clear(els.seatsBar);
    clear(els.seatsList);
    if (!seats.length) return;
    seats.sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0], "fr"));
    const night = state.night && state.night.seats;
    const stated = point.figures.seats_total;
    const total = typeof stated === "number" ? stated : night && typeof night.total === "number" ? night.total : null;
    const given = seats.reduce((sum, [, n]) => sum + n, 0);
    const whole = Math.max(total || 0, given) || 1;
    const majority = total ? Math.floor(total / 2) + 1 : null;
    const parts = [`${timeOf(point.at)} · ${point.sources.join(", ")}`];
    if (total) parts.push(`${fmt(total)} sièges, majorité à ${fmt(majority)}`);
    els.seatsMeta.textContent = parts.join(" · ");
    seats.forEach(([name, n], index) => {
      const segment = el("li", `seat-segment seat-${index % 6}`, fmt(n));
      segment.style.flexGrow = String(n);
      segment.style.flexBasis = "0";
      segment.title = `${name} : ${fmt(n)}`;
      els.seatsBar.appendChild(segment);
      const row = el("li", "seat-row");
      row.dataset.list = name;
      row.dataset.seats = String(n);
      const who = el("span", "seat-name", name);
      const head = headText(name);
      if (head) who.appendChild(el("span", "bar-head", head));
      row.appendChild(who);
      const count = total ? `${fmt(n)} sièges sur ${fmt(total)}` : `${fmt(n)} sièges`;
      const value = el("span", "seat-value", count);
      if (majority && n >= majority) value.appendChild(el("span", "seat-majority", " · majorité absolue"));
      row.appendChild(value);
      els.seatsList.appendChild(row);
    });
    if (given < whole) {
      const rest = el("li", "seat-segment seat-rest", fmt(whole - given));
      rest.style.flexGrow = String(whole - given);
      rest.style.flexBasis = "0";
      els.seatsBar.appendChild(rest);
      const row = el("li", "seat-row seat-rest-row");
      row.appendChild(el("span", "seat-name", "Non attribués"));
      row.appendChild(el("span", "seat-value", `${fmt(whole - given)} sièges`));
      els.seatsList.appendChild(row);
    }
  }

  function renderScopes() {
    const board = state.board;
    const scopes = board && board.scopes ? board.scopes.slice() : [];
    els.scopesPanel.hidden = scopes.length === 0;
    clear(els.scopesBody);
    if (state.scopeSort === "margin") {
      scopes.sort((a, b) => (b.margin ?? -1) - (a.margin ?? -1) || a.scope.localeCompare(b.scope, "fr"));
    } else {
      scopes.sort((a, b) => a.scope.localeCompare(b.scope, "fr"));
    }
    for (const button of els.scopeSorts) {
      const active = button.dataset.sort === state.scopeSort;
      button.closest("th").setAttribute("aria-sort", active ? (state.scopeSort === "margin" ? "descending" : "ascending") : "none");
    }
    for (const scope of scopes) {
      const row = el("tr");
      row.dataset.scope = scope.scope;
      const name = el("th");
      name.setAttribute("scope", "row");
      name.appendChild(el("span", "scope-name", scope.scope));
      if (scope.level) name.appendChild(el("span", "scope-level", scope.level));
      row.appendChild(name);
      row.dataset.level = scope.level || "";
      row.appendChild(el("td", "", scope.count ? scoresText(scope.count.figures) : "–"));
      row.appendChild(el("td", "num", typeof scope.margin === "number" ? `${fmt(scope.margin)} pts` : "–"));
      row.appendChild(el("td", "", scope.turnout ? turnoutText(scope.turnout.figures) : "–"));
      els.scopesBody.appendChild(row);
    }
  }

  for (const button of els.scopeSorts) {
    button.addEventListener("click", () => {
      state.scopeSort = button.dataset.sort;
      renderScopes();
    });
  }

  // -- rendering: sources --------------------------------------------------------------------------

  function renderSources() {
    clear(els.sourceList);
    const names = Object.keys(state.health).sort();
    els.sourcesEmpty.hidden = names.length > 0;
    for (const name of names) {
      const health = state.health[name] || {};
      const status = health.state === "ok" ? "ok" : health.state === "error" ? "error" : "starting";
      const row = el("li", `source source-${status}`);
      row.appendChild(el("span", "dot"));
      row.appendChild(el("span", "source-name", name));
      let detail = "";
      if (status === "error") {
        const errors = Number(health.consecutive_errors) || 0;
        detail = `${errors} échec${errors > 1 ? "s" : ""}`;
        if (health.last_error) detail += ` · ${health.last_error}`;
      } else if (health.last_success) {
        detail = `à jour ${timeOf(health.last_success)}`;
      } else {
        detail = "en attente";
      }
      row.appendChild(el("span", "source-detail", detail));
      els.sourceList.appendChild(row);
    }
  }

  Object.assign(page, {
    renderBoards,
    renderSources,
  });
})();
