/** The environment the stack sets on the functions (docs/environment.md). */
export const ENV = {
  table: 'ROLLOUT_TABLE_NAME',
  stateMachine: 'ROLLOUT_STATE_MACHINE_ARN',
  config: 'ROLLOUT_CONFIG',
  /** Variable → Secrets Manager secret id, for the secrets this function reads (functions/wiring/secrets.ts). */
  secrets: 'ROLLOUT_SECRETS',
  /** The intake function (functions/ecr-push.ts) that the API and the watchdog hand webhook deliveries to. */
  intakeFunction: 'ROLLOUT_INTAKE_FUNCTION_NAME',
} as const;

/** The variables the two tokens are read under (through the SecretSource), as in local mode. */
export const TOKEN_VARIABLES = { webhook: 'ROLLOUT_WEBHOOK_TOKEN', api: 'ROLLOUT_API_TOKEN' } as const;

/**
 * The functions given the approval-link key (ROLLOUT_LINK_SECRET): Advance, the only step that reaches an
 * approval wait (PAUSED at a pause step, announced with approve/abort links), and the API, which checks
 * and redeems the links. The others notify too, but never an approval request, so they never sign a link.
 */
export const LINK_SECRET_READERS = ['api', 'advance'] as const;

export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (!value) throw new Error(`environment variable ${name} is not set; the stack sets it on every function`);
  return value;
}
