/*
 * soiree, the live page: its state and the helpers every part of the page shares.
 *
 * The elements, the state (the resume cursor, the updates by uid, the board, the desk...),
 * the read-only window.soiree view of it (for tests), and text helpers: times, numbers, figures.
 * The parts of the page share them through window.soireePage (loaded first, by index.html).
 * Everything that came from a source is set with textContent, never as HTML.
 */
"use strict";

(function () {
  const page = (window.soireePage = {});

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

  function setConnection(name, text) {
    els.connection.dataset.state = name;
    document.documentElement.dataset.connection = name;
    els.connectionText.textContent = text;
  }

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

  function sharesText(shares) {
    return Object.entries(shares || {})
      .sort((a, b) => b[1] - a[1])
      .map(([name, value]) => `${name} ${pct(value)}`)
      .join(", ");
  }

  Object.assign(page, {
    BACKOFF_FIRST_MS,
    BACKOFF_MAX_MS,
    KIND_LABELS,
    LONG_TEXT,
    NEAR_TOP_PX,
    OP_LABELS,
    PING_EVERY_MS,
    SILENCE_LIMIT_MS,
    clear,
    compareIds,
    compareKeys,
    el,
    els,
    figuresLine,
    fmt,
    pct,
    setConnection,
    sharesText,
    sortKey,
    state,
    timeOf,
    token,
    turnoutText,
  });
})();
