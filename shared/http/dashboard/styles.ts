/** The dashboard's stylesheet, served at /dashboard/app.css (a file of its own, so the CSP needs no 'unsafe-inline'). */
export const DASHBOARD_CSS = String.raw`
:root {
  --bg: #f4f6f9; --card: #fff; --line: #dde2ea; --text: #1d2433; --muted: #5b6578; --accent: #0969da;
  --ok: #1f883d; --warn: #bf8700; --bad: #cf222e; --info: #0969da; --idle: #8c959f; --purple: #8250df;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
code, .mono { font-family: var(--mono); font-size: 12.5px; }
[hidden] { display: none !important; }
button { font: inherit; cursor: pointer; }
button:disabled { opacity: .55; cursor: default; }

.top { position: sticky; top: 0; z-index: 2; display: flex; align-items: center; justify-content: space-between;
  padding: 10px 24px; background: #1d2433; color: #fff; }
.brand { font-weight: 650; font-size: 15px; display: flex; align-items: center; gap: 10px; }
.logo { width: 18px; height: 18px; border-radius: 4px; background: linear-gradient(90deg, #2da44e 0 60%, #54aeff 60%); }
.top-right { display: flex; align-items: center; gap: 14px; font-size: 13px; color: #c9d1d9; }
.who b { color: #fff; font-weight: 600; }
.link { background: none; border: 0; color: #9ecbff; padding: 0; }
.conn { display: inline-flex; align-items: center; gap: 6px; }
.conn::before { content: ""; width: 8px; height: 8px; border-radius: 50%; background: var(--idle); }
.conn[data-mode="live"]::before { background: #3fb950; box-shadow: 0 0 0 3px #3fb95033; }
.conn[data-mode="polling"]::before { background: #d29922; }
.conn[data-mode="reconnecting"]::before { background: #f85149; }

main { max-width: 1180px; margin: 0 auto; padding: 20px 24px 60px; }
h1 { font-size: 20px; margin: 0 0 8px; }
h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); margin: 26px 0 10px; }
.card, .rollout, .service { background: var(--card); border: 1px solid var(--line); border-radius: 10px; box-shadow: 0 1px 2px #1d24330a; }
.empty { color: var(--muted); padding: 14px 16px; border: 1px dashed var(--line); border-radius: 10px; }

.signin { max-width: 460px; margin: 60px auto; padding: 26px 30px; }
.signin p { color: var(--muted); margin: 0 0 18px; }
.signin label { display: block; font-weight: 600; margin-bottom: 14px; }
.signin small { display: block; font-weight: 400; color: var(--muted); }
.signin input { display: block; width: 100%; margin-top: 6px; padding: 8px 10px; font: inherit; border: 1px solid var(--line); border-radius: 6px; }
.error { color: var(--bad); margin: 12px 0 0; }
.primary { background: var(--ok); color: #fff; border: 0; border-radius: 6px; padding: 8px 18px; font-weight: 600; }

.services { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: 12px; }
.service { padding: 12px 14px; }
.service .name { font-weight: 650; font-size: 15px; }
.service .where { color: var(--muted); font-size: 12px; margin-bottom: 8px; }
.kv { display: grid; grid-template-columns: 64px 1fr; gap: 2px 8px; font-size: 12.5px; }
.kv dt { color: var(--muted); } .kv dd { margin: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.kv a { color: var(--accent); text-decoration: none; }
.muted { color: var(--muted); }

.rollouts { display: grid; gap: 12px; }
.rollout { padding: 14px 16px; }
.rollout.terminal { padding: 10px 16px; }
.head { display: flex; align-items: center; gap: 10px; flex-wrap: wrap; }
.head .svc { font-weight: 650; font-size: 15px; }
.head .tag { background: #eef1f5; border-radius: 4px; padding: 1px 6px; font-family: var(--mono); font-size: 12.5px; }
.head .digest { color: var(--muted); }
.head .spacer { flex: 1; }
.badge { font-size: 11.5px; font-weight: 700; letter-spacing: .03em; padding: 2px 8px; border-radius: 999px; color: #fff; background: var(--idle); }
/* One colour per status: the badge's fill, and the card's left edge. */
.st-PENDING { --st: var(--idle); } .st-PROGRESSING { --st: var(--info); } .st-PAUSED { --st: var(--warn); } .st-PROMOTING { --st: var(--info); } .st-SUCCEEDED { --st: var(--ok); }
.st-ROLLING_BACK { --st: #e16f24; } .st-ROLLED_BACK { --st: var(--bad); } .st-REJECTED { --st: var(--purple); } .st-FAILED { --st: #82071e; }
.badge { background: var(--st, var(--idle)); }
.rollout { border-left: 4px solid var(--st, var(--line)); }
.actions { display: flex; gap: 8px; }
.actions button { border: 0; border-radius: 6px; padding: 5px 14px; font-weight: 600; color: #fff; }
.approve { background: var(--ok); } .abort { background: var(--bad); } .pause { background: var(--warn); } .resume { background: var(--info); }
.meta { color: var(--muted); font-size: 12px; margin: 4px 0 10px; }
.meta code { font-size: 11.5px; }

.weight { margin: 6px 0 12px; }
.bar { display: flex; height: 12px; border-radius: 6px; overflow: hidden; background: #d0d7de; }
.bar .canary { background: linear-gradient(90deg, #2da44e, #3fb950); transition: width .5s ease; }
.bar .stable { flex: 1; background: #afb8c1; }
.legend { display: flex; justify-content: space-between; font-size: 12px; color: var(--muted); margin-top: 4px; }
.legend b { color: var(--text); }

.steps { display: flex; list-style: none; margin: 0 0 10px; padding: 0; counter-reset: step; overflow-x: auto; }
.step { flex: 1; min-width: 86px; position: relative; text-align: center; font-size: 12px; color: var(--muted); padding-top: 22px; }
.step::before { content: ""; position: absolute; top: 8px; left: 0; right: 0; height: 2px; background: var(--line); }
.step:first-child::before { left: 50%; } .step:last-child::before { right: 50%; }
.step .dot { position: absolute; top: 2px; left: calc(50% - 7px); width: 14px; height: 14px; border-radius: 50%; background: #fff; border: 2px solid #afb8c1; }
.step.s-COMPLETED .dot { background: var(--ok); border-color: var(--ok); }
.step.s-RUNNING .dot { background: #fff; border-color: var(--info); box-shadow: 0 0 0 4px #0969da26; }
.step.s-RUNNING { color: var(--text); font-weight: 600; }
.step.s-SKIPPED .dot { background: #eaeef2; border-style: dashed; }
.step.s-SKIPPED .label { text-decoration: line-through; }
.step .state { display: block; font-size: 10.5px; text-transform: lowercase; }
.reason { margin: 0 0 8px; padding: 6px 10px; border-left: 3px solid var(--bad); background: #fff5f5; font-size: 13px; }
.rollout.st-SUCCEEDED .reason { border-color: var(--ok); background: #f2fbf4; }

details.events summary { cursor: pointer; color: var(--muted); font-size: 12.5px; }
.log { max-height: 260px; overflow: auto; margin-top: 6px; border: 1px solid var(--line); border-radius: 6px; }
.log table { width: 100%; border-collapse: collapse; font-size: 12.5px; }
.log td { padding: 4px 8px; border-top: 1px solid #eef1f5; vertical-align: top; }
.log tr:first-child td { border-top: 0; }
.log .t { white-space: nowrap; color: var(--muted); font-family: var(--mono); font-size: 11.5px; }
.log .ty { white-space: nowrap; font-family: var(--mono); font-size: 11.5px; font-weight: 600; }

.toast { position: fixed; bottom: 20px; left: 50%; transform: translateX(-50%); background: #1d2433; color: #fff;
  padding: 10px 16px; border-radius: 8px; box-shadow: 0 4px 14px #0003; max-width: 90vw; }
.toast.bad { background: var(--bad); }
`;
