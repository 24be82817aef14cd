// Step forms built from each operator's declaration (GET /api/ops = `imgfusion info --json`):
// inputs choose an earlier step, parameters get a widget from their type, range and choices,
// help is the title and a hint.  No operator is named here: a new plugin needs no page code.

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k.startsWith("data-")) node.setAttribute(k, v);
    else node[k] = v;
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

function isNumber(type) {
  return /^(int|float)( \| None)?$/.test(type);
}

// A form value -> the recipe's value: numbers, JSON lists/objects/null, or the text.
function parseValue(text, type) {
  if (text === "") return undefined;
  if (type === "str" || /path$/.test(type)) return text;
  try { return JSON.parse(text); } catch (e) { return text; }
}

function shown(value) {
  if (value === undefined) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

function paramWidget(step, p, onEdit) {
  let input;
  if (p.choices) {
    input = el("select", {}, el("option", {value: "", textContent: `(default ${shown(p.default)})`}),
               ...p.choices.map((c) => el("option", {value: JSON.stringify(c), textContent: String(c)})));
    input.value = step[p.name] === undefined ? "" : JSON.stringify(step[p.name]);
  } else if (p.type === "bool") {
    input = el("select", {}, el("option", {value: "", textContent: `(default ${p.default})`}),
               el("option", {value: "true", textContent: "true"}),
               el("option", {value: "false", textContent: "false"}));
    input.value = shown(step[p.name]);
  } else {
    input = el("input", {type: isNumber(p.type) ? "number" : "text", value: shown(step[p.name]),
                         placeholder: p.required ? "required" : shown(p.default)});
    if (isNumber(p.type)) {
      input.step = p.type.startsWith("int") ? "1" : "any";
      if (p.min !== null) input.min = p.min;
      if (p.max !== null) input.max = p.max;
    }
  }
  input.name = p.name;
  input.addEventListener("change", () => {
    const raw = input.tagName === "SELECT" && input.value !== "" ? JSON.parse(input.value) : input.value;
    const value = input.tagName === "SELECT" ? (input.value === "" ? undefined : raw) : parseValue(raw, p.type);
    if (value === undefined) delete step[p.name]; else step[p.name] = value;
    onEdit();
  });
  return input;
}

function inputWidget(step, i, earlier, onEdit) {
  let input;
  if (i.many) {
    input = el("input", {type: "text", value: [].concat(step[i.name] || []).join(", "),
                         placeholder: "$id, $id, …"});
  } else {
    input = el("select", {}, el("option", {value: "", textContent: i.optional ? "(none)" : "(previous step)"}),
               ...earlier.map((id) => el("option", {value: "$" + id, textContent: "$" + id})));
    input.value = step[i.name] || "";
  }
  input.name = i.name;
  input.addEventListener("change", () => {
    const list = input.value.split(",").map((s) => s.trim()).filter(Boolean);
    const value = i.many ? (list.length > 1 ? list : list[0]) : input.value;
    if (!value) delete step[i.name]; else step[i.name] = value;
    onEdit();
  });
  return input;
}

function field(step, name, kind, help, widget) {
  return el("div", {class: "field", "data-step": step.id, "data-field": name, title: help || ""},
            el("label", {textContent: name + (kind ? ` (${kind})` : "")}), widget,
            help ? el("small", {textContent: help}) : null,
            el("div", {class: "error"}));
}

export function stepForm(step, decl, earlier, actions) {
  const box = el("div", {class: "step", "data-step": step.id});
  const head = el("div", {class: "head"}, el("b", {textContent: step.id}),
                  el("span", {textContent: " " + step.op}));
  const remove = el("button", {textContent: "✕", title: "remove this step"});
  remove.addEventListener("click", () => actions.remove(step));
  head.append(remove);
  box.append(head, el("div", {class: "error step-error", "data-step": step.id, "data-field": ""}));
  if (!decl) {
    box.append(el("div", {class: "error", textContent: `unknown operator ${step.op}`}));
    return box;
  }
  box.title = decl.summary;
  for (const i of decl.inputs) {
    box.append(field(step, i.name, i.kind, i.help, inputWidget(step, i, earlier, actions.edit)));
  }
  for (const p of decl.params) {
    const kind = p.type + (p.min !== null || p.max !== null ? ` ${p.min ?? ""}..${p.max ?? ""}` : "");
    box.append(field(step, p.name, kind, p.help, paramWidget(step, p, actions.edit)));
  }
  return box;
}

export function renderSteps(container, steps, ops, actions) {
  container.replaceChildren(...steps.map((s, n) =>
    stepForm(s, ops[s.op], steps.slice(0, n).map((e) => e.id), actions)));
}

// Each problem next to the field it names; the others above the steps.
export function showProblems(container, general, problems) {
  container.querySelectorAll(".error").forEach((e) => { e.textContent = ""; });
  general.textContent = "";
  for (const p of problems) {
    const name = (p.field || "").replace(/^sweep\./, "");
    const spot = container.querySelector(
      `.field[data-step="${CSS.escape(p.step || "")}"][data-field="${CSS.escape(name)}"] .error`) ||
      container.querySelector(`.step-error[data-step="${CSS.escape(p.step || "")}"]`);
    const text = (p.field && !spot?.closest(".field") ? `${p.field}: ` : "") + p.message +
      (p.suggestion ? ` (did you mean '${p.suggestion}'?)` : "");
    if (spot) spot.textContent = text; else general.append(el("div", {textContent: text}));
  }
}
