/*
 * soiree, the live page: the header. The state of the night (the board's) and a replay's clock
 * (the server's `clock`: "20h41 replay ×60", "replay en pause", "replay terminé"). Text only.
 */
"use strict";

(function () {
  const page = window.soireePage;
  const {
    els,
    fmt,
    setConnection,
    state,
    timeOf,
  } = page;

  const NIGHT_STATES = {
    before_close: "Bureaux de vote ouverts",
    counting: "Dépouillement en cours",
    final: "Résultats définitifs",
    over: "Soirée terminée",
  };

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

  Object.assign(page, {
    liveText,
    renderHeader,
  });
})();
