/** The API docs as the API function loads them on first request: a bundle of its own (shared/http/openapi/docs-content.ts). */
export { renderDocsPage } from '../shared/http/openapi/docs-page';
export { openApiDocument } from '../shared/http/openapi/document';
