/**
 * The dashboard's page shell: markup only, no data, so it can be served without the API token (a browser
 * cannot send a bearer header when it navigates). The script asks for the token and sends it with every
 * API call; nothing about rollouts is visible until the API accepts it.
 */

/** Strict: our own script and stylesheet only, API calls to this origin only, no framing. */
export const DASHBOARD_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'cache-control': 'no-cache',
};

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex">
<title>Rollouts · ECS rollout orchestrator</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard/app.css">
<script src="/dashboard/app.js" defer></script>
</head>
<body>
<header class="top">
  <div class="brand"><span class="logo" aria-hidden="true"></span>ECS rollouts</div>
  <div class="top-right">
    <span id="conn" class="conn" data-mode="offline" title="live updates">offline</span>
    <span id="who" class="who" hidden>signed in as <b id="who-name"></b></span>
    <button id="signout" class="link" type="button" hidden>Sign out</button>
  </div>
</header>
<main>
  <section id="signin" class="card signin" hidden>
    <h1>Sign in</h1>
    <p>The dashboard calls the API with its token (<code>ROLLOUT_API_TOKEN</code>, printed by <code>npm start</code>).
      The token stays in this browser tab (session storage) and is sent only to this server.</p>
    <form id="signin-form" autocomplete="off">
      <label>API token<input id="token" name="token" type="password" required spellcheck="false"></label>
      <label>Your name <small>recorded on the approvals, aborts, pauses and resumes you make here</small><input id="by" name="by" required maxlength="200"></label>
      <button class="primary" type="submit">Open dashboard</button>
      <p id="signin-error" class="error" role="alert" hidden></p>
    </form>
  </section>
  <div id="app" hidden>
    <section>
      <h2>Services</h2>
      <div id="services" class="services"></div>
    </section>
    <section>
      <h2>Active rollouts</h2>
      <div id="active" class="rollouts"></div>
    </section>
    <section>
      <h2>Recent rollouts</h2>
      <div id="recent" class="rollouts"></div>
    </section>
  </div>
</main>
<div id="toast" class="toast" role="status" hidden></div>
</body>
</html>
`;
