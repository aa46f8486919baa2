// Sign-in of the staff pages (the reviewer console, the leads' page), once for both.
// On AWS the page sends people to the Cognito hosted UI (authorization code with PKCE) and keeps the ID token in
// this tab's sessionStorage; under make dev (no hosted UI named in the page) the local stack mints dev tokens.
var LoopgateSignIn = (function () {
  "use strict";

  var TOKEN_KEY = "loopgate.token";      // both pages read it: one sign-in serves the console and the leads' page
  var REFRESH_KEY = "loopgate.refresh";
  var PENDING_KEY = "loopgate.signin";   // the PKCE verifier and state of a sign-in under way
  var NOTE_KEY = "loopgate.signin-note"; // what to say when the hosted UI sends the person back
  var RENEW_BEFORE_MS = 60 * 1000;
  var $ = function (id) { return document.getElementById(id); };
  var meta = document.querySelector('meta[name="loopgate-signin"]');
  var HOSTED = meta && meta.getAttribute("data-url")
    ? { url: meta.getAttribute("data-url"), clientId: meta.getAttribute("data-client-id") } : null;
  var options = null;
  var renewing = null;

  function token() { return sessionStorage.getItem(TOKEN_KEY); }
  function claimsOf(jwt) {
    try {
      var part = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      while (part.length % 4) { part += "="; }
      var bytes = atob(part);
      var json = decodeURIComponent(Array.prototype.map.call(bytes, function (c) {
        return "%" + ("00" + c.charCodeAt(0).toString(16)).slice(-2);
      }).join(""));
      return JSON.parse(json);
    } catch (e) { return null; }
  }
  function claims() { return claimsOf(token()) || {}; }
  function expiresSoon(jwt) {
    var c = claimsOf(jwt);
    return !c || typeof c.exp !== "number" || c.exp * 1000 < Date.now() + RENEW_BEFORE_MS;
  }
  function forget() { [TOKEN_KEY, REFRESH_KEY].forEach(function (k) { sessionStorage.removeItem(k); }); }
  // Where the hosted UI sends people back: must be one of the app client's callback and sign-out URLs.
  function pageUrl() { return location.origin + location.pathname; }

  function base64url(bytes) {
    return btoa(String.fromCharCode.apply(null, bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function randomText() { var b = new Uint8Array(32); crypto.getRandomValues(b); return base64url(b); }

  // ------------------------------------------------------------ the hosted UI (Cognito), on AWS
  function goToHostedUi() {
    var verifier = randomText(), state = randomText();
    return crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)).then(function (digest) {
      sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier: verifier, state: state, hash: location.hash }));
      var query = new URLSearchParams({
        response_type: "code", client_id: HOSTED.clientId, redirect_uri: pageUrl(), scope: "openid email profile",
        state: state, code_challenge: base64url(new Uint8Array(digest)), code_challenge_method: "S256"
      });
      location.assign(HOSTED.url + "/oauth2/authorize?" + query.toString());
    });
  }
  function tokenEndpoint(fields) {
    return fetch(HOSTED.url + "/oauth2/token", {
      method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields).toString(), cache: "no-store", credentials: "omit"
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.ok && data.id_token) { return data; }
        throw new Error(data.error_description || data.error || ("HTTP " + response.status));
      });
    }, function () { throw new Error("the sign-in service could not be reached"); });
  }
  function finishHostedSignIn(params) {
    var pending = null;
    try { pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) || "null"); } catch (e) { pending = null; }
    sessionStorage.removeItem(PENDING_KEY);
    // The code is single-use and worthless without the verifier; still, it leaves the address bar and history.
    history.replaceState(null, "", location.pathname + ((pending && pending.hash) || ""));
    if (params.get("error")) {
      return failed("The sign-in page answered: " + (params.get("error_description") || params.get("error")) + ".");
    }
    if (!pending || pending.state !== params.get("state")) {
      return failed("This sign-in was not started from this page. Sign in again.");
    }
    return tokenEndpoint({
      grant_type: "authorization_code", client_id: HOSTED.clientId, code: params.get("code"),
      redirect_uri: pageUrl(), code_verifier: pending.verifier
    }).then(function (data) {
      sessionStorage.setItem(TOKEN_KEY, data.id_token);
      if (data.refresh_token) { sessionStorage.setItem(REFRESH_KEY, data.refresh_token); }
      signedIn("Signed in.");
    }, function (error) { failed("Sign-in failed: " + error.message + ". Sign in again."); });
  }
  // A fresh ID token: renewed with the refresh token shortly before it expires (one renewal for parallel calls).
  function fresh() {
    var current = token();
    var refresh = sessionStorage.getItem(REFRESH_KEY);
    if (!HOSTED || !current || !refresh || !expiresSoon(current)) { return Promise.resolve(current); }
    if (!renewing) {
      renewing = tokenEndpoint({ grant_type: "refresh_token", client_id: HOSTED.clientId, refresh_token: refresh })
        .then(function (data) { sessionStorage.setItem(TOKEN_KEY, data.id_token); return data.id_token; },
              function () { sessionStorage.removeItem(REFRESH_KEY); return current; })  // the API's 401 asks again
        .then(function (value) { renewing = null; return value; });
    }
    return renewing;
  }

  // ------------------------------------------------------------ what the page sees
  function signedIn(how) {
    var c = claims();
    var groups = c["cognito:groups"];
    if (Array.isArray(groups)) { groups = groups.join(", "); }
    $("who-name").textContent = "Signed in as " + (c.email || c["cognito:username"] || c.sub || options.who) +
      (groups ? " (" + groups + ")" : "");
    $("who").hidden = false;
    options.signedIn(how);
  }
  function signedOut(message) {
    forget();
    $("who").hidden = true;
    options.signedOut(message || "");
  }
  function failed(message) { signedOut(message); }

  function start(given) {
    options = given;
    $("hosted-signin").hidden = !HOSTED;
    $("dev-signin").hidden = !!HOSTED;
    var params = new URLSearchParams(location.search);
    var note = sessionStorage.getItem(NOTE_KEY);
    sessionStorage.removeItem(NOTE_KEY);
    if (HOSTED && (params.has("code") || params.has("error"))) { finishHostedSignIn(params); return; }
    if (!token()) { signedOut(""); if (note) { options.say(note, "ok"); } return; }
    if (HOSTED && expiresSoon(token())) {
      fresh().then(function (value) {
        if (expiresSoon(value)) { signedOut("Your sign-in has expired. Sign in again."); } else { signedIn(); }
      });
      return;
    }
    signedIn();
  }

  $("signin-button").addEventListener("click", function () {
    var button = $("signin-button");
    button.disabled = true;
    goToHostedUi().catch(function () {
      button.disabled = false;
      $("signin-error").textContent = "This browser cannot sign in here (it lacks Web Crypto). Use a current browser.";
    });
  });

  $("dev-signin").addEventListener("submit", function (event) {
    event.preventDefault();
    var name = $("dev-name").value.trim();
    var groups = $("dev-groups").value.split(",").map(function (g) { return g.trim(); }).filter(Boolean);
    var error = $("dev-error");
    error.textContent = "";
    if (!name) { error.textContent = "Give a name for the dev token."; $("dev-name").focus(); return; }
    var button = $("dev-token-button");
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    fetch(options.base + "/_local/token", {
      method: "POST", headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify({ sub: name, groups: groups }), cache: "no-store", credentials: "omit"
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.ok && data.token) {
          sessionStorage.setItem(TOKEN_KEY, data.token);
          signedIn("Signed in as " + name + " with a local dev token.");
        } else if (response.status === 404 || response.status === 403 || response.status === 405) {
          error.textContent = "Dev tokens only exist under make dev (the local stack).";
        } else {
          error.textContent = data.error || data.message || ("The request failed (HTTP " + response.status + ").");
        }
      });
    }, function () {
      error.textContent = "The API could not be reached. Check your connection and try again.";
    }).then(function () { button.disabled = false; button.setAttribute("aria-busy", "false"); });
  });

  $("signout-button").addEventListener("click", function () {
    if (!HOSTED) { signedOut(""); options.say("Signed out.", "ok"); return; }
    var refresh = sessionStorage.getItem(REFRESH_KEY);
    forget();
    sessionStorage.setItem(NOTE_KEY, "Signed out.");
    var logout = function () {
      location.assign(HOSTED.url + "/logout?" + new URLSearchParams({ client_id: HOSTED.clientId, logout_uri: pageUrl() }));
    };
    if (!refresh) { logout(); return; }
    // The hosted UI's sign-out ends its own session; revoking the refresh token ends this tab's renewals too.
    fetch(HOSTED.url + "/oauth2/revoke", {
      method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, cache: "no-store",
      credentials: "omit", body: new URLSearchParams({ token: refresh, client_id: HOSTED.clientId }).toString()
    }).then(logout, logout);
  });

  return {
    start: start,
    token: token,
    claims: claims,
    // The page's API calls: with a fresh ID token; never rejects where fetch would not.
    fetch: function (url, init) {
      return fresh().then(function (value) {
        if (value) { init.headers.Authorization = "Bearer " + value; }
        return fetch(url, init);
      });
    },
    // The API refused the token (401): ask to sign in again.
    expired: function () { signedOut("Your sign-in was not accepted or has expired. Sign in again."); }
  };
})();
