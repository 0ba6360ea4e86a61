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
 *
 * This file is the connection and the messages; it is loaded last. The other parts, loaded
 * before it by index.html (classic deferred scripts, in this order), share window.soireePage:
 * page-state.js (elements, state, shared helpers), page-desk.js (pins, key events,
 * corrections), page-feed.js (the feed), page-header.js (night state, replay clock),
 * page-charts.js (the SVG charts), page-board.js (scoreboard, turnout, seats, territories,
 * speeches, sources).
 */
"use strict";

(function () {
  const page = window.soireePage;
  const {
    BACKOFF_FIRST_MS,
    BACKOFF_MAX_MS,
    PING_EVERY_MS,
    SILENCE_LIMIT_MS,
    clear,
    compareIds,
    els,
    setConnection,
    state,
    timeOf,
    token,
    onDesk,
    apply,
    onEmbargo,
    renderUnseen,
    scrolledAway,
    liveText,
    renderHeader,
    renderBoards,
    renderSources,
  } = page;

  // -- connection -----------------------------------------------------------------------------


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
    // Staff, on a night with a closing time: what the embargo holds now (page-feed.js).
    if (message.embargo !== undefined) onEmbargo(message.embargo);
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

  els.gapDismiss.addEventListener("click", () => {
    els.gapBanner.hidden = true;
  });

  window.addEventListener("online", () => {
    if (!state.ws && !state.stopped) connect();
  });

  connect();
})();
