// Calls to the workbench server (same origin; the token travels as a cookie).

export class ApiError extends Error {
  constructor(message, status, problems) {
    super(message);
    this.status = status;
    this.problems = problems || [];
  }
}

async function check(response) {
  if (response.ok) return response;
  let body = {};
  try { body = await response.json(); } catch (e) { body = {error: await response.text()}; }
  throw new ApiError(body.error || response.statusText, response.status, body.problems);
}

export async function getJSON(url) {
  return (await check(await fetch(url))).json();
}

export async function postJSON(url, body) {
  const response = await fetch(url, {method: "POST", body: JSON.stringify(body),
                                     headers: {"Content-Type": "application/json"}});
  return check(response);
}

export async function postBytes(url, blob) {
  const response = await fetch(url, {method: "POST", body: blob,
                                     headers: {"Content-Type": "application/octet-stream"}});
  return (await check(response)).json();
}

export function imageURL(path) {
  return "/api/image?path=" + encodeURIComponent(path);
}

export function outputURL(path, download) {
  return "/api/output?path=" + encodeURIComponent(path) + (download ? "&download=1" : "");
}

export function saveBlob(blob, filename) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}
