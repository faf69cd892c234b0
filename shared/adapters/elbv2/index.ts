export { AlbTrafficRouter, type AlbTrafficRouterOptions } from './alb-traffic-router';
export { forwardedGroups, reweighed, type ForwardWeights } from './forward-weights';
