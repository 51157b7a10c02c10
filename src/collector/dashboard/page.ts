/**
 * The dashboard's HTML shell (`GET /`). It holds no data: the client script
 * (dashboard/app.js, bundled from client/) fills it in through the query API
 * and the live stream. Relative URLs, so it also works under a proxy prefix.
 */
export const pageHtml = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>idstitch collector</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="dashboard/style.css">
<script type="module" src="dashboard/app.js"></script>
</head>
<body>
<header>
  <h1>idstitch</h1>
  <dl id="stats" class="stats"></dl>
  <span id="status" class="status">connecting…</span>
</header>
<main>
  <section class="card wide people-card">
    <h2>People</h2>
    <form id="people-form" class="filters" role="search">
      <label><input type="radio" name="list" value="users" checked> Users</label>
      <label><input type="radio" name="list" value="companies"> Companies</label>
      <label><input type="radio" name="list" value="anonymous"> Anonymous visitors</label>
      <input type="search" name="query" class="query" placeholder="search: start of an id, name or email" aria-label="search people" autocomplete="off">
    </form>
    <div id="people"></div>
  </section>
  <section class="card wide">
    <div class="heading">
      <h2>Events over time</h2>
      <select id="chart-range" aria-label="range">
        <option value="minute:1h">last hour, per minute</option>
        <option value="hour:24h">last 24 hours, per hour</option>
        <option value="hour:7d">last 7 days, per hour</option>
        <option value="day:30d">last 30 days, per day</option>
      </select>
    </div>
    <div id="chart"></div>
  </section>
  <section class="card live">
    <h2>Live events</h2>
    <form id="live-filters" class="filters">
      <input name="user" placeholder="user or anonymous id" aria-label="user">
      <input name="company" placeholder="company id" aria-label="company">
      <select name="type" aria-label="type">
        <option value="">all types</option>
        <option>page</option><option>track</option><option>identify</option><option>group</option><option>alias</option>
      </select>
      <select name="source" aria-label="source">
        <option value="">web and api</option><option value="web">web</option><option value="api">api</option>
      </select>
      <button type="reset">Clear</button>
    </form>
    <p id="live-note" class="muted"></p>
    <ol id="live-log" class="log"></ol>
  </section>
  <section class="card profile">
    <h2>Profile</h2>
    <form id="lookup" class="filters">
      <select name="kind" aria-label="kind"><option value="user">user</option><option value="company">company</option></select>
      <input name="id" placeholder="id" aria-label="id">
      <button>Open</button>
    </form>
    <div id="profile"></div>
  </section>
  <section class="card">
    <h2>Funnel</h2>
    <form id="funnel-form" class="filters">
      <input name="steps" value="page,Signed Up,API Call" aria-label="steps" class="steps" title="track event names, comma-separated; page = any page view">
      <input name="within" value="7d" aria-label="within" class="within" title="each step within this of the first: 30m, 24h, 7d">
      <button>Count</button>
    </form>
    <div id="funnel"></div>
  </section>
  <section class="card">
    <h2>Identity conflicts</h2>
    <div id="conflicts"></div>
  </section>
</main>
</body>
</html>
`;
