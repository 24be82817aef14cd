// The canvas: an image at full resolution with zoom (wheel) and pan (drag), a mask drawn
// over it (brush, erase, ellipse, rectangle), and the placement of a cutout over a target.
// Image coordinates are (row, col); the view maps them by zoom z and translation (tx, ty).

function loadImage(url) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error("cannot load " + url));
    img.src = url;
  });
}

function layer(width, height) {
  const c = document.createElement("canvas");
  c.width = width;
  c.height = height;
  return c;
}

// A grey mask image (white inside) as a canvas whose alpha is the mask.
function alphaFromGrey(img) {
  const c = layer(img.width, img.height);
  const g = c.getContext("2d");
  g.drawImage(img, 0, 0);
  const data = g.getImageData(0, 0, c.width, c.height);
  for (let i = 0; i < data.data.length; i += 4) {
    data.data[i + 3] = data.data[i];
    data.data[i] = data.data[i + 1] = data.data[i + 2] = 255;
  }
  g.putImageData(data, 0, 0);
  return c;
}

export class Viewer {
  constructor(canvas, onChange) {
    this.canvas = canvas;
    this.g = canvas.getContext("2d");
    this.onChange = onChange;
    this.view = {z: 1, tx: 0, ty: 0};
    this.tool = "pan";
    this.size = 12;
    this.image = null;
    this.mask = null;
    this.place = null;
    this.drag = null;
    canvas.addEventListener("pointerdown", (e) => this.down(e));
    canvas.addEventListener("pointermove", (e) => this.move(e));
    canvas.addEventListener("pointerup", (e) => this.up(e));
    canvas.addEventListener("wheel", (e) => this.wheel(e), {passive: false});
    new ResizeObserver(() => this.resize()).observe(canvas);
  }

  // The canvas keeps one canvas pixel per screen pixel, whatever the layout gives it.
  resize() {
    const [w, h] = [this.canvas.clientWidth, this.canvas.clientHeight];
    if (w < 1 || h < 1 || (w === this.canvas.width && h === this.canvas.height)) return;
    [this.canvas.width, this.canvas.height] = [w, h];
    if (this.image) this.fit(this.image.width, this.image.height); else this.render();
  }

  // Show an image (and its mask); of overlapping calls the last one wins.
  async show(url, maskURL) {
    const ticket = this.ticket = (this.ticket || 0) + 1;
    const [image, maskImage] = await Promise.all([loadImage(url),
      maskURL ? loadImage(maskURL).catch(() => null) : null]);
    if (ticket !== this.ticket) return false;
    [this.place, this.image] = [null, image];
    this.mask = layer(image.width, image.height);
    if (maskImage) this.mask.getContext("2d").drawImage(alphaFromGrey(maskImage), 0, 0);
    this.fit(image.width, image.height);
    return true;
  }

  fit(width, height) {
    const z = Math.min(this.canvas.width / width, this.canvas.height / height);
    this.view = {z, tx: (this.canvas.width - width * z) / 2, ty: (this.canvas.height - height * z) / 2};
    this.render();
  }

  toImage(e) {
    const r = this.canvas.getBoundingClientRect();
    const x = (e.clientX - r.left) * this.canvas.width / r.width;
    const y = (e.clientY - r.top) * this.canvas.height / r.height;
    return {row: (y - this.view.ty) / this.view.z, col: (x - this.view.tx) / this.view.z, x, y};
  }

  down(e) {
    if (!this.image) return;
    this.canvas.setPointerCapture(e.pointerId);
    const p = this.toImage(e);
    if (this.place && this.insideCutout(p)) {
      this.drag = {kind: "place", start: p, offset: [...this.place.offset]};
    } else if (this.tool === "pan" || this.place || e.button === 1) {
      this.drag = {kind: "pan", x: p.x, y: p.y, tx: this.view.tx, ty: this.view.ty};
    } else {
      this.drag = {kind: this.tool, start: p, last: p};
      if (this.tool === "brush" || this.tool === "erase") this.paint(p, p);
    }
  }

  move(e) {
    if (!this.drag) return;
    const p = this.toImage(e);
    const d = this.drag;
    if (d.kind === "pan") {
      this.view.tx = d.tx + p.x - d.x;
      this.view.ty = d.ty + p.y - d.y;
    } else if (d.kind === "place") {
      this.place.offset = [Math.round(d.offset[0] + p.row - d.start.row),
                           Math.round(d.offset[1] + p.col - d.start.col)];
      this.place.onMove(this.place.offset, false);
    } else if (d.kind === "brush" || d.kind === "erase") {
      this.paint(d.last, p);
      d.last = p;
    } else {
      d.last = p;
    }
    this.render();
  }

  up(e) {
    const d = this.drag;
    this.drag = null;
    if (!d) return;
    if (d.kind === "place") this.place.onMove(this.place.offset, true);
    if (d.kind === "ellipse" || d.kind === "rect") this.shape(d.kind, d.start, this.toImage(e));
    if (d.kind !== "pan" && d.kind !== "place") this.onChange("mask");
    this.render();
  }

