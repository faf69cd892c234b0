export { AlbTrafficRouter, type AlbTrafficRouterOptions } from './alb-traffic-router';
export { forwardedGroups, reweighed, type ForwardWeights } from './forward-weights';
export { readAlb, readAnchor, loadBalancerArnOf } from './alb-reading';
