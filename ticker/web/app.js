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
 * What is current (the result, the turnout, the state of the night) is never decided here: the
 * server computes the board (ticker/board/night_board.py) and sends it in `snapshot` and `board` messages;
 * this page draws it, charts included, and groups the feed as the board's `groups` say.
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
    alert: "Alerte",
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
    kicker: $("kicker"),
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
    nightState: $("night-state"),
    replayClock: $("replay-clock"),
    replayTime: $("replay-time"),
    replayState: $("replay-state"),
    scoreNote: $("scoreboard-note"),
    scoreRound: $("scoreboard-round"),
    scoreHistory: $("scoreboard-history"),
    shareFigure: $("share-chart-figure"),
    shareChart: $("share-chart"),
    shareTable: $("share-table"),
    turnoutFigure: $("turnout-chart-figure"),
    turnoutChart: $("turnout-chart"),
    scopesPanel: $("scopes-panel"),
    seatsPanel: $("seats-panel"),
    seatsMeta: $("seats-meta"),
    seatsBar: $("seats-bar"),
    seatsList: $("seats-list"),
    speechesPanel: $("speeches-panel"),
    speechesList: $("speeches-list"),
    scopesBody: $("scopes-body"),
    scopeSorts: document.querySelectorAll("[data-sort]"),
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
    board: null, // the night's board, as the server computed it
    clock: null, // a replay's clock, as the server relays it (null: no replay)
    // The desk's state (docs/protocol.md, "The desk"): pins, key events, corrections...
    desk: { pinned: [], key: [], corrected: {}, retracted: {}, flagged: {} },
    essential: false, // "L'essentiel": key events only
    staff: false, // the server's hello says this page has the staff token
    scopeSort: "name",
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
    get board() {
      return state.board;
    },
    get clock() {
      return state.clock;
    },
    get desk() {
      return state.desk;
    },
    get staff() {
      return state.staff;
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
    // "20h41" on the night; the morning after carries its day ("lun. 09h05"), so that it never
    // reads as earlier than the night's 23h30; days further off read "dim. 22 janv.".
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
    if (!state.night || !state.night.date) return clock;
    const day = new Intl.DateTimeFormat("fr-CA", { timeZone: state.timeZone }).format(date);
    if (day === state.night.date) return clock;
    const weekday = new Intl.DateTimeFormat("fr-FR", { weekday: "short", timeZone: state.timeZone }).format(date);
    if (day === nextDay(state.night.date)) return clock < "05h00" ? clock : `${weekday} ${clock}`;
    const label = new Intl.DateTimeFormat("fr-FR", {
      weekday: "short",
      day: "numeric",
      month: "short",
      timeZone: state.timeZone,
    }).format(date);
    return label;
  }

  function nextDay(isoDate) {
    const next = new Date(`${isoDate}T12:00:00Z`);
    next.setUTCDate(next.getUTCDate() + 1);
    return next.toISOString().slice(0, 10);
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
      case "board":
        if (message.board) {
          state.board = message.board;
          renderBoards();
        }
        break;
      case "clock":
        // About once a second while a replay runs: the header only, not the whole board.
        state.clock = message.clock && typeof message.clock === "object" ? message.clock : null;
        renderHeader();
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
      case "desk":
        onDesk(message.desk);
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
    // The staff token opened this page (the server says so): its staff view shows alerts.
    state.staff = message.staff === true;
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
    if (message.board) state.board = message.board;
    state.clock = message.clock && typeof message.clock === "object" ? message.clock : null;
    state.health = message.health || {};
    if (message.desk) onDesk(message.desk);
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
      const known = state.updates.get(message.uid);
      const lifted = known && known.id === message.id && known.embargoed && !message.embargoed;
      if (lifted || !known || typeof known.id !== "string" || compareIds(message.id, known.id) > 0) {
        // Held by the embargo, released after newer updates (docs/protocol.md, "The
        // embargo"), or (staff) its release without the mark: shown now; the resume cursor
        // stays the newest id.
        apply(message);
        return;
      }
      // Already seen: the server promises this never happens; count it if it does.
      state.stats.duplicates += 1;
      return;
    }
    state.lastId = message.id;
    // Alerts are the desk's (docs/alerts.md): shown by the staff view only (staff-alerts.js).
    if (message.kind === "alert") {
      if (state.staff && window.soireeStaff) window.soireeStaff.add(message, timeOf(message.at));
      return;
    }
    const isNew = message.op === "add" && !state.updates.has(message.uid);
    apply(message);
    const item = state.items.get(message.uid);
    if (state.live && isNew && item && !item.hidden && scrolledAway()) {
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
    setConnection("live", liveText());
    renderBoards();
  }

  function onError(message) {
    if (message.code === "bad_since" || message.code === "unknown_since") {
      // The stream was reset (or is another one): what this page holds no longer applies.
      state.lastId = null;
      state.board = null;
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
    renderFeedCount();
  }

  function renderFeedCount() {
    let shown = 0;
    for (const item of state.items.values()) if (!item.hidden) shown += 1;
    els.feedEmpty.hidden = shown > 0;
    els.feedCount.textContent = shown ? `${shown} mise${shown > 1 ? "s" : ""} à jour` : "";
  }

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
    if (typeof f.rate_pct === "number") parts.push(`participation ${pct(f.rate_pct)}`);
    if (typeof f.abstention_pct === "number") parts.push(`abstention ${pct(f.abstention_pct)}`);
    if (typeof f.stations_pct === "number") parts.push(`${pct(f.stations_pct)} des bureaux`);
    if (typeof f.stations === "number") parts.push(`${fmt(f.stations)} bureaux`);
    if (f.as_of) parts.push(`à ${f.as_of.replace(":", "h")}`);
    if (typeof f.change_pct === "number") {
      parts.push(`${f.change_pct < 0 ? "en baisse de" : "en hausse de"} ${pct(Math.abs(f.change_pct))}`);
    }
    return parts.join(", ");
  }

  // -- the desk: pins, key events, corrections, retractions ------------------------------------

  function onDesk(desk) {
    if (!desk || typeof desk !== "object") return;
    state.desk = {
      pinned: Array.isArray(desk.pinned) ? desk.pinned : [],
      key: Array.isArray(desk.key) ? desk.key : [],
      corrected: desk.corrected && typeof desk.corrected === "object" ? desk.corrected : {},
      retracted: desk.retracted && typeof desk.retracted === "object" ? desk.retracted : {},
      flagged: desk.flagged && typeof desk.flagged === "object" ? desk.flagged : {},
    };
    for (const update of state.updates.values()) renderItem(update);
    renderPins();
  }

  function hhmm(iso) {
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return "";
    return new Intl.DateTimeFormat("fr-FR", {
      hour: "2-digit",
      minute: "2-digit",
      timeZone: state.timeZone,
    }).format(date);
  }

  function deskView(update) {
    // The update as readers must see it: with the desk's correction (the board already is).
    const correction = Object.prototype.hasOwnProperty.call(state.desk.corrected, update.uid)
      ? state.desk.corrected[update.uid]
      : null;
    if (!correction) return update;
    const shown = Object.assign({}, update);
    if (typeof correction.text === "string") shown.text = correction.text;
    if (correction.figures && typeof correction.figures === "object") shown.figures = correction.figures;
    return shown;
  }

  function deskMarks(item, meta, update) {
    const desk = state.desk;
    const pinned = desk.pinned.includes(update.uid);
    const key = desk.key.includes(update.uid);
    item.dataset.pinned = pinned ? "1" : "";
    item.classList.toggle("item-pinned", pinned);
    item.classList.toggle("item-key", key);
    if (pinned) meta.appendChild(el("span", "item-pin", "épinglé"));
    if (key) meta.appendChild(el("span", "item-keymark", "essentiel"));
    const retracted = Object.prototype.hasOwnProperty.call(desk.retracted, update.uid)
      ? desk.retracted[update.uid]
      : null;
    item.classList.toggle("item-retracted", !!retracted);
    if (retracted) meta.appendChild(el("span", "item-retract", `retiré à ${hhmm(retracted.at)}`));
    if (Object.prototype.hasOwnProperty.call(desk.flagged, update.uid)) {
      meta.appendChild(el("span", "item-flagged", "modifié par la source après correction"));
    }
  }

  function correctionNote(item, update) {
    // "corrigé à 21:14", and the value before it on demand.
    const correction = Object.prototype.hasOwnProperty.call(state.desk.corrected, update.uid)
      ? state.desk.corrected[update.uid]
      : null;
    if (!correction) return;
    const note = el("p", "item-correction");
    const toggle = el("button", "link-button item-corrected", `corrigé à ${hhmm(correction.at)}`);
    toggle.type = "button";
    toggle.setAttribute("aria-expanded", "false");
    const previous = el("div", "item-previous");
    previous.hidden = true;
    const before = correction.previous && typeof correction.previous === "object" ? correction.previous : {};
    previous.appendChild(el("p", "item-previous-label", "Avant correction :"));
    if (typeof before.text === "string") previous.appendChild(el("p", "item-previous-text", before.text));
    const figures = before.figures ? figuresLine({ figures: before.figures }) : null;
    if (figures) previous.appendChild(el("p", "item-previous-figures", figures));
    if (typeof correction.reason === "string" && correction.reason) {
      previous.appendChild(el("p", "item-previous-reason", `Motif : ${correction.reason}`));
    }
    toggle.addEventListener("click", () => {
      previous.hidden = !previous.hidden;
      toggle.setAttribute("aria-expanded", String(!previous.hidden));
    });
    note.appendChild(toggle);
    item.appendChild(note);
    item.appendChild(previous);
  }

  function renderPins() {
    // Pinned updates on top of the feed, the latest pin first.
    const pinned = state.desk.pinned.map((uid) => state.items.get(uid)).filter(Boolean);
    for (const item of pinned) els.feed.insertBefore(item, els.feed.firstElementChild);
  }

  const essentialButton = el("button", "link-button essential-toggle", "L’essentiel");
  essentialButton.type = "button";
  essentialButton.id = "essential-toggle";
  essentialButton.setAttribute("aria-pressed", "false");
  essentialButton.addEventListener("click", () => {
    state.essential = !state.essential;
    essentialButton.setAttribute("aria-pressed", String(state.essential));
    els.feed.classList.toggle("feed-essential", state.essential);
  });
  els.feed.parentNode.insertBefore(essentialButton, els.feed);

  function renderItem(received) {
    const update = deskView(received);
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
    // The source gave no date: the time shown is when soiree first saw it (update schema 4).
    if (update.undated === true) {
      const note = el("span", "item-undated", "non daté");
      note.title = "La source ne date pas cet élément : heure à laquelle soiree l'a vu";
      meta.appendChild(note);
    }
    // Staff pages only (the staff token): held for the public until polls close.
    if (update.embargoed === true) meta.appendChild(el("span", "item-embargo", "sous embargo"));
    deskMarks(item, meta, update);
    meta.appendChild(el("span", "item-group"));
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
    correctionNote(item, update);

    if (fresh || item.dataset.sortKey !== sortKey(update).join(",")) {
      item.dataset.sortKey = sortKey(update).join(",");
      place(item, sortKey(update));
    }
    state.items.set(update.uid, item);
    if (item.dataset.pinned || state.desk.pinned.length) renderPins();
    if (state.board) groupItem(item);
  }

  function place(item, key) {
    // Newest first. Live updates nearly always go on top, so look from the top down.
    let before = els.feed.firstElementChild;
    while (before) {
      if (before !== item && !before.dataset.pinned) {
        const other = before.dataset.sortKey.split(",").map(Number);
        if (compareKeys(other, key) < 0) break;
      }
      before = before.nextElementSibling;
    }
    if (before === item) return;
    els.feed.insertBefore(item, before);
  }

  // -- rendering: the board (as the server computed it) -------------------------------------------

  const NIGHT_STATES = {
    before_close: "Bureaux de vote ouverts",
    counting: "Dépouillement en cours",
    final: "Résultats définitifs",
    over: "Soirée terminée",
  };
  const SVG = "http://www.w3.org/2000/svg";
  const ROUNDS = { 1: "premier tour", 2: "second tour" };

  function svg(tag, attributes, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, String(value));
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function replayState() {
    // "running", "paused", "finished", or "" when the stream is no replay's.
    const clock = state.clock;
    if (!clock) return "";
    if (clock.finished === true) return "finished";
    return clock.paused === true ? "paused" : "running";
  }

  function liveText() {
    const replay = replayState();
    if ((state.board && state.board.state === "over") || replay === "finished") return "Terminé";
    return replay === "paused" ? "En pause" : "En direct";
  }

  function speedText(speed) {
    // "×60", "×0,5"; "max" for a replay that does not wait.
    return typeof speed === "number" && Number.isFinite(speed) && speed > 0 ? `×${fmt(speed)}` : "max";
  }

  function renderReplayClock() {
    // A replay's virtual time and state, from the server's `clock`: "20h41 replay ×60",
    // "replay en pause", "replay terminé". Text only.
    const replay = replayState();
    els.replayClock.hidden = replay === "";
    els.replayClock.dataset.replay = replay;
    document.documentElement.dataset.replay = replay;
    if (replay === "") {
      els.replayTime.textContent = "";
      els.replayState.textContent = "";
      return;
    }
    const clock = state.clock;
    els.replayTime.textContent = typeof clock.virtual_time === "string" ? timeOf(clock.virtual_time) : "";
    els.replayState.textContent =
      replay === "finished"
        ? "replay terminé"
        : replay === "paused"
          ? "replay en pause"
          : `replay ${speedText(clock.speed)}`;
  }

  function sharesText(shares) {
    return Object.entries(shares || {})
      .sort((a, b) => b[1] - a[1])
      .map(([name, value]) => `${name} ${pct(value)}`)
      .join(", ");
  }

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

  function renderHeader() {
    // The state of the night (the board's) and of a replay (the clock's).
    const board = state.board;
    els.nightState.textContent = board ? NIGHT_STATES[board.state] || "" : "";
    els.nightState.dataset.state = board ? board.state : "";
    document.documentElement.dataset.night = board ? board.state : "";
    const replay = replayState();
    els.kicker.textContent =
      (board && board.state === "over") || replay === "finished"
        ? "Soirée électorale · terminée"
        : replay === "paused"
          ? "Soirée électorale · en pause"
          : "Soirée électorale · en direct";
    renderReplayClock();
    if (state.live) setConnection("live", liveText());
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

  function groupOf(uid) {
    const groups = state.board && state.board.groups ? state.board.groups : [];
    return groups.find((group) => group.uids.includes(uid)) || null;
  }

  function groupItem(item) {
    const uid = item.dataset.uid;
    const group = groupOf(uid);
    const label = item.querySelector(".item-group");
    item.hidden = false;
    item.classList.remove("disputed");
    if (label) label.textContent = "";
    if (!group) return;
    const present = group.uids.filter((other) => state.items.has(other) || other === uid);
    if (group.agree) {
      if (present[0] !== uid) {
        item.hidden = true; // shown once, by the first report of the point
        return;
      }
      if (label && group.sources.length > 1) {
        label.textContent = `${group.sources.length} sources`;
        label.title = group.sources.join(", ");
      }
    } else {
      item.classList.add("disputed");
      if (label) label.textContent = "⚠ sources en désaccord";
    }
  }

  function renderGroups() {
    for (const item of state.items.values()) groupItem(item);
    renderFeedCount();
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
