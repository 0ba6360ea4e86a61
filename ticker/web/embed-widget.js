// soiree's embeddable box (/embed): keeps the server-rendered snapshot up to date over /sse.
// No framework. Everything from a source goes in with textContent, never as markup.
(function () {
  "use strict";
  const root = document.documentElement;
  const STATES = {
    before_close: "Bureaux de vote ouverts",
    counting: "Dépouillement en cours",
    final: "Résultats définitifs",
    over: "Soirée terminée",
  };
  const SPEECHES_SHOWN = 3;
  const SPEECH_CHARS = 220;
  const $ = (id) => document.getElementById(id);

  function percent(value) {
    return String(Number(Number(value).toFixed(2))).replace(".", ",") + "\u00a0%";
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = String(text);
    return node;
  }

  function kindLabel(current) {
    if (current.kind === "estimate") return "Estimation" + (current.institute ? " " + current.institute : "");
    if (current.final) return "Résultat définitif";
    const counted = current.figures && current.figures.counted_pct;
    return typeof counted === "number" ? "Résultats partiels · " + percent(counted) + " dépouillés" : "Résultats partiels";
  }

  function render(board) {
    if (!board) return;
    $("state").textContent = STATES[board.state] || "";
    const current = board.current;
    $("kind").textContent = current ? kindLabel(current) : "";
    const rows = [];
    if (!current) rows.push(element("li", "empty", "Pas encore de résultat"));
    for (const row of (current && current.rows) || []) {
      const item = element("li");
      item.append(element("span", "name", row.name));
      const meter = element("meter");
      meter.min = 0;
      meter.max = 100;
      meter.value = Number(row.pct) || 0;
      item.append(meter, element("span", "pct", percent(row.pct)));
      rows.push(item);
    }
    $("rows").replaceChildren(...rows);
    const speeches = $("speeches");
    if (!speeches) return;
    const items = [];
    for (const speech of (board.speeches || []).slice(0, SPEECHES_SHOWN)) {
      const item = element("li");
      if (speech.speaker) item.append(element("span", "speaker", speech.speaker), " ");
      let text = String(speech.text || "");
      if (text.length > SPEECH_CHARS) text = text.slice(0, SPEECH_CHARS - 1).trimEnd() + "…";
      item.append(element("q", "", text));
      items.push(item);
    }
    speeches.replaceChildren(...items);
  }

  function connection(label) {
    $("connection").textContent = label;
    root.dataset.connection = label === "En direct" ? "live" : "offline";
  }

  function onMessage(message) {
    if (message.type === "snapshot" || message.type === "board") render(message.board);
    if (message.type === "live") connection("En direct");
  }

  const query = "since=%24&kinds=milestone" + (root.dataset.token ? "&token=" + encodeURIComponent(root.dataset.token) : "");
  window.soireeEmbed = { render: render, messages: 0 };

  function listen(kind, event) {
    window.soireeEmbed.messages += 1;
    try {
      onMessage(JSON.parse(event.data));
    } catch (error) {
      // A message that does not parse changes nothing on screen.
    }
  }

  if (window.EventSource) {
    const source = new EventSource("/sse?" + query);
    for (const kind of ["snapshot", "board", "live"]) source.addEventListener(kind, (event) => listen(kind, event));
    source.onerror = () => connection(source.readyState === EventSource.CLOSED ? "Hors ligne" : "Reconnexion…");
  } else if (window.WebSocket) {
    const open = (delay) => {
      const socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws?" + query);
      socket.onmessage = (event) => listen("ws", event);
      socket.onclose = () => {
        connection("Reconnexion…");
        setTimeout(() => open(Math.min(delay * 2, 30000)), delay);
      };
    };
    open(1000);
  }
})();
