/**
 * The small HTML pages behind approval links: a confirm page (GET, so that link scanners and chat
 * previews that fetch the link change nothing), the outcome, and errors. Self-contained: inline CSS,
 * no script, and headers that keep the token in the URL from leaking (no Referer, no caching, no framing).
 */
import type { Rollout } from '../core/rollout';
import { describeStep } from '../core/steps';
import type { LinkClaims } from './approval-links';

export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
};

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const STYLE = `
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;background:#f4f6f9;color:#1d2433;margin:0;display:flex;justify-content:center;padding:48px 16px}
main{background:#fff;border:1px solid #dde2ea;border-radius:10px;max-width:520px;width:100%;padding:28px 32px;box-shadow:0 1px 3px #0000000d}
h1{font-size:20px;margin:0 0 16px}dl{display:grid;grid-template-columns:max-content 1fr;gap:6px 16px;margin:0 0 22px}
dt{color:#5b6578}dd{margin:0;word-break:break-all}code{font:13px ui-monospace,Menlo,monospace}
button{font:inherit;font-weight:600;border:0;border-radius:6px;padding:10px 22px;color:#fff;cursor:pointer}
.approve{background:#1f883d}.abort{background:#cf222e}.note{color:#5b6578;font-size:13px;margin-top:18px}a{color:#0969da}`;

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`;
}

function details(rollout: Rollout, claims: LinkClaims): string {
  const step = rollout.steps[claims.step];
  const rows: [string, string][] = [
    ['Service', rollout.service],
    ['Image', `${rollout.image.repository}${rollout.image.tag ? `:${rollout.image.tag}` : ''}`],
    ['Digest', rollout.image.digest],
    ['Rollout', rollout.id],
    ['Waiting at', step ? `step ${claims.step + 1} of ${rollout.steps.length}: ${describeStep(step)}` : `step ${claims.step + 1}`],
    ['Canary weight', `${rollout.canaryWeight}%`],
    ['Status', rollout.status],
  ];
  return `<dl>${rows.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd><code>${escapeHtml(v)}</code></dd>`).join('')}</dl>`;
}

export function confirmPage(rollout: Rollout, claims: LinkClaims): string {
  const approve = claims.action === 'approve';
  const expires = new Date(claims.expiresAt * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  return page(
    approve ? `Approve the ${rollout.service} rollout?` : `Abort the ${rollout.service} rollout?`,
    `${details(rollout, claims)}
<form method="post"><button class="${approve ? 'approve' : 'abort'}" type="submit">${approve ? 'Approve and continue' : 'Abort and roll back'}</button></form>
<p class="note">This link works once, until ${escapeHtml(expires)}. It is recorded as ${escapeHtml(`link:${claims.target}`)}.</p>`,
  );
}

export function donePage(rollout: Rollout, claims: LinkClaims): string {
  const what = claims.action === 'approve' ? 'Approved' : 'Aborted';
  return page(`${what}: ${rollout.service}`, `${details(rollout, claims)}<p class="note">Follow it on the <a href="/">dashboard</a>.</p>`);
}

export function errorPage(status: number, message: string): string {
  const title = status === 410 ? 'This link has expired' : status === 409 ? 'Nothing to do' : status === 403 ? 'This link is not valid' : 'Something went wrong';
  const sentence = message.charAt(0).toUpperCase() + message.slice(1);
  return page(title, `<p>${escapeHtml(sentence)}.</p><p class="note">You can still act on the rollout from the <a href="/">dashboard</a> or the API.</p>`);
}
