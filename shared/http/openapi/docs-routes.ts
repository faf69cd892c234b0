/** `GET /openapi.json` and `GET /docs`: public, as the contract is (docs/api.md). */
import { Hono } from 'hono';
import { renderDocsPage } from './docs-page';
import { openApiDocument } from './document';

/** The page needs nothing from elsewhere; the policy makes sure it never will. */
const DOCS_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function docsRoutes() {
  const routes = new Hono();
  let page: { doc: object; html: string } | null = null;

  routes.get('/openapi.json', (c) => c.json(openApiDocument()));
  routes.get('/docs', (c) => {
    const doc = openApiDocument();
    if (page?.doc !== doc) page = { doc, html: renderDocsPage(doc) };
    return c.html(page.html, 200, { 'content-security-policy': DOCS_CSP });
  });

  return routes;
}
