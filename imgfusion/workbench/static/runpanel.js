// The run's live progress (server-sent events, shared by every tab) and its outputs.
import {outputURL} from "./api.js";

function describe(s) {
  if (s.status !== "running") {
    return s.status + (s.error ? ": " + s.error : "") +
      (s.outputs && s.outputs.length ? ` (${s.outputs.length} outputs)` : "");
  }
  let text = `running run ${s.run}: step ${s.step || "…"}`;
  // style steps report a loss per iteration; other long steps (video) count frames or items
  const unit = s.loss !== null && s.loss !== undefined ? "iteration" : "progress";
  if (s.total) text += `, ${unit} ${s.done}/${s.total}`;
  if (s.loss !== null && s.loss !== undefined) text += `, loss ${Number(s.loss).toPrecision(4)}`;
  return text;
}

function outputItem(path) {
  const figure = document.createElement("figure");
  const img = document.createElement("img");
  img.src = outputURL(path) + "&t=" + Date.now();
  img.alt = path;
  const link = document.createElement("a");
  link.href = outputURL(path, true);
  link.textContent = path;
  link.download = path.split("/").pop();
  const caption = document.createElement("figcaption");
  caption.append(link);
  figure.append(img, caption);
  return figure;
}

export class RunPanel {
  constructor(nodes, onBusy) {
    this.nodes = nodes;
    this.onBusy = onBusy;
    this.state = {status: "idle"};
    this.source = new EventSource("/api/events");
    this.source.onmessage = (m) => this.update(JSON.parse(m.data));
  }

  update(event) {
    Object.assign(this.state, event);
    if (event.event === "state" || event.event === "start") this.state = {...event};
    const s = this.state;
    const {progress, status, snapshot, outputs} = this.nodes;
    status.textContent = describe(s);
    progress.max = s.total || 1;
    progress.value = s.status === "running" ? (s.done || 0) : (s.status === "done" ? progress.max : 0);
    if (event.snapshot) snapshot.src = outputURL(event.snapshot);
    if (event.event === "end" || event.event === "state") {
      outputs.replaceChildren(...(s.outputs || []).map(outputItem));
    }
    document.body.dataset.run = s.status;
    this.onBusy(s.status === "running");
  }
}
