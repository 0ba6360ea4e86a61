/*
 * soiree: the live page. Plain JavaScript, no build step, no dependency.
 *
 * Talks the protocol of docs/protocol.md over /ws on the page's own origin:
 * hello -> snapshot -> [gap] -> backlog updates -> live -> live updates.
 * It remembers the last stream id it saw and reconnects with exponential backoff and
 * ?since=<that id>, so a dropped connection or a restarted server loses nothing and
 * repeats nothing. Updates are kept by uid: an edit replaces its entry in place, a delete
 * removes it.
 *
 * Everything that came from a source is put in the page as text (textContent), never as
 * HTML: a liveblog entry reading <img onerror=...> shows those characters, and runs nothing.
 */
"use strict";

(function () {
  const KIND_LABELS = {
    turnout: "Participation",
    count: "Dépouillement",
    estimate: "Estimation",
    speech: "Discours",
    rally: "Ralliement",
    milestone: "Étape",
    news: "Info",
  };
  const OP_LABELS = { edit: "modifié" };
  const BACKOFF_FIRST_MS = 500;
  const BACKOFF_MAX_MS = 30000;
  const PING_EVERY_MS = 25000;
  const SILENCE_LIMIT_MS = 40000;
  const NEAR_TOP_PX = 120;
  const LONG_TEXT = 480;

  const $ = (id) => document.getElementById(id);
  const els = {
    title: $("night-title"),
    connection: $("connection"),
    connectionText: $("connection-text"),
    gapBanner: $("gap-banner"),
    gapText: $("gap-text"),
    gapDismiss: $("gap-dismiss"),
    scoreLabel: $("scoreboard-label"),
    scoreMeta: $("scoreboard-meta"),
    bars: $("scoreboard-bars"),
    counted: $("counted"),
    countedValue: $("counted-value"),
    countedFill: $("counted-fill"),
    turnoutList: $("turnout-list"),
    turnoutEmpty: $("turnout-empty"),
    sourceList: $("source-list"),
    sourcesEmpty: $("sources-empty"),
    feed: $("feed"),
    feedEmpty: $("feed-empty"),
    feedCount: $("feed-count"),
    newUpdates: $("new-updates"),
    streamName: $("stream-name"),
  };

  const params = new URLSearchParams(window.location.search);
  const token = params.get("token");

  const state = {
    lastId: null, // the newest stream id seen: the resume cursor
    updates: new Map(), // uid -> the update as last received (live ones only)
    items: new Map(), // uid -> its <li> in the feed
    health: {},
    night: null,
    timeZone: "Europe/Paris",
    live: false,
    unseen: 0,
    attempt: 0,
    ws: null,
    retryTimer: null,
    countdownTimer: null,
    pingTimer: null,
    lastMessageAt: 0,
    stopped: false,
    stats: { received: 0, duplicates: 0, connections: 0, renders: 0 },
  };

  // For tests and curious newsroom developers: read-only views of the page's state.
  window.soiree = {
    get lastId() {
      return state.lastId;
    },
    get stats() {
      return Object.assign({}, state.stats);
    },
    get live() {
      return state.live;
    },
  };

  // -- small helpers --------------------------------------------------------------------------

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function idParts(id) {
    const dash = id.indexOf("-");
    return dash < 0 ? [Number(id), 0] : [Number(id.slice(0, dash)), Number(id.slice(dash + 1))];
  }

  function compareIds(a, b) {
    const [am, as] = idParts(a);
    const [bm, bs] = idParts(b);
    return am !== bm ? am - bm : as - bs;
  }

  const numberFormat = new Intl.NumberFormat("fr-FR", { maximumFractionDigits: 2 });
  const fmt = (value) => numberFormat.format(value);
  const pct = (value) => `${fmt(value)} %`;

  function timeOf(iso) {
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return "";
    const parts = new Intl.DateTimeFormat("fr-FR", {
      hour: "2-digit",
      minute: "2-digit",
      timeZone: state.timeZone,
    }).formatToParts(date);
    const hour = parts.find((p) => p.type === "hour");
    const minute = parts.find((p) => p.type === "minute");
    const clock = `${hour ? hour.value : "??"}h${minute ? minute.value : "??"}`;
    const day = new Intl.DateTimeFormat("fr-CA", { timeZone: state.timeZone }).format(date);
    if (state.night && state.night.date && day !== state.night.date && !isEarlyNextDay(day, clock)) {
      const label = new Intl.DateTimeFormat("fr-FR", {
        weekday: "short",
        day: "numeric",
        month: "short",
        timeZone: state.timeZone,
      }).format(date);
      return `${label}, ${clock}`;
    }
    return clock;
  }

  function isEarlyNextDay(day, clock) {
    // A night runs late: 00h30 the day after still belongs to it.
    const next = new Date(`${state.night.date}T12:00:00Z`);
    next.setUTCDate(next.getUTCDate() + 1);
    return day === next.toISOString().slice(0, 10) && clock < "06h00";
  }

  function sortKey(update) {
    const at = Date.parse(update.at);
    const [ms, seq] = idParts(update.id || "0-0");
    return [Number.isNaN(at) ? 0 : at, ms, seq];
  }

  function compareKeys(a, b) {
    for (let i = 0; i < a.length; i += 1) {
      if (a[i] !== b[i]) return a[i] - b[i];
    }
    return 0;
  }

  // -- connection -----------------------------------------------------------------------------

  function setConnection(name, text) {
    els.connection.dataset.state = name;
    document.documentElement.dataset.connection = name;
    els.connectionText.textContent = text;
  }

  function socketUrl() {
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    const query = new URLSearchParams();
    if (state.lastId) query.set("since", state.lastId);
    if (token) query.set("token", token);
    const qs = query.toString();
    return `${scheme}//${window.location.host}/ws${qs ? `?${qs}` : ""}`;
  }

  function connect() {
    clearTimeout(state.retryTimer);
    clearInterval(state.countdownTimer);
    state.live = false;
    setConnection("connecting", state.stats.connections ? "Reconnexion…" : "Connexion…");
    let ws;
    try {
      ws = new WebSocket(socketUrl());
    } catch (error) {
      scheduleReconnect();
      return;
    }
    state.ws = ws;
    ws.addEventListener("open", () => {
      state.stats.connections += 1;
      state.lastMessageAt = Date.now();
      setConnection("catching-up", "Rattrapage…");
      clearInterval(state.pingTimer);
      state.pingTimer = setInterval(keepAlive, 5000);
    });
    ws.addEventListener("message", (event) => {
      if (ws !== state.ws) return;
      state.lastMessageAt = Date.now();
      let message;
      try {
        message = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      handle(message);
    });
    ws.addEventListener("close", (event) => {
      if (ws !== state.ws) return;
      clearInterval(state.pingTimer);
      state.ws = null;
      state.live = false;
      if (event.code === 4001) {
        state.stopped = true;
        setConnection("denied", "Accès refusé : jeton de lecture manquant ou invalide");
        return;
      }
      if (state.resetOnClose) {
        state.resetOnClose = false;
        connect();
        return;
      }
      scheduleReconnect();
    });
  }

  function keepAlive() {
    const ws = state.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    const quiet = Date.now() - state.lastMessageAt;
    if (quiet > SILENCE_LIMIT_MS) {
      // No pong: the link is dead even if the browser has not noticed. Start again.
      ws.close();
      return;
    }
    if (quiet > PING_EVERY_MS) ws.send(JSON.stringify({ type: "ping" }));
  }

  function scheduleReconnect() {
    if (state.stopped) return;
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** state.attempt);
    const delay = Math.round(ceiling * (0.5 + Math.random() / 2));
    state.attempt += 1;
    const due = Date.now() + delay;
    const show = () => {
      const seconds = Math.max(0, Math.ceil((due - Date.now()) / 1000));
      setConnection("offline", `Hors ligne · nouvelle tentative dans ${seconds} s`);
    };
    show();
    clearInterval(state.countdownTimer);
    state.countdownTimer = setInterval(show, 1000);
    state.retryTimer = setTimeout(connect, delay);
  }

  // -- messages -------------------------------------------------------------------------------

  function handle(message) {
    switch (message.type) {
      case "hello":
        onHello(message);
        break;
      case "snapshot":
        onSnapshot(message);
        break;
      case "gap":
        onGap(message);
        break;
      case "update":
        onUpdate(message);
        break;
      case "live":
        onLive(message);
        break;
      case "health":
        state.health = message.sources || {};
        renderSources();
        break;
      case "error":
        onError(message);
        break;
      default:
        break; // subscribed, pong, and anything newer: nothing to show
    }
  }

  function onHello(message) {
    if (message.night) {
      state.night = message.night;
      if (message.night.timezone) state.timeZone = message.night.timezone;
      if (message.night.title) {
        els.title.textContent = message.night.title;
        document.title = `${message.night.title} · en direct`;
      }
    }
    els.streamName.textContent = message.stream || "";
  }

  function onSnapshot(message) {
    for (const update of [message.count, message.turnout]) {
      if (update && update.uid && update.id) {
        const known = state.updates.get(update.uid);
        if (!known || compareIds(update.id, known.id) > 0) apply(update);
      }
    }
    state.health = message.health || {};
    renderSources();
    renderBoards();
  }

  function onGap(message) {
    const from = message.first_id ? ` (reprise à ${message.first_id})` : "";
    els.gapText.textContent =
      `Certaines mises à jour après ${message.since} ne sont plus conservées par le serveur${from}.`;
    els.gapBanner.hidden = false;
  }

  function onUpdate(message) {
    state.stats.received += 1;
    if (typeof message.id !== "string") return;
    if (state.lastId && compareIds(message.id, state.lastId) <= 0) {
      // Already seen: the server promises this never happens; count it if it does.
      state.stats.duplicates += 1;
      return;
    }
    state.lastId = message.id;
    const isNew = message.op === "add" && !state.updates.has(message.uid);
    apply(message);
    renderBoards();
    if (state.live && isNew && scrolledAway()) {
      state.unseen += 1;
      renderUnseen();
    }
  }

  function onLive(message) {
    if (message.last_id && (!state.lastId || compareIds(message.last_id, state.lastId) > 0)) {
      state.lastId = message.last_id;
    }
    state.live = true;
    state.attempt = 0;
    clearInterval(state.countdownTimer);
    setConnection("live", "En direct");
    renderBoards();
  }

  function onError(message) {
    if (message.code === "bad_since" || message.code === "unknown_since") {
      // The stream was reset (or is another one): what this page holds no longer applies.
      state.lastId = null;
      state.updates.clear();
      state.items.clear();
      clear(els.feed);
      state.resetOnClose = true;
      renderBoards();
    }
  }

  // -- the state ------------------------------------------------------------------------------

  function apply(update) {
    if (update.op === "delete") {
      state.updates.delete(update.uid);
      const item = state.items.get(update.uid);
      if (item) {
        item.remove();
        state.items.delete(update.uid);
      }
    } else {
      state.updates.set(update.uid, update);
      renderItem(update);
    }
    state.stats.renders += 1;
    els.feedEmpty.hidden = state.items.size > 0;
    els.feedCount.textContent = state.items.size
      ? `${state.items.size} mise${state.items.size > 1 ? "s" : ""} à jour`
      : "";
  }

  function rank(update) {
    const national = update.figures && update.figures.scope === "national" ? 1 : 0;
    return [national].concat(sortKey(update));
  }

  function best(kind, qualifies) {
    let chosen = null;
    for (const update of state.updates.values()) {
      if (update.kind !== kind || !qualifies(update)) continue;
      if (!chosen || compareKeys(rank(update), rank(chosen)) > 0) chosen = update;
    }
    return chosen;
  }

  const hasShares = (u) => u.figures && u.figures.shares && Object.keys(u.figures.shares).length > 0;
  const hasTurnout = (u) =>
    u.figures &&
    ["voters", "voters_low", "stations_pct", "change_pct"].some((f) => typeof u.figures[f] === "number");

  // -- rendering: the feed ------------------------------------------------------------------------

  function figuresLine(update) {
    const f = update.figures;
    if (!f) return null;
    const parts = [];
    if (f.shares) {
      const shares = Object.entries(f.shares).sort((a, b) => b[1] - a[1]);
      for (const [name, value] of shares) parts.push(`${name} ${pct(value)}`);
    }
    if (typeof f.counted_pct === "number") parts.push(`${pct(f.counted_pct)} dépouillés`);
    const turnout = turnoutText(f);
    if (turnout) parts.push(turnout);
    if (f.scope && f.scope !== "national") parts.push(f.scope);
    return parts.length ? parts.join(" · ") : null;
  }

  function turnoutText(f) {
    const parts = [];
    if (typeof f.voters === "number") parts.push(`${fmt(f.voters)} votants`);
    else if (typeof f.voters_low === "number" && typeof f.voters_high === "number") {
      parts.push(`entre ${fmt(f.voters_low)} et ${fmt(f.voters_high)} votants`);
    } else if (typeof f.voters_low === "number") {
      parts.push(`plus de ${fmt(f.voters_low)} votants`);
    } else if (typeof f.voters_high === "number") {
      parts.push(`jusqu’à ${fmt(f.voters_high)} votants`);
    }
    if (typeof f.stations_pct === "number") parts.push(`${pct(f.stations_pct)} des bureaux`);
    if (typeof f.stations === "number") parts.push(`${fmt(f.stations)} bureaux`);
    if (f.as_of) parts.push(`à ${f.as_of.replace(":", "h")}`);
    if (typeof f.change_pct === "number") {
      parts.push(`${f.change_pct < 0 ? "en baisse de" : "en hausse de"} ${pct(Math.abs(f.change_pct))}`);
    }
    return parts.join(", ");
  }

  function renderItem(update) {
    let item = state.items.get(update.uid);
    const fresh = !item;
    if (fresh) {
      item = el("li", "item");
      item.dataset.uid = update.uid;
    } else {
      clear(item);
    }
    item.dataset.id = update.id || "";
    item.dataset.kind = update.kind;
    item.dataset.at = update.at;
    item.className = `item kind-${update.kind}`;

    const meta = el("div", "item-meta");
    const time = el("time", "item-time", timeOf(update.at));
    time.dateTime = update.at;
    meta.appendChild(time);
    meta.appendChild(el("span", `badge badge-${update.kind}`, KIND_LABELS[update.kind] || update.kind));
    meta.appendChild(el("span", "item-source", update.source));
    if (OP_LABELS[update.op]) meta.appendChild(el("span", "item-edited", OP_LABELS[update.op]));
    item.appendChild(meta);

    if (update.speaker) item.appendChild(el("p", "item-speaker", update.speaker));
    const text = el("p", "item-text", update.text);
    item.appendChild(text);
    if (update.text.length > LONG_TEXT) {
      // Whole articles: a few lines, and the rest on demand.
      text.classList.add("clamped");
      const more = el("button", "link-button more", "Lire la suite");
      more.type = "button";
      more.addEventListener("click", () => {
        const clamped = text.classList.toggle("clamped");
        more.textContent = clamped ? "Lire la suite" : "Réduire";
      });
      item.appendChild(more);
    }
    const figures = figuresLine(update);
    if (figures) item.appendChild(el("p", "item-figures", figures));

    if (fresh || item.dataset.sortKey !== sortKey(update).join(",")) {
      item.dataset.sortKey = sortKey(update).join(",");
      place(item, sortKey(update));
    }
    state.items.set(update.uid, item);
  }

  function place(item, key) {
    // Newest first. Live updates nearly always go on top, so look from the top down.
    let before = els.feed.firstElementChild;
    while (before) {
      if (before !== item) {
        const other = before.dataset.sortKey.split(",").map(Number);
        if (compareKeys(other, key) < 0) break;
      }
      before = before.nextElementSibling;
    }
    if (before === item) return;
    els.feed.insertBefore(item, before);
  }

  // -- rendering: scoreboard, turnout, sources --------------------------------------------------

  function renderBoards() {
    renderScoreboard();
    renderTurnout();
  }

  function renderScoreboard() {
    const count = best("count", hasShares);
    const shown = count || best("estimate", hasShares);
    clear(els.bars);
    if (!shown) {
      els.scoreLabel.hidden = true;
      els.counted.hidden = true;
      els.scoreMeta.textContent = "En attente des premiers résultats…";
      return;
    }
    const f = shown.figures;
    els.scoreLabel.hidden = false;
    els.scoreLabel.textContent = count
      ? typeof f.counted_pct === "number" && f.counted_pct >= 100
        ? "Résultats définitifs"
        : "Résultats partiels"
      : "Estimation";
    els.scoreLabel.dataset.kind = shown.kind;
    const where = f.scope && f.scope !== "national" ? ` · ${f.scope}` : "";
    els.scoreMeta.textContent = `${timeOf(shown.at)} · ${shown.source}${where}`;
    const shares = Object.entries(f.shares).sort((a, b) => b[1] - a[1]);
    shares.forEach(([name, value], index) => {
      const row = el("li", index === 0 ? "bar leading" : "bar");
      row.dataset.candidate = name;
      row.dataset.share = String(value);
      const label = el("div", "bar-label");
      label.appendChild(el("span", "bar-name", name));
      label.appendChild(el("span", "bar-value", pct(value)));
      row.appendChild(label);
      const track = el("div", "track");
      const fill = el("div", "fill");
      fill.style.width = `${Math.max(0, Math.min(100, value))}%`;
      track.appendChild(fill);
      row.appendChild(track);
      els.bars.appendChild(row);
    });
    if (typeof f.counted_pct === "number") {
      els.counted.hidden = false;
      els.countedValue.textContent = pct(f.counted_pct);
      els.countedFill.style.width = `${Math.max(0, Math.min(100, f.counted_pct))}%`;
    } else {
      els.counted.hidden = true;
    }
  }

  function renderTurnout() {
    // Several sources often report the same checkpoint: show each figure once, latest report.
    const byFigures = new Map();
    for (const update of state.updates.values()) {
      if (update.kind !== "turnout" || !hasTurnout(update)) continue;
      const f = update.figures;
      const signature = JSON.stringify([
        f.scope, f.as_of, f.voters, f.voters_low, f.voters_high, f.stations_pct, f.change_pct,
      ]);
      const known = byFigures.get(signature);
      if (!known || compareKeys(sortKey(update), sortKey(known)) > 0) byFigures.set(signature, update);
    }
    const checkpoints = Array.from(byFigures.values()).sort((a, b) => {
      const national = (u) => (u.figures.scope === "national" ? 0 : 1);
      return national(a) - national(b) || compareKeys(sortKey(a), sortKey(b));
    });
    clear(els.turnoutList);
    els.turnoutEmpty.hidden = checkpoints.length > 0;
    const latest = best("turnout", hasTurnout);
    for (const update of checkpoints) {
      const f = update.figures;
      const isLatest = latest && latest.figures && JSON.stringify(latest.figures) === JSON.stringify(f);
      const row = el("li", isLatest ? "checkpoint latest" : "checkpoint");
      row.dataset.uid = update.uid;
      row.appendChild(el("span", "checkpoint-time", f.as_of ? f.as_of.replace(":", "h") : timeOf(update.at)));
      const body = el("div", "checkpoint-body");
      body.appendChild(el("span", "checkpoint-main", turnoutText(Object.assign({}, f, { as_of: null }))));
      const previous = f.previous;
      if (previous && (typeof previous.voters === "number" || typeof previous.stations_pct === "number")) {
        const bits = [];
        if (typeof previous.voters === "number") bits.push(`${fmt(previous.voters)} votants`);
        if (typeof previous.stations_pct === "number") bits.push(`${pct(previous.stations_pct)} des bureaux`);
        const round = previous.round ? ` au ${previous.round === 1 ? "1er" : "2d"} tour` : "";
        body.appendChild(el("span", "checkpoint-previous", `contre ${bits.join(", ")}${round}`));
      }
      if (f.scope && f.scope !== "national") body.appendChild(el("span", "checkpoint-scope", f.scope));
      row.appendChild(body);
      els.turnoutList.appendChild(row);
    }
  }

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

  // -- "N new updates" ----------------------------------------------------------------------------

  function scrolledAway() {
    const top = els.feed.getBoundingClientRect().top + window.scrollY;
    return window.scrollY > top + NEAR_TOP_PX;
  }

  function renderUnseen() {
    if (state.unseen > 0) {
      els.newUpdates.textContent =
        state.unseen === 1 ? "1 nouvelle mise à jour ↑" : `${state.unseen} nouvelles mises à jour ↑`;
      els.newUpdates.hidden = false;
    } else {
      els.newUpdates.hidden = true;
    }
  }

  els.newUpdates.addEventListener("click", () => {
    state.unseen = 0;
    renderUnseen();
    const top = els.feed.getBoundingClientRect().top + window.scrollY - 80;
    window.scrollTo({ top: Math.max(0, top), behavior: "smooth" });
  });

  window.addEventListener(
    "scroll",
    () => {
      if (state.unseen && !scrolledAway()) {
        state.unseen = 0;
        renderUnseen();
      }
    },
    { passive: true },
  );

  els.gapDismiss.addEventListener("click", () => {
    els.gapBanner.hidden = true;
  });

  window.addEventListener("online", () => {
    if (!state.ws && !state.stopped) connect();
  });

  connect();
})();
