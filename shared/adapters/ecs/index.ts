export { EcsTaskSetDeployer } from './ecs-task-set-deployer';
export type { EcsTaskSetDeployerOptions } from './ecs-task-set-deployer';
export { digestOf, reRegistration, targetContainer } from './task-definition';
export { TaskCountTraffic } from './task-count-traffic';
