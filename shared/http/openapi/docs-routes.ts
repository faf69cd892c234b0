/**
 * `GET /openapi.json` and `GET /docs`: public, as the contract is (docs/api.md). The document, the page
 * and the schemas they are built from are loaded by the first request for them, not when the API
 * starts (docs/architecture.md, "Lambda bundles").
 */
import { Hono } from 'hono';
import { loadDocsContent } from './docs-content';

/** The page needs nothing from elsewhere; the policy makes sure it never will. */
const DOCS_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function docsRoutes() {
  const routes = new Hono();
  let page: { doc: object; html: string } | null = null;

  routes.get('/openapi.json', async (c) => c.json((await loadDocsContent()).openApiDocument()));
  routes.get('/docs', async (c) => {
    const { openApiDocument, renderDocsPage } = await loadDocsContent();
    const doc = openApiDocument();
    if (page?.doc !== doc) page = { doc, html: renderDocsPage(doc) };
    return c.html(page.html, 200, { 'content-security-policy': DOCS_CSP });
  });

  return routes;
}
