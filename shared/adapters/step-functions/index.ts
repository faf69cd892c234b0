export { ROLLOUT_ENDED_ERROR, StepFunctionsWorkflow, type StepFunctionsWorkflowOptions } from './step-functions-workflow';
