/**
 * What the docs routes serve, loaded by their first request. In the API function's bundle it is a
 * bundle of its own, `api-docs.mjs` beside the entry (infra/function-bundles.ts), so that the OpenAPI
 * document's zod schemas share no chunk with the request validators and are not loaded at init
 * (docs/architecture.md, "Lambda bundles"); everywhere else it is these modules.
 */
import { importSideBundle } from '../../side-bundle';
import type { renderDocsPage } from './docs-page';
import type { openApiDocument } from './document';

export interface DocsContent {
  readonly openApiDocument: typeof openApiDocument;
  readonly renderDocsPage: typeof renderDocsPage;
}

/** The name of the separate bundle. */
export const DOCS_BUNDLE_FILE = 'api-docs.mjs';

export async function loadDocsContent(): Promise<DocsContent> {
  // Replaced by the bundle's name at build time (`define`, infra/function-bundles.ts): esbuild then
  // drops the branch below and its imports. Unset when the sources run as they are (local mode, tests).
  if (process.env.ROLLOUT_DOCS_BUNDLE) {
    return importSideBundle<DocsContent>(process.env.ROLLOUT_DOCS_BUNDLE);
  } else {
    const [{ openApiDocument }, { renderDocsPage }] = await Promise.all([import('./document'), import('./docs-page')]);
    return { openApiDocument, renderDocsPage };
  }
}
