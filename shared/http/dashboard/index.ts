export { LiveUpdates, type LiveUpdatesOptions } from './live-updates';
export { operatorRoutes, type OperatorDeps } from './routes';