  wheel(e) {
    e.preventDefault();
    const p = this.toImage(e);
    const f = Math.exp(-e.deltaY * 0.0015);
    this.view.z *= f;
    this.view.tx = p.x - (p.x - this.view.tx) * f;
    this.view.ty = p.y - (p.y - this.view.ty) * f;
    this.render();
  }

  paint(a, b) {
    const g = this.mask.getContext("2d");
    g.globalCompositeOperation = this.tool === "erase" ? "destination-out" : "source-over";
    g.strokeStyle = g.fillStyle = "white";
    g.lineWidth = this.size;
    g.lineCap = "round";
    g.beginPath();
    g.moveTo(a.col, a.row);
    g.lineTo(b.col + 0.01, b.row);
    g.stroke();
  }

  shape(kind, a, b) {
    const g = this.mask.getContext("2d");
    g.globalCompositeOperation = "source-over";
    g.fillStyle = "white";
    g.beginPath();
    const [x, y, w, h] = [Math.min(a.col, b.col), Math.min(a.row, b.row),
                          Math.abs(b.col - a.col), Math.abs(b.row - a.row)];
    if (kind === "rect") g.rect(x, y, w, h);
    else g.ellipse(x + w / 2, y + h / 2, w / 2, h / 2, 0, 0, 2 * Math.PI);
    g.fill();
  }

  clearMask() {
    if (!this.mask) return;
    this.mask.getContext("2d").clearRect(0, 0, this.mask.width, this.mask.height);
    this.render();
  }

  // Replace the mask by a grey mask image (a mask tool's result).
  async replaceMask(url) {
    const g = this.mask.getContext("2d");
    const grey = alphaFromGrey(await loadImage(url));
    g.globalCompositeOperation = "source-over";
    g.clearRect(0, 0, this.mask.width, this.mask.height);
    g.drawImage(grey, 0, 0);
    this.render();
  }

  // The mask as a grey PNG (white inside, black outside), the file load_mask reads.
  maskPNG() {
    const c = layer(this.mask.width, this.mask.height);
    const g = c.getContext("2d");
    g.fillStyle = "black";
    g.fillRect(0, 0, c.width, c.height);
    g.drawImage(this.mask, 0, 0);
    return new Promise((resolve) => c.toBlob(resolve, "image/png"));
  }

  // Placement: the target shown, the cutout (source through its mask) over it at offset.
  async startPlace(target, source, mask, place) {
    const ticket = this.ticket = (this.ticket || 0) + 1;
    const [t, s, m] = await Promise.all([loadImage(target), loadImage(source), loadImage(mask)]);
    if (ticket !== this.ticket) return;
    this.image = t;
    this.mask = null;
    const cut = layer(s.width, s.height);
    const g = cut.getContext("2d");
    g.drawImage(s, 0, 0);
    g.globalCompositeOperation = "destination-in";
    g.drawImage(alphaFromGrey(m), 0, 0);
    this.place = {...place, cutout: cut, preview: null};
    this.fit(t.width, t.height);
  }

  setPreview(img) {
    if (this.place) { this.place.preview = img; this.render(); }
  }

  insideCutout(p) {
    const {offset, scale, cutout} = this.place;
    return p.row >= offset[0] && p.col >= offset[1] &&
      p.row < offset[0] + cutout.height * scale && p.col < offset[1] + cutout.width * scale;
  }

  render() {
    const {g, canvas, view} = this;
    g.setTransform(1, 0, 0, 1, 0, 0);
    g.fillStyle = "#222";
    g.fillRect(0, 0, canvas.width, canvas.height);
    if (!this.image) return;
    g.setTransform(view.z, 0, 0, view.z, view.tx, view.ty);
    g.imageSmoothingEnabled = view.z < 1;
    const base = this.place && this.place.preview ? this.place.preview : this.image;
    g.drawImage(base, 0, 0);
    if (this.mask) this.renderMask();
    if (this.place) this.renderPlace();
  }

  renderMask() {
    const tint = layer(this.mask.width, this.mask.height);
    const t = tint.getContext("2d");
    t.drawImage(this.mask, 0, 0);
    t.globalCompositeOperation = "source-in";
    t.fillStyle = "rgba(255, 40, 40, 0.45)";
    t.fillRect(0, 0, tint.width, tint.height);
    this.g.drawImage(tint, 0, 0);
    const d = this.drag;
    if (d && (d.kind === "ellipse" || d.kind === "rect")) {
      this.g.strokeStyle = "yellow";
      this.g.lineWidth = 1 / this.view.z;
      this.g.strokeRect(d.start.col, d.start.row, d.last.col - d.start.col, d.last.row - d.start.row);
    }
  }

  renderPlace() {
    const {offset, scale, cutout, preview} = this.place;
    const [w, h] = [cutout.width * scale, cutout.height * scale];
    if (!preview || this.drag) this.g.drawImage(cutout, offset[1], offset[0], w, h);
    this.g.strokeStyle = "#4cf";
    this.g.setLineDash([6 / this.view.z, 4 / this.view.z]);
    this.g.lineWidth = 1.5 / this.view.z;
    this.g.strokeRect(offset[1], offset[0], w, h);
    this.g.setLineDash([]);
  }
}
