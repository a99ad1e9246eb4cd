/* The board's client of the REST API: same-origin fetch with the browser's
 * session (DRF's SessionAuthentication) and Django's CSRF token on writes,
 * page-number pagination followed to the end, and the one error body
 * ({detail, code, reason, failed}) turned into an Error carrying it. */
"use strict";

const BoardApi = (() => {
  function cookie(name) {
    for (const part of document.cookie.split(";")) {
      const [k, ...v] = part.trim().split("=");
      if (k === name) return decodeURIComponent(v.join("="));
    }
    return "";
  }

  class ApiError extends Error {
    constructor(status, body) {
      super((body && body.detail) || "HTTP " + status);
      this.status = status;
      this.body = body || {};
    }
  }

  async function request(method, url, body) {
    const headers = { Accept: "application/json" };
    const init = { method, headers, credentials: "same-origin" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      headers["X-CSRFToken"] = cookie("csrftoken");
      init.body = JSON.stringify(body);
    }
    const response = await fetch(url, init);
    let data = null;
    const text = await response.text();
    if (text) {
      try { data = JSON.parse(text); } catch (e) { data = { detail: text.slice(0, 200) }; }
    }
    if (response.status === 401 || response.status === 403 && data && data.code === "not_authenticated") {
      window.location.href = "/api-auth/login/?next=" + encodeURIComponent(window.location.pathname);
    }
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  /* Every page of a paginated list: follows "next" until there is none. */
  async function all(url) {
    const rows = [];
    let next = url;
    for (let pages = 0; next && pages < 1000; pages++) {
      const page = await request("GET", next);
      if (Array.isArray(page)) return rows.concat(page);      // an unpaginated list
      rows.push(...(page.results || []));
      next = page.next;
    }
    return rows;
  }

  return {
    ApiError,
    get: (url) => request("GET", url),
    post: (url, body) => request("POST", url, body || {}),
    all,
  };
})();
