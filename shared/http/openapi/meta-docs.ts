/** Documentation of the documentation routes (docs-routes.ts). */
import { z } from 'zod';
import { documentRoutes } from './route-docs';

/** Enough of the document's shape to tell it is one: the contract test checks the rest. */
export const openApiDocumentSchema = z.looseObject({
  openapi: z.string().regex(/^3\.1\.\d+$/),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.record(z.string(), z.unknown())),
  components: z.looseObject({ schemas: z.record(z.string(), z.unknown()) }),
});

documentRoutes([
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'openApiDocument',
    summary: 'This OpenAPI 3.1 document',
    tags: ['meta'],
    security: 'none',
    responses: { 200: { description: 'the document', schema: openApiDocumentSchema } },
  },
  {
    method: 'get',
    path: '/docs',
    operationId: 'apiDocsPage',
    summary: 'This document as a web page',
    description: 'Self-contained HTML: no scripts, nothing fetched from elsewhere.',
    tags: ['meta'],
    security: 'none',
    responses: { 200: { description: 'the page', contentType: 'text/html', schema: z.string() } },
  },
]);
