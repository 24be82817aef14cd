// The workbench page: a recipe editor.  The recipe is `state.steps`; every control edits it.
import {ApiError, getJSON, imageURL, postBytes, postJSON, saveBlob} from "./api.js";
import {renderSteps, showProblems} from "./forms.js";
import {RunPanel} from "./runpanel.js";
import {Viewer} from "./viewer.js";

const $ = (id) => document.getElementById(id);
const state = {top: {imgfusion: 1, seed: 0}, steps: [], ops: {}, current: null};
let previewBusy = false;
let previewSeq = 0;

// The recipe: an opened recipe's top-level keys (device, seed, description...) kept.
function recipe() {
  return {...state.top, steps: state.steps};
}

function say(text) {
  $("message").textContent = text;
}

function failed(e) {
  say(e.message);
  if (e instanceof ApiError && e.problems.length) showProblems($("steps"), $("recipe-problems"), e.problems);
}

function uniqueId(base) {
  const stem = (base.replace(/^sample:/, "").split("/").pop().replace(/\.[^.]*$/, "")
                .replace(/[^A-Za-z0-9_-]/g, "_").replace(/^[^A-Za-z_]/, "s$&")) || "step";
  let id = stem, n = 2;
  while (state.steps.some((s) => s.id === id)) id = `${stem}_${n++}`;
  return id;
}

function step(id) {
  return state.steps.find((s) => s.id === id);
}

function upsert(s, before) {
  const old = step(s.id);
  if (old) { Object.keys(old).forEach((k) => delete old[k]); Object.assign(old, s); return; }
  const at = before ? state.steps.indexOf(step(before)) : -1;
  if (at >= 0) state.steps.splice(at, 0, s); else state.steps.push(s);
}

function refresh() {
  renderSteps($("steps"), state.steps, state.ops, {
    edit: () => validate(),
    remove: (s) => { state.steps.splice(state.steps.indexOf(s), 1); refresh(); },
  });
  const loads = state.steps.filter((s) => s.op === "load").map((s) => s.id);
  for (const [sel, list] of [["place-source", loads.filter((id) => step(id + "_mask"))], ["place-target", loads]]) {
    const keep = $(sel).value;
    $(sel).replaceChildren(...list.map((id) => new Option(id, id)));
    if (list.includes(keep)) $(sel).value = keep;
  }
  validate();
}

// Validation replies can cross (reading a file's header takes time): only the latest shows.
let validateSeq = 0;
async function validate() {
  const seq = ++validateSeq;
  const {problems} = await (await postJSON("/api/validate", {recipe: recipe()})).json();
  if (seq === validateSeq) showProblems($("steps"), $("recipe-problems"), problems);
  return problems;
}

async function showStep(id) {
  const s = step(id);
  state.current = id;
  const mask = step(id + "_mask");
  if (!await viewer.show(imageURL(s.path), mask ? imageURL(mask.path) + "&t=" + Date.now() : null)) return;
  $("view-status").textContent = `${id}: ${s.path} (${viewer.image.height} x ${viewer.image.width}, rows x cols)`;
}

async function addImage(path) {
  const id = uniqueId(path);
  upsert({id, op: "load", path});
  refresh();
  await showStep(id);
}

function fileItem(path) {
  const li = document.createElement("li");
  li.textContent = path;
  li.addEventListener("click", () => addImage(path).catch(failed));
  return li;
}

async function loadFiles() {
  const f = await getJSON("/api/files");
  $("image-list").replaceChildren(...f.images.map(fileItem));
  $("sample-list").replaceChildren(...f.samples.map(fileItem));
  $("refine-op").replaceChildren(...f.mask_tools.map((n) => new Option(n, n)));
  $("refine-tools").hidden = !f.mask_tools.length;
  $("recipes").replaceChildren(new Option("open a recipe…", ""), ...f.recipes.map((r) => new Option(r, r)));
}

async function saveMask() {
  const id = state.current;
  if (!id || viewer.place) throw new Error("show an image to draw its mask");
  const {path} = await postBytes(`/api/mask?step=${encodeURIComponent(id + "_mask")}`, await viewer.maskPNG());
  upsert({id: id + "_mask", op: "load_mask", path});
  refresh();
  say(`mask saved as ${path}`);
}

// A mask tool (an operator taking a mask and giving one: a cut-out, mask algebra) applied
// to the saved mask; the result is drawn in for more editing, and kept by Save mask.
async function refineMask() {
  await saveMask();
  const [id, op] = [state.current, $("refine-op").value];
  const response = await postJSON("/api/refine", {op, image: step(id).path, mask: step(id + "_mask").path});
  await viewer.replaceMask(URL.createObjectURL(await response.blob()));
  say(`mask refined with ${op}: Save mask to keep it`);
}

// Placement: a poisson_blend step at the offset (and scale), and its save; kept in the recipe.
function placementSteps(src, dst, offset, scale) {
  const blend = `${src}_on_${dst}`;
  const {scale: _, ...old} = step(blend) || {};
  upsert({...old, id: blend, op: "poisson_blend", source: "$" + src, target: "$" + dst,
          mask: "$" + src + "_mask", offset, ...(scale !== 1 ? {scale} : {})});
  if (!step(blend + "_save")) upsert({id: blend + "_save", op: "save", image: "$" + blend, path: `out/${blend}.png`});
  return blend;
}

