/**
 * `GET /docs`: the OpenAPI document rendered as one self-contained HTML page, on the server. No
 * script and nothing fetched from elsewhere, so it works offline and under a `default-src 'none'` CSP.
 */
type Json = Record<string, unknown>;

const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Escapes, then shows `code` spans and keeps paragraphs: the descriptions use nothing more. */
function prose(text: unknown): string {
  if (typeof text !== 'string' || text === '') return '';
  return text
    .split(/\n{2,}/)
    .map((p) => `<p>${esc(p).replace(/`([^`]+)`/g, '<code>$1</code>')}</p>`)
    .join('');
}

const anchor = (kind: string, name: string) => `${kind}-${name.replace(/[^A-Za-z0-9_-]/g, '_')}`;

/** Pretty JSON with every `$ref` to a component turned into a link to it. */
function schemaHtml(schema: unknown): string {
  const json = esc(JSON.stringify(schema, null, 2));
  return `<pre>${json.replace(/&#34;#\/components\/schemas\/([A-Za-z0-9_.-]+)&#34;/g, (_m, id: string) => `<a href="#${anchor('schema', id)}">"#/components/schemas/${id}"</a>`)}</pre>`;
}

/** A `$ref` alone is shown as a link; anything else as JSON. */
function schemaLink(schema: unknown): string {
  const ref = (schema as Json | undefined)?.$ref;
  if (typeof ref === 'string' && ref.startsWith('#/components/schemas/')) {
    const id = ref.slice('#/components/schemas/'.length);
    return `<a href="#${anchor('schema', id)}">${esc(id)}</a>`;
  }
  return schema === undefined ? '' : schemaHtml(schema);
}

function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return '';
  return `<table><tr>${headers.map((h) => `<th>${h}</th>`).join('')}</tr>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</table>`;
}

function contentRows(content: unknown): string[][] {
  return Object.entries((content ?? {}) as Record<string, Json>).map(([type, media]) => [`<code>${esc(type)}</code>`, schemaLink(media.schema)]);
}

function operationHtml(method: string, path: string, op: Json, doc: Json): string {
  const security = (op.security as Record<string, unknown>[] | undefined) ?? [];
  const auth = security.length === 0 ? 'none' : security.map((s) => Object.keys(s).map((k) => `<a href="#${anchor('auth', k)}">${esc(k)}</a>`).join(' + ')).join(' or ');
  const params = ((op.parameters as Json[] | undefined) ?? []).map((p) => [
    `<code>${esc(String(p.name))}</code>`,
    esc(String(p.in)),
    p.required ? 'yes' : 'no',
    prose(p.description),
    schemaLink(p.schema),
  ]);
  const body = op.requestBody as Json | undefined;
  const responses = Object.entries(op.responses as Record<string, Json>).map(([status, r]) => {
    const resolved = typeof r.$ref === 'string' ? (((doc.components as Json).responses as Record<string, Json>)[r.$ref.split('/').pop()!] ?? r) : r;
    const content = contentRows(resolved.content).map(([type, schema]) => `${type} ${schema}`).join('<br>');
    return [`<b>${esc(status)}</b>`, prose(resolved.description), content];
  });
  return `<section class="op" id="${anchor('op', String(op.operationId))}">
<h3><span class="m m-${method}">${method.toUpperCase()}</span> <code>${esc(path)}</code></h3>
<p class="summary">${esc(String(op.summary ?? ''))}</p>${prose(op.description)}
<p>Auth: ${auth}</p>
${params.length ? `<h4>Parameters</h4>${table(['name', 'in', 'required', 'description', 'schema'], params)}` : ''}
${body ? `<h4>Request body${body.required ? '' : ' (optional)'}</h4>${prose(body.description)}${table(['content type', 'schema'], contentRows(body.content))}` : ''}
<h4>Responses</h4>${table(['status', 'description', 'body'], responses)}
</section>`;
}

export function renderDocsPage(doc: Json): string {
  const info = doc.info as Json;
  const paths = doc.paths as Record<string, Json>;
  const components = doc.components as Record<string, Record<string, Json>>;
  const ops = Object.entries(paths).flatMap(([path, item]) => METHODS.filter((m) => item[m]).map((m) => ({ path, method: m, op: item[m] as Json })));
  const tags = (doc.tags as Json[]).map((t) => String(t.name));
  const byTag = tags.map((tag) => ({ tag, ops: ops.filter((o) => (o.op.tags as string[]).includes(tag)) })).filter((g) => g.ops.length > 0);
  const nav = byTag
    .map((g) => `<li>${esc(g.tag)}<ul>${g.ops.map((o) => `<li><a href="#${anchor('op', String(o.op.operationId))}"><span class="m m-${o.method}">${o.method.toUpperCase()}</span> ${esc(o.path)}</a></li>`).join('')}</ul></li>`)
    .join('');
  const schemes = Object.entries(components.securitySchemes ?? {}).map(([name, s]) => `<dt id="${anchor('auth', name)}"><code>${esc(name)}</code></dt><dd>${esc(String(s.type))}${s.scheme ? ` ${esc(String(s.scheme))}` : ''}${s.name ? ` header <code>${esc(String(s.name))}</code>` : ''}${prose(s.description)}</dd>`);
  const schemas = Object.entries(components.schemas ?? {}).map(([id, s]) => `<section id="${anchor('schema', id)}"><h3>${esc(id)}</h3>${prose(s.description)}${schemaHtml(s)}</section>`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(String(info.title))} API</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:0;display:flex;color:#1d232a}
nav{width:20rem;flex:none;height:100vh;overflow:auto;position:sticky;top:0;background:#f4f6f8;padding:1rem;box-sizing:border-box;font-size:13px}
nav ul{list-style:none;padding-left:.5rem}nav a{text-decoration:none;color:inherit}
main{padding:1rem 2rem;max-width:64rem;min-width:0;flex:1}
.op{border-top:1px solid #d8dee4;padding-top:.5rem}
.m{display:inline-block;min-width:3.5em;text-align:center;border-radius:3px;color:#fff;font-size:11px;font-weight:bold;padding:1px 3px}
.m-get{background:#1f6feb}.m-post{background:#2da44e}.m-put{background:#bf8700}.m-patch{background:#8250df}.m-delete{background:#cf222e}
table{border-collapse:collapse;margin:.25rem 0}td,th{border:1px solid #d8dee4;padding:3px 8px;vertical-align:top;text-align:left}
pre{background:#f6f8fa;padding:.5rem;overflow:auto;font-size:12px;max-height:30rem}code{font-size:90%}
.summary{font-weight:600}
</style></head>
<body><nav><b>${esc(String(info.title))}</b> ${esc(String(info.version))}<br><a href="openapi.json">openapi.json</a><ul>${nav}<li><a href="#schemas">Schemas</a></li></ul></nav>
<main><h1>${esc(String(info.title))} API <small>${esc(String(info.version))}</small></h1>${prose(info.description)}
<p>The machine-readable document: <a href="openapi.json"><code>GET /openapi.json</code></a> (OpenAPI ${esc(String(doc.openapi))}).</p>
<h2>Authentication</h2><dl>${schemes.join('')}</dl>
${byTag.map((g) => `<h2>${esc(g.tag)}</h2>${g.ops.map((o) => operationHtml(o.method, o.path, o.op, doc)).join('\n')}`).join('\n')}
<h2 id="schemas">Schemas</h2>${schemas.join('\n')}
</main></body></html>`;
}
