export { docsRoutes } from './docs-routes';
export { API_VERSION, buildOpenApiDocument, openApiDocument, problemStatuses } from './document';
export { documentWebhook, type WebhookDocOptions } from './webhook-docs';
export {
  PROBLEM_STATUSES,
  documentRoute,
  documentRoutes,
  findRouteDoc,
  openApiPath,
  routeDocs,
  routeCoverage,
  routeKey,
  type HttpMethod,
  type ProblemStatus,
  type RequestBodyDoc,
  type ResponseDoc,
  type RouteDoc,
  type RouteSecurity,
  type SecurityScheme,
} from './route-docs';