// While dragging: one fast preview at a time; on release: the exact blend.  A reply older
// than the latest request is dropped (an exact blend can take longer than a fast one).
async function preview(offset, exact) {
  const p = viewer.place;
  placementSteps(p.src, p.dst, offset, p.scale);
  if (exact) refresh();
  if (previewBusy && !exact) return;
  const seq = ++previewSeq;
  previewBusy = true;
  try {
    const response = await postJSON("/api/preview", {source: step(p.src).path, mask: step(p.src + "_mask").path,
      target: step(p.dst).path, offset, scale: p.scale, mode: exact ? "exact" : "fast"});
    const img = new Image();
    img.src = URL.createObjectURL(await response.blob());
    await img.decode();
    if (seq !== previewSeq) return;
    viewer.setPreview(img);
    if (exact) say(`blend at offset [${offset}] (row, col), scale ${p.scale}`);
  } finally {
    previewBusy = false;
  }
}

async function place() {
  const [src, dst] = [$("place-source").value, $("place-target").value];
  if (!src || !dst) return say("a cutout needs an image with a saved mask, and a target");
  const scale = Number($("place-scale").value);
  const old = step(`${src}_on_${dst}`);
  const offset = old && old.offset ? old.offset : [0, 0];
  await viewer.startPlace(imageURL(step(dst).path), imageURL(step(src).path),
                          imageURL(step(src + "_mask").path) + "&t=" + Date.now(),
                          {src, dst, offset, scale, onMove: (o, exact) => preview(o, exact).catch(failed)});
  $("view-status").textContent = `drag the cutout ${src} over ${dst}`;
  await preview(offset, true);
}

async function run() {
  const problems = await validate();
  if (problems.length) return say(`${problems.length} problem(s): see the steps`);
  const r = await (await postJSON("/api/run", {recipe: recipe(), name: $("name").value})).json();
  say(`run ${r.run} started; the recipe is ${r.recipe}`);
}

async function download() {
  const response = await postJSON("/api/download", {recipe: recipe(), name: $("name").value});
  saveBlob(await response.blob(), `${$("name").value || "workbench"}.zip`);
}

async function openRecipe(path) {
  const {recipe: raw} = await getJSON("/api/recipe?path=" + encodeURIComponent(path));
  const {steps, ...top} = raw;
  state.top = top;
  state.steps = (steps || []).map((s, n) => ({id: s.id || `step${n + 1}`, ...s}));
  $("name").value = path.replace(/\.yaml$/, "");
  refresh();
  const first = state.steps.find((s) => s.op === "load");
  if (first) await showStep(first.id);
}

async function upload(file) {
  const {path} = await postBytes("/api/upload?name=" + encodeURIComponent(file.name), file);
  await loadFiles();
  await addImage(path);
}

// A step that can write snapshots (the style operators) shows its current image while it
// runs: snapshot_every starts at 10 (the form shows it; clear it for none).
function addOp(name) {
  const watchable = state.ops[name].params.some((p) => p.name === "snapshot_every");
  upsert({id: uniqueId(name), op: name, ...(watchable ? {snapshot_every: 10} : {})});
  refresh();
}

function chooseTool(button) {
  document.querySelectorAll("[data-tool]").forEach((b) => b.classList.toggle("on", b === button));
  viewer.tool = button.dataset.tool;
  if (viewer.place && state.current) showStep(state.current).catch(failed);
}

const viewer = new Viewer($("canvas"), () => say("mask edited: Save mask to keep it"));

function wire() {
  const on = (id, ev, f) => $(id).addEventListener(ev, (e) => Promise.resolve(f(e)).catch(failed));
  document.querySelectorAll("[data-tool]").forEach((b) => b.addEventListener("click", () => chooseTool(b)));
  on("brush-size", "input", (e) => { viewer.size = Number(e.target.value); });
  on("clear-mask", "click", () => viewer.clearMask());
  on("save-mask", "click", saveMask);
  on("refine", "click", refineMask);
  on("place", "click", place);
  on("place-scale", "change", (e) => {
    $("place-scale-value").textContent = e.target.value;
    if (viewer.place) { viewer.place.scale = Number(e.target.value); return preview(viewer.place.offset, true); }
  });
  on("validate", "click", async () => say(`${(await validate()).length} problem(s)`));
  on("run", "click", run);
  on("stop", "click", () => postJSON("/api/stop", {}));
  on("download", "click", download);
  on("recipes", "change", (e) => e.target.value && openRecipe(e.target.value));
  on("upload", "change", (e) => e.target.files[0] && upload(e.target.files[0]));
  on("add-op", "change", (e) => { if (e.target.value) addOp(e.target.value); e.target.value = ""; });
}

async function start() {
  wire();
  const ops = await getJSON("/api/ops");
  ops.forEach((o) => { state.ops[o.name] = o; });
  $("add-op").append(...ops.map((o) => new Option(`${o.name}: ${o.summary}`, o.name)));
  new RunPanel({progress: $("progress"), status: $("run-status"), snapshot: $("snapshot"), outputs: $("outputs")},
               (busy) => { $("stop").disabled = !busy; $("run").disabled = busy; });
  await loadFiles();
  refresh();
  document.body.dataset.ready = "yes";
}

start().catch(failed);
